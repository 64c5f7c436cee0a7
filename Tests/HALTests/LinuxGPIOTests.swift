import Foundation
import GPIOSimSupport
import HAL
import HALLinux
import Testing

/// Linux GPIO paths that need no gpio-sim: what a technician sees on a machine without the chip they named.
/// (The VM tests run them too, on a kernel with gpio-sim.)
@Suite("Linux GPIO backend")
struct LinuxGPIOTests {
    /// Where gpio-sim is there (the VM tests), a chip of it is made first, so the listing has one to find.
    @Test("listing chips works on any machine, with or without gpiochips")
    func listing() throws {
        let useGPIOSim = KernelGPIOSimHarness.isAvailable || KernelGPIOSimHarness.isRequired
        let sim = useGPIOSim ? try GPIOSimChip(lineNames: [nil, "sensor"]) : nil
        defer { sim?.tearDown() }
        let chips = try LinuxGPIOBackend().chips()
        let nodes = (try? FileManager.default.contentsOfDirectory(atPath: "/dev"))?.filter { $0.hasPrefix("gpiochip") }
        #expect(chips.count == (nodes?.count ?? 0))
        if let sim {
            #expect(chips.contains { $0.name == sim.chipName && $0.label == sim.label && $0.lineCount == 2 })
        }
    }

    @Test(
        "a chip that does not exist is not found, by each way of naming it",
        arguments: [
            GPIOChipSelector.label("pinctrl-no-such"), .name("gpiochip99"), .path("/dev/gpiochip99"), .number(99),
        ]
    )
    func missingChip(selector: GPIOChipSelector) throws {
        #expect {
            _ = try LinuxGPIOBackend().openChip(selector)
        } throws: { error in
            guard case .notFound = error as? HALError else { return false }
            return true
        }
    }

    @Test(
        "a technician's chip spelling is understood",
        arguments: [
            ("gpiochip0", GPIOChipSelector.name("gpiochip0")), ("/dev/gpiochip4", .path("/dev/gpiochip4")),
            ("2", .number(2)), ("pinctrl-rp1", .label("pinctrl-rp1")), ("gpiochipX", .label("gpiochipX")),
        ]
    )
    func selectorParsing(text: String, expected: GPIOChipSelector) {
        #expect(GPIOChipSelector(parsing: text) == expected)
    }
}
