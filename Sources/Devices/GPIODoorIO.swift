import HAL
import Locking

/// How one locker door is wired to GPIO: its lock output, door sensor and optional occupancy sensor.
public struct DoorWiring: Sendable {
    /// The door's configured id.
    public var door: String
    /// The lock output; logical high energises (releases) the lock.
    public var lock: GPIOPin
    /// The door sensor input; its logical active level means "door open".
    public var sensor: GPIOPin
    /// When set, a low physical level on `sensor` means "door open".
    public var sensorActiveLow: Bool
    /// The occupancy input, if the compartment has one; its logical active level means "occupied".
    public var occupancy: GPIOPin?
    /// When set, a low physical level on `occupancy` means "occupied".
    public var occupancyActiveLow: Bool

    /// Describes one door's wiring.
    public init(
        door: String,
        lock: GPIOPin,
        sensor: GPIOPin,
        sensorActiveLow: Bool = false,
        occupancy: GPIOPin? = nil,
        occupancyActiveLow: Bool = false
    ) {
        self.door = door
        self.lock = lock
        self.sensor = sensor
        self.sensorActiveLow = sensorActiveLow
        self.occupancy = occupancy
        self.occupancyActiveLow = occupancyActiveLow
    }
}

/// Locker doors on plain GPIO lines: lock outputs held (locked) for the process's life, sensors with
/// both-edge detection forwarded with the kernel's timestamps to the bank: debounced by the kernel where the backend
/// can (libgpiod 2.x, `kernelDebounced`), else raw, and the bank debounces them.
public final class GPIODoorIO: DoorIO {
    private struct Input {
        var door: String
        var kind: DoorSignal.Kind
        var line: any GPIOInputLine
    }

    private let locks: [String: any GPIOOutputLine]
    private let inputs: [Input]
    private let clock: any Clock
    private let readers = Locked<[Task<Void, Never>]>([])
    /// Whether the kernel debounces every sensor and occupancy input (the `debounce` asked for, libgpiod 2.x): then
    /// the bank needs no software debounce of its own.
    public let kernelDebounced: Bool

    /// Requests every line of `wiring` at once (locks driven inactive first); releases what it got if one fails.
    /// `debounce` is asked of the kernel for the sensor and occupancy inputs.
    public init(
        wiring: [DoorWiring],
        clock: any Clock,
        consumer: String = "floorlink-locker",
        debounce: Duration? = nil
    ) throws(HALError) {
        let debounce = debounce.flatMap { $0 > .zero ? $0 : nil }
        var locks: [String: any GPIOOutputLine] = [:]
        var inputs: [Input] = []
        do {
            for door in wiring {
                locks[door.door] = try door.lock.chip.requestOutput(
                    offset: door.lock.offset,
                    consumer: consumer,
                    configuration: GPIOOutputConfiguration(initialValue: false)
                )
                let sensor = try door.sensor.chip.requestInput(
                    offset: door.sensor.offset,
                    consumer: consumer,
                    configuration: GPIOInputConfiguration(
                        activeLow: door.sensorActiveLow,
                        edges: .both,
                        debounce: debounce
                    )
                )
                inputs.append(Input(door: door.door, kind: .sensor, line: sensor))
                if let occupancy = door.occupancy {
                    let line = try occupancy.chip.requestInput(
                        offset: occupancy.offset,
                        consumer: consumer,
                        configuration: GPIOInputConfiguration(
                            activeLow: door.occupancyActiveLow,
                            edges: .both,
                            debounce: debounce
                        )
                    )
                    inputs.append(Input(door: door.door, kind: .occupancy, line: line))
                }
            }
        } catch {
            for lock in locks.values { lock.close() }
            for input in inputs { input.line.close() }
            throw error
        }
        self.locks = locks
        self.inputs = inputs
        self.clock = clock
        kernelDebounced = !inputs.isEmpty && inputs.allSatisfy { $0.line.debounce != nil }
    }

    deinit {
        for reader in readers.withLock({ $0 }) { reader.cancel() }
    }

    /// Writes the lock output of `door` (logical high energises it) and returns the clock's time once the kernel
    /// has taken the write: the line is driven by then (gpio v1 stamps no output change itself).
    @discardableResult
    public func setLock(door: String, energised: Bool) async throws(HALError) -> ClockInstant {
        guard let lock = locks[door] else {
            throw .notFound(path: "locker door \(door)", detail: "no lock output is wired for this door")
        }
        try lock.write(energised)
        return clock.now
    }

    /// Reads every sensor and occupancy line now, stamped with the clock's time.
    public func currentLevels() async throws(HALError) -> [DoorSignal] {
        let now = clock.now
        var levels: [DoorSignal] = []
        for input in inputs {
            levels.append(DoorSignal(door: input.door, kind: input.kind, value: try input.line.read(), time: now))
        }
        return levels
    }

    /// Starts one reader task per input line that forwards its edges, with their kernel timestamps.
    public func start(deliver: @escaping @Sendable (DoorSignal) -> Void) throws(HALError) {
        let tasks = inputs.map { input in
            let (door, kind, edges) = (input.door, input.kind, input.line.edges)
            return Task {
                do {
                    for try await edge in edges {
                        deliver(DoorSignal(door: door, kind: kind, value: edge.kind == .rising, time: edge.timestamp))
                    }
                } catch {
                    // The line was closed or the wait cancelled: this input's stream is over either way.
                }
            }
        }
        readers.withLock { $0.append(contentsOf: tasks) }
    }

    /// Drives every lock inactive, stops the readers and releases every line.
    public func close() {
        for lock in locks.values {
            // Best effort on the way out: the line is released next, and the kernel keeps its last level anyway.
            try? lock.write(false)
            lock.close()
        }
        for reader in readers.withLock({ readers in
            defer { readers = [] }
            return readers
        }) { reader.cancel() }
        for input in inputs { input.line.close() }
    }
}
