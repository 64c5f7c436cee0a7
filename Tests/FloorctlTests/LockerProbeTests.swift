import Events
import Service
import Testing

@Suite("floorctl locker probe against a fake daemon")
struct LockerProbeTests {
    static func probe(boards: [JSONValue]) -> JSONValue {
        [
            "bus": "rs485-1", "protocol": "cu16", "port": "/dev/floorlink/rs485-1", "profile": "kerong-cu16",
            "lockReleasedWhenSet": true, "sensorOpenWhenSet": false, "from": 0, "to": 3, "boards": .array(boards),
        ]
    }

    @Test("probe prints each answering or configured board's raw bits, the polarity in use, and a count")
    func table() async throws {
        let daemon = FakeDaemon(results: [
            "locker.probe": Self.probe(boards: [
                [
                    "address": 1, "configured": true, "answered": true, "locks": "1000000000000000",
                    "sensors": "1111111111111110", "fault": nil,
                ],
                [
                    "address": 2, "configured": true, "answered": false, "locks": nil, "sensors": nil,
                    "fault": "no-reply: no answer within 100 ms",
                ],
            ])
        ])
        let run = try await DaemonCommandTests.run(["locker", "probe", "rs485-1", "--to", "3"], daemon)
        #expect(run.status == 0, "stderr: \(run.standardError)")
        #expect(
            run.standardOutput == """
                Bus rs485-1 (cu16 on /dev/floorlink/rs485-1), addresses 0-3:
                ADDRESS  CONFIGURED  LOCKS 1-16         SENSORS 1-16       NOTE
                1        yes         10000000 00000000  11111111 11111110
                2        yes         -                  -                  no-reply: no answer within 100 ms
                Bits are raw, channel 1 first. This bus reads a set lock bit as released and a set sensor bit as \
                closed (lockReleasedWhenSet, sensorOpenWhenSet in the profile).
                1 of 4 addresses answered.

                """
        )
        #expect(
            daemon.requests == [#"{"id":1,"op":"locker.probe","args":{"bus":"rs485-1","to":3,"timeoutMs":100}}"#]
        )
    }

    @Test("no board answering exits 1; an unknown bus is the daemon's refusal, exit 1")
    func failures() async throws {
        let silent = FakeDaemon(results: ["locker.probe": Self.probe(boards: [])])
        let run = try await DaemonCommandTests.run(["locker", "probe", "rs485-1", "--json"], silent)
        #expect(run.status == 1)
        #expect(run.standardOutput == Self.probe(boards: []).jsonText + "\n")
        let refusing = FakeDaemon { _ in
            .failure(ControlError(code: "unknown-device", message: "no bus \"rs485-9\"; buses are rs485-1"))
        }
        let refused = try await DaemonCommandTests.run(["locker", "probe", "rs485-9"], refusing)
        #expect(refused.status == 1)
        #expect(refused.standardError == "Error: no bus \"rs485-9\"; buses are rs485-1 (unknown-device)\n")
    }

    @Test("a probe address out of range is a usage error, exit 64")
    func usage() async throws {
        let run = try await DaemonCommandTests.run(
            ["locker", "probe", "rs485-1", "--from", "300"],
            FakeDaemon(results: [:])
        )
        #expect(run.status == 64)
        #expect(run.standardError.hasPrefix("Error: "))
    }
}
