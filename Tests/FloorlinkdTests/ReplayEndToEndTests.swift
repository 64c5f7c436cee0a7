import Events
import Foundation
import Glibc
import Service
import TestSupport
import Testing
import Uplink

/// Issue 16, item 3: gap repair against a real broker. floorlinkd answers a signed `events.replay` by publishing
/// the stored events of the range again, byte for byte, on their usual topics; refuses an unsigned or malformed
/// one; names the part beyond its newest seq; and every result it publishes matches `floorctl schema`, the replay's
/// `data` its own schema in the contract (checked by python3-jsonschema).
@Suite("floorlinkd replays stored events on request", .timeLimit(.minutes(3)))
struct ReplayEndToEndTests {
    static let prefix = ContractEndToEndTests.prefix

    @Test(
        "a signed events.replay republishes the range byte for byte; refusals and results match the contract",
        .enabled(if: Mosquitto.clientsAreInstalled, "needs mosquitto and mosquitto-clients"),
        .enabled(if: JSONSchemaValidator.isInstalled, "needs python3-jsonschema")
    )
    func replay() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let broker = try await Mosquitto(directory: scratch.directory)
        defer { broker.remove() }
        let subscriber = try await Subscriber(broker: broker, scratch: scratch)
        defer { subscriber.stop() }
        let daemon = try ContractEndToEndTests.signedDemo(scratch, broker: broker)
        defer { daemon.stop() }
        try await daemon.waitUntilServing()

        /// Every event payload received, by seq, in arrival order.
        func payloads() -> [UInt64: [String]] {
            var bySeq: [UInt64: [String]] = [:]
            for message in subscriber.messages() where message.topic.hasPrefix("\(Self.prefix)/events/") {
                if let seq = message.json?["seq"]?.intValue { bySeq[UInt64(seq), default: []].append(message.payload) }
            }
            return bySeq
        }
        // A few events first (the demo's start-up and its first rounds).
        let newest = try #require(
            await eventually(within: .seconds(60)) { () -> UInt64? in
                let seen = payloads().keys
                return seen.count >= 3 ? seen.max() : nil
            },
            "fewer than 3 events; stderr:\n\(daemon.standardError)"
        )

        func send(_ id: String, _ args: JSONValue, signed: Bool = true) async throws -> JSONValue {
            let payload = try ContractEndToEndTests.payload(id, .eventsReplay, "controller", args, signed: signed)
            let published = try await ChildProcess.run(
                Mosquitto.publisherPath,
                ["-h", "127.0.0.1", "-p", "\(broker.port)", "-q", "1", "-t", "\(Self.prefix)/commands", "-m", payload],
                timeout: .seconds(30)
            )
            try #require(published == 0, "mosquitto_pub exited \(published)")
            let answer = await subscriber.first(within: .seconds(30)) {
                $0.topic == "\(Self.prefix)/commands/results" && $0.json?["command"]?.stringValue == id
            }
            return try #require(answer?.json, "no result for \(id); stderr:\n\(daemon.standardError)")
        }

        // Stored and produced: every event 1…newest is published again, identical to its first publication.
        let replayed = try await send("r-all", ["from": 1, "through": .int(Int64(newest))])
        #expect(replayed["ok"] == true && replayed["error"] == .null, "\(replayed.jsonText)")
        #expect(replayed["data"]?["replayed"]?.intValue == Int64(newest), "\(replayed.jsonText)")
        let copies = await eventually(within: .seconds(30)) { () -> [UInt64: [String]]? in
            let bySeq = payloads()
            return (1...newest).allSatisfy { (bySeq[$0]?.count ?? 0) >= 2 } ? bySeq : nil
        }
        let bySeq = try #require(copies, "not every seq 1…\(newest) arrived twice: \(payloads().mapValues(\.count))")
        for seq in 1...newest {
            #expect(Set(bySeq[seq] ?? []).count == 1, "seq \(seq) came back different: \(bySeq[seq] ?? [])")
        }

        // The first replay holds the slot until the broker has acknowledged all of it, which can come after the
        // subscriber saw the copies; the daemon says when with "events replayed". Asked before that, the next replay
        // is (rightly) refused `replay-busy`.
        let done = await eventually(within: .seconds(30)) {
            daemon.standardError.contains("events replayed") ? true : nil
        }
        try #require(done == true, "no 'events replayed' line; stderr:\n\(daemon.standardError)")

        // After the newest seq: nothing sent, the part named, a code to switch on.
        let beyond = try await send("r-beyond", ["from": 1_000_000, "through": 1_000_004])
        #expect(beyond["ok"] == false && beyond["error"] == "beyond-newest", "\(beyond.jsonText)")
        #expect(beyond["data"]?["replayed"] == 0)
        #expect(beyond["data"]?["beyondNewest"] == ["from": 1_000_000, "through": 1_000_004])

        // A stranger's garbage and bad ranges: refused, nothing replayed.
        let before = subscriber.messages().filter { $0.topic.hasPrefix("\(Self.prefix)/events/") }.count
        let refusals: [(String, JSONValue, Bool, String)] = [
            ("r-unsigned", ["from": 1, "through": 2], false, "unsigned"),
            ("r-garbage", ["from": "x", "through": [1]], true, "bad-args"),
            ("r-reversed", ["from": 5, "through": 2], true, "bad-args"),
            ("r-large", ["from": 1, "through": 10_001], true, "bad-args"),
        ]
        for (id, args, signed, code) in refusals {
            let answer = try await send(id, args, signed: signed)
            #expect(answer["ok"] == false && answer["error"] == .string(code), "\(id): \(answer.jsonText)")
        }
        let replays = subscriber.messages().filter { $0.topic.hasPrefix("\(Self.prefix)/events/") }.dropFirst(before)
        #expect(
            replays.allSatisfy { ($0.json?["seq"]?.intValue).map { $0 > Int64(newest) } ?? false },
            "a refused replay re-published \(replays.map(\.payload))"
        )

        // The contract: everything the daemon published, and the data of both replay results against their schema
        // (a data without "replayed" is refused, so the check is not vacuous).
        try await subscriber.expectMatchesContract(scratch: scratch)
        let schemas = try #require(ContractSchema.asyncAPI["components"]?["schemas"])
        let dataSchema = try #require(schemas[ContractSchema.replayResultDataKey])
        let document: JSONValue = [
            "channels": [
                "replay": [
                    "address": "floorlink/{site}/{controller}/replay-data",
                    "messages": ["replay": ["$ref": "#/components/messages/replay"]],
                ]
            ],
            "components": [
                "messages": ["replay": ["payload": ["$ref": "#/components/schemas/replay"]]],
                "schemas": ["replay": dataSchema],
            ],
        ]
        let samples = [replayed, beyond].compactMap { $0["data"] }.map {
            JSONSchemaValidator.Message(topic: "replay-data", payload: $0.jsonText)
        }
        #expect(samples.count == 2)
        let (status, report) = try await JSONSchemaValidator.validate(
            samples,
            against: document,
            directory: scratch.directory
        )
        #expect(status == 0 && report.isEmpty, "\(report)")
        let bad = JSONSchemaValidator.Message(topic: "replay-data", payload: #"{"from":1,"through":2}"#)
        let refused = try await JSONSchemaValidator.validate([bad], against: document, directory: scratch.directory)
        #expect(refused.status == 1 && refused.report.contains("'replayed' is a required property"), "\(refused)")
    }
}
