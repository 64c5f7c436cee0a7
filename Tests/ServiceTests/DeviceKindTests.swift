import Events
import Testing

@testable import Service

/// A control-socket operation on a device of another kind names the mismatch (`wrong-device-kind`), as upstream
/// commands do; only an id the site does not have is `unknown-device`.
@Suite("Control operations on the wrong kind of device", .timeLimit(.minutes(1)))
struct DeviceKindTests {
    /// One control request and the error code it must get.
    struct Case: CustomTestStringConvertible, Sendable {
        var op: String
        var args: JSONValue
        var code: String
        var testDescription: String { "\(op) \(args.jsonText) → \(code)" }
    }

    @Test(
        "a device of the wrong kind is wrong-device-kind, a device the site lacks unknown-device",
        arguments: [
            Case(op: "locker.open", args: ["locker": "ptl-1", "door": "A1"], code: "wrong-device-kind"),
            Case(op: "locker.status", args: ["locker": "ptl-1"], code: "wrong-device-kind"),
            Case(op: "locker.test", args: ["locker": "ptl-1"], code: "wrong-device-kind"),
            Case(op: "locker.unlock-keypad", args: ["locker": "ptl-1", "keypad": "k"], code: "wrong-device-kind"),
            Case(op: "ptl.light", args: ["device": "lockers-A", "slot": "S1"], code: "wrong-device-kind"),
            Case(op: "ptl.test", args: ["device": "lockers-A"], code: "wrong-device-kind"),
            Case(op: "simulate.press", args: ["device": "lockers-A", "slot": "A1"], code: "wrong-device-kind"),
            Case(
                op: "simulate.door",
                args: ["locker": "ptl-1", "door": "S1", "state": "open"],
                code: "wrong-device-kind"
            ),
            Case(op: "simulate.scan", args: ["device": "ptl-1", "text": "x"], code: "wrong-device-kind"),
            Case(op: "locker.open", args: ["locker": "lockers-Z", "door": "A1"], code: "unknown-device"),
            Case(op: "ptl.clear", args: ["device": "ptl-9"], code: "unknown-device"),
            Case(op: "simulate.press", args: ["device": "ptl-9", "slot": "S1"], code: "unknown-device"),
        ]
    )
    func wrongKind(_ testCase: Case) async throws {
        let technician = try TechnicianSite()
        defer { technician.remove() }
        let running = try await LockerOrderSiteTests.RunningSite.start(technician.configuration)
        _ = try await running.bank()
        let reply = await SiteControl(site: running.site).handle(ControlRequest(op: testCase.op, args: testCase.args))
        guard case .failure(let error) = reply else {
            Issue.record("\(testCase.op) succeeded: \(reply)")
            await running.stop()
            return
        }
        #expect(error.code == testCase.code, "\(error)")
        await running.stop()
    }
}
