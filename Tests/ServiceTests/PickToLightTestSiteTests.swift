import Events
import Testing

@testable import Service

/// `ptl.test` and `ptl.status` on a simulated site, as `floorctl ptl test` and `floorctl ptl status` use them: each
/// slot lights in turn and its button press (`floorctl simulate press`) is the test's answer.
@Suite("Pick-to-light test and status on a simulated site", .timeLimit(.minutes(1)))
struct PickToLightTestSiteTests {
    @Test("ptl.test waits for each slot's button; the presses pass the slots and are neither faults nor confirmations")
    func buttonTest() async throws {
        let technician = try TechnicianSite()
        defer { technician.remove() }
        let running = try await LockerOrderSiteTests.RunningSite.start(technician.configuration)
        _ = try await running.bank()
        let control = SiteControl(site: running.site)
        func testingSlot() async -> String? {
            guard
                case .result(let status) = await control.handle(
                    ControlRequest(op: "ptl.status", args: ["device": "ptl-1"])
                )
            else { return nil }
            return status["testingSlot"]?.stringValue
        }
        // ptl-1 runs once it answers ptl.status.
        try await BusSiteTests.eventually("ptl-1 runs") {
            await testingSlot() == nil && running.site.registry.pickToLight("ptl-1") != nil
        }
        let test = Task {
            await control.handle(ControlRequest(op: "ptl.test", args: ["device": "ptl-1", "timeoutMs": 50_000]))
        }
        for slot in ["S1", "S2"] {
            try await BusSiteTests.eventually("\(slot) is lit for the test") { await testingSlot() == slot }
            let press = await control.handle(
                ControlRequest(op: "simulate.press", args: ["device": "ptl-1", "slot": .string(slot)])
            )
            guard case .result = press else {
                Issue.record("simulate.press \(slot) failed: \(press)")
                test.cancel()
                await running.stop()
                return
            }
        }
        guard case .result(let result) = await test.value, case .array(let slots) = result["slots"] else {
            Issue.record("ptl.test gave no slots")
            await running.stop()
            return
        }
        #expect(slots.map { $0["slot"]?.stringValue } == ["S1", "S2"])
        #expect(slots.allSatisfy { $0["pass"] == true }, "\(result.jsonText)")
        // (The control socket's `events`, which answers at once when there are none, unlike the outbox's reader.)
        let stored = await control.handle(ControlRequest(op: "events", args: ["device": "ptl-1", "last": 100]))
        guard case .result(let recent) = stored, case .array(let events) = recent["events"] else {
            Issue.record("events failed: \(stored)")
            await running.stop()
            return
        }
        let types = events.compactMap { $0["type"]?.stringValue }
        #expect(!types.contains("device.fault") && !types.contains("ptl.confirmed"), "\(types)")
        await running.stop()
    }

    @Test("ptl.status shows each slot lit or dark with its task and colour")
    func status() async throws {
        let technician = try TechnicianSite()
        defer { technician.remove() }
        let running = try await LockerOrderSiteTests.RunningSite.start(technician.configuration)
        _ = try await running.bank()
        let control = SiteControl(site: running.site)
        let light = ControlRequest(
            op: "ptl.light",
            args: ["device": "ptl-1", "slot": "S2", "color": "red", "task": "pick-9"]
        )
        try await BusSiteTests.eventually("ptl-1 takes a light") {
            if case .result = await control.handle(light) { return true }
            return false
        }
        guard
            case .result(let status) = await control.handle(ControlRequest(op: "ptl.status", args: ["device": "ptl-1"]))
        else {
            Issue.record("ptl.status failed")
            await running.stop()
            return
        }
        #expect(
            status["slots"]?.jsonText
                == #"[{"slot":"S1","lit":false,"task":null,"color":null,"outputs":["default"]},"#
                + #"{"slot":"S2","lit":true,"task":"pick-9","color":"red","outputs":["default"]}]"#
        )
        #expect(status["testing"] == false && status["running"] == true)
        await running.stop()
    }
}
