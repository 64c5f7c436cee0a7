import Glibc
import HAL
import HALSimulated
import Locking
import Testing

@testable import Service

/// Device supervisors start together and each asks for its pins: the chip cache must open a chip once. It used
/// to check, open and insert outside its lock, so two supervisors could open one chip twice.
@Suite("GPIO chip cache")
struct ChipCacheTests {
    /// Counts `openChip` calls, each taking a millisecond as a real open may.
    struct CountingBackend: GPIOBackend {
        let inner: SimulatedGPIOBackend
        let opens = Locked(0)

        func chips() throws(HALError) -> [GPIOChipInfo] { try inner.chips() }

        func openChip(_ selector: GPIOChipSelector) throws(HALError) -> any GPIOChip {
            opens.withLock { $0 += 1 }
            usleep(1_000)
            return try inner.openChip(selector)
        }
    }

    @Test("16 supervisors asking for pins on one chip at once open it exactly once", arguments: [1, 16])
    func chipOpenedOnce(concurrentCallers: Int) async throws {
        let chip = SimulatedGPIOChip(
            name: "gpiochip0",
            label: "pinctrl-rp1",
            lineNames: Array(repeating: nil, count: 32),
            clock: SystemClock()
        )
        let backend = CountingBackend(inner: SimulatedGPIOBackend(chips: [chip]))
        let cache = ChipCache(backend: backend)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for offset in 0..<concurrentCallers {
                group.addTask {
                    let pin = try cache.pin(
                        PinReference(chip: .label("pinctrl-rp1"), offset: offset, name: "P\(offset)")
                    )
                    #expect(pin.offset == offset)
                }
            }
            try await group.waitForAll()
        }
        #expect(backend.opens.withLock { $0 } == 1)
        // A chip that does not exist is an error naming it, and is not cached.
        #expect(throws: HALError.self) { try cache.pin(PinReference(chip: .name("gpiochip9"), offset: 0, name: "X")) }
    }
}
