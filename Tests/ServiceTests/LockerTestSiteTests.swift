import Devices
import Events
import Foundation
import HALSimulated
import Testing

@testable import Service

/// `locker.test` (`floorctl locker test`) on a simulated site: a released lock springs its door open, as a real one
/// does, and a door passes only when it was closed before its unlock and its sensor then saw it open.
@Suite("Locker test on a simulated site", .timeLimit(.minutes(1)))
struct LockerTestSiteTests {
    /// One run of the test: the doors opened by hand beforehand, and the result expected for each door.
    struct Case: CustomTestStringConvertible, Sendable {
        var openBefore: [String]
        var expected: [String: Bool]
        var testDescription: String { "doors open before the test: \(openBefore)" }
    }

    @Test(
        "each door must be closed before its unlock and seen going from closed to open after it",
        arguments: [
            Case(openBefore: [], expected: ["A1": true, "A2": true, "A3": true]),
            Case(openBefore: ["A2"], expected: ["A1": true, "A2": false, "A3": true]),
            Case(openBefore: ["A1", "A3"], expected: ["A1": false, "A2": true, "A3": false]),
        ]
    )
    func closedThenOpen(_ testCase: Case) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("locker-test-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let running = try await LockerOrderSiteTests.RunningSite.start(
            try LockerOrderSiteTests.configuration(in: directory)
        )
        let bank = try await running.bank()
        let control = SiteControl(site: running.site)
        for door in testCase.openBefore {
            let reply = await control.handle(
                ControlRequest(
                    op: "simulate.door",
                    args: ["locker": "lockers-A", "door": .string(door), "state": "open"]
                )
            )
            guard case .result = reply else {
                Issue.record("simulate.door \(door) open failed: \(reply)")
                return
            }
        }
        try await BusSiteTests.eventually("the doors opened by hand read open") {
            try await bank.status().filter(\.open).map(\.door) == testCase.openBefore
        }
        let reply = await control.handle(ControlRequest(op: "locker.test", args: ["locker": "lockers-A"]))
        guard case .result(let result) = reply else {
            Issue.record("locker.test failed: \(reply)")
            return
        }
        guard case .array(let doors) = result["doors"] else {
            Issue.record("locker.test answered without doors: \(result.jsonText)")
            return
        }
        var passed: [String: Bool] = [:]
        for door in doors {
            passed[door["door"]?.stringValue ?? ""] = door["pass"] == true
        }
        #expect(passed == testCase.expected, "\(result.jsonText)")
        for door in doors where testCase.openBefore.contains(door["door"]?.stringValue ?? "") {
            #expect(door["detail"]?.stringValue?.contains("open before the test") == true, "\(door.jsonText)")
        }
        // A door that was open is not unlocked: only the tested doors' locks were released.
        let events = try await running.site.outbox.events(after: 0, limit: 1000)
        let unlocked = Set(events.filter { $0.type == .lockerUnlocked }.compactMap { $0.data["door"]?.stringValue })
        #expect(unlocked == Set(testCase.expected.filter(\.value).keys))
        await running.stop()
    }
}
