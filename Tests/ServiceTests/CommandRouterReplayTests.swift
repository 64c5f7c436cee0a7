import Events
import Locking
import Service
import Testing
import Uplink

/// A replayer that records what it was asked and answers with a fixed report.
final class RecordingReplayer: EventReplayer {
    private let asked = Locked<[EventReplayRange]>([])

    var ranges: [EventReplayRange] { asked.withLock { $0 } }

    func replay(_ range: EventReplayRange) async throws(CommandFailure) -> EventReplayReport {
        asked.withLock { $0.append(range) }
        return EventReplayReport(range: range, replayed: range.count)
    }
}

/// `events.replay` through the router: garbage changes nothing, the controller is the device, and the range goes
/// to the MQTT uplink.
@Suite("Command router: events.replay")
struct CommandRouterReplayTests {
    static func route(_ json: String, replayer: RecordingReplayer?) async throws -> Result<JSONValue?, CommandFailure> {
        let configuration = try SiteConfiguration.parse(
            JSONValue(parsing: CommandRouterTests.site),
            file: "site.json",
            hal: repositoryHALSearch
        )
        let command = try Command(parsing: Array(json.utf8))
        let router = CommandRouter(registry: DeviceRegistry(), configuration: configuration, replayer: { replayer })
        return await router.execute(command)
    }

    @Test(
        "bad arguments or a device other than the controller are refused and nothing is replayed",
        arguments: [
            (#"{"id":"r1","command":"events.replay","device":"controller"}"#, "bad-args"),
            (
                #"{"id":"r2","command":"events.replay","device":"controller","args":{"from":"1","through":2}}"#,
                "bad-args"
            ),
            (#"{"id":"r3","command":"events.replay","device":"controller","args":{"from":9,"through":2}}"#, "bad-args"),
            (
                #"{"id":"r4","command":"events.replay","device":"controller","args":{"from":1,"through":10001}}"#,
                "bad-args"
            ),
            (
                #"{"id":"r5","command":"events.replay","device":"scanner-1","args":{"from":1,"through":2}}"#,
                "unknown-device"
            ),
        ]
    )
    func refused(json: String, code: String) async throws {
        let replayer = RecordingReplayer()
        let result = try await Self.route(json, replayer: replayer)
        guard case .failure(let failure) = result else {
            Issue.record("expected \(code), got \(result)")
            return
        }
        #expect(failure.code == code, "\(failure.detail)")
        #expect(replayer.ranges.isEmpty)
    }

    @Test("a valid replay goes to the uplink; without one it is no-mqtt-uplink")
    func routed() async throws {
        let json = #"{"id":"r6","command":"events.replay","device":"controller","args":{"from":4,"through":9}}"#
        let replayer = RecordingReplayer()
        let result = try await Self.route(json, replayer: replayer)
        #expect(replayer.ranges == [EventReplayRange(from: 4, through: 9)])
        #expect(result == .success(["from": 4, "through": 9, "replayed": 6]))
        guard case .failure(let failure) = try await Self.route(json, replayer: nil) else {
            Issue.record("a replay without an MQTT uplink passed")
            return
        }
        #expect(failure.code == "no-mqtt-uplink")
    }
}
