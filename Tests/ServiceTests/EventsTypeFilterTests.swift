import Events
import Testing

@testable import Service

/// The control socket's `events` `type`: prefixes (`locker.*`, `locker`) and several patterns at once, as
/// `floorctl events --type locker.* --type ptl.lit` sends them.
@Suite("events by type pattern", .timeLimit(.minutes(1)))
struct EventsTypeFilterTests {
    /// A `type` argument and the event types (other than `device.*`) it must select.
    static let patterns: [(JSONValue, [String])] = [
        ("locker.*", ["locker.unlocked", "locker.door.opened"]),
        ("locker", ["locker.unlocked", "locker.door.opened"]),
        ("locker.door", ["locker.door.opened"]),
        ("lock", []),
        (["locker.door.*", "ptl.lit"], ["locker.door.opened", "ptl.lit"]),
        (["ptl.*"], ["ptl.lit"]),
    ]

    @Test("a type, a prefix or several select the stored events they name", arguments: patterns)
    func typePatterns(type: JSONValue, expected: [String]) async throws {
        let technician = try TechnicianSite()
        defer { technician.remove() }
        let running = try await LockerOrderSiteTests.RunningSite.start(technician.configuration)
        let bank = try await running.bank()
        let control = SiteControl(site: running.site)
        try await bank.open(door: "A1", reason: "technician")
        guard
            case .result = await control.handle(
                ControlRequest(op: "ptl.light", args: ["device": "ptl-1", "slot": "S1"])
            )
        else {
            Issue.record("ptl.light failed")
            await running.stop()
            return
        }
        try await BusSiteTests.eventually("the door springs open and is stored") {
            try await running.site.outbox.events(after: 0, limit: 100).contains { $0.type == .lockerDoorOpened }
        }
        let reply = await control.handle(ControlRequest(op: "events", args: ["type": type, "last": 100]))
        guard case .result(let result) = reply, case .array(let events) = result["events"] else {
            Issue.record("events failed: \(reply)")
            await running.stop()
            return
        }
        let types = events.compactMap { $0["type"]?.stringValue }.filter { !$0.hasPrefix("device.") }
        // The door's edge and the lamp's command race, so only the set is fixed.
        #expect(types.sorted() == expected.sorted(), "type \(type.jsonText)")
        await running.stop()
    }

    @Test("a type that is neither a string nor an array of strings is a bad request")
    func badType() async throws {
        let technician = try TechnicianSite()
        defer { technician.remove() }
        let running = try await LockerOrderSiteTests.RunningSite.start(technician.configuration)
        for type: JSONValue in [1, ["scan", 2], ""] {
            let reply = await SiteControl(site: running.site).handle(ControlRequest(op: "events", args: ["type": type]))
            guard case .failure(let error) = reply else {
                Issue.record("type \(type.jsonText) was accepted")
                continue
            }
            #expect(error.code == "bad-request")
        }
        await running.stop()
    }
}
