import Events
import Testing
import Uplink

@Suite("Command intake")
struct CommandIntakeTests {
    // MARK: The signing scheme

    @Test("the worked example in CommandSigning signs to the documented hex")
    func workedExample() async throws {
        let payload = #"""
            {"id":"cmd-42","command":"locker.open","device":"lockers-A","issuedAt":"2026-11-22T10:00:00Z",
             "args":{"reason":"customer-support","door":"A1"},
             "signature":"ce168707429ab1c56b7926a82060c98555494557681410c7d65f442b3e0f7100"}
            """#
        let command = try Command(parsing: Array(payload.utf8))
        #expect(
            CommandSigning.message(for: command)
                == "floorlink-command-v1\ncmd-42\nlocker.open\nlockers-A\n2026-11-22T10:00:00Z\n"
                + #"{"door":"A1","reason":"customer-support"}"#
        )
        // Cross-checked with: printf '%s' "$MESSAGE" | openssl dgst -sha256 -hmac floorlink-example-key-0123456789abcdef
        #expect(
            CommandSigning.signature(for: command, key: CommandFixtures.key)
                == "ce168707429ab1c56b7926a82060c98555494557681410c7d65f442b3e0f7100"
        )
        let target = FakeCommandTarget()
        let intake = try CommandFixtures.intake(target: target)
        let result = await intake.handle(Array(payload.utf8))
        #expect(result == CommandResult(id: "cmd-42", ok: true, data: ["device": "lockers-A"]))
        #expect(target.count == 1)
    }

    @Test("canonical args match Python's json.dumps(sort_keys=True, separators=(',',':'), ensure_ascii=False)")
    func canonicalisation() throws {
        let input = #"""
            {"z":{"b":[1,"x\u0001\u001f\u007f",null,true,false,-0,9007199254740993],"a":"caf\u00e9 \u2603 \ud83d\ude00"},\#
            "\u00e9":"\"\\\n\r\t\b\f\/","A":-12,"a":{},"":[],"\ud83d\ude00":1,"\uff61":2,"line\u2028sep":"\u0000"}
            """#
        // Pasted from python3: json.dumps(json.loads(input), sort_keys=True, separators=(",",":"), ensure_ascii=False)
        let expected =
            #"{"":[],"A":-12,"a":{},"line\#u{2028}sep":"\u0000","z":{"a":"caf\#u{E9} \#u{2603} \#u{1F600}","b":"#
            + #"[1,"x\u0001\u001f\#u{7F}",null,true,false,0,9007199254740993]},"\#u{E9}":"\"\\\n\r\t\b\f/","#
            + #""\#u{FF61}":2,"\#u{1F600}":1}"#
        let args = try JSONValue(parsing: input)
        #expect(CommandSigning.canonical(args) == expected)
        #expect(Array(CommandSigning.canonical(args).utf8) == Array(expected.utf8))
    }

    // MARK: Rejections

    struct Rejection: Sendable, CustomTestStringConvertible {
        var name: String
        var payload: String
        var code: String
        var detail: String
        var id: String?
        var testDescription: String { name }
    }

    static let rejections: [Rejection] = [
        Rejection(name: "not JSON", payload: "{\"id\":", code: "malformed", detail: "not JSON", id: nil),
        Rejection(name: "not an object", payload: "[1,2]", code: "malformed", detail: "payload", id: nil),
        Rejection(
            name: "missing id",
            payload: #"{"command":"device.reset","device":"x"}"#,
            code: "malformed",
            detail: "id:",
            id: nil
        ),
        Rejection(
            name: "id not a string",
            payload: #"{"id":42,"command":"device.reset","device":"x"}"#,
            code: "malformed",
            detail: "id:",
            id: nil
        ),
        Rejection(
            name: "id too long",
            payload: #"{"id":"\#(String(repeating: "a", count: 129))","command":"device.reset","device":"x"}"#,
            code: "malformed",
            detail: "id:",
            id: nil
        ),
        Rejection(
            name: "id with a space",
            payload: #"{"id":"cmd 1","command":"device.reset","device":"x"}"#,
            code: "malformed",
            detail: "id:",
            id: nil
        ),
        Rejection(
            name: "missing command",
            payload: #"{"id":"c1","device":"x"}"#,
            code: "malformed",
            detail: "command:",
            id: "c1"
        ),
        Rejection(
            name: "command not a string",
            payload: #"{"id":"c1","command":7,"device":"x"}"#,
            code: "malformed",
            detail: "command:",
            id: "c1"
        ),
        Rejection(
            name: "unknown command",
            payload: #"{"id":"c1","command":"locker.explode","device":"x"}"#,
            code: "unknown-command",
            detail: "locker.open",
            id: "c1"
        ),
        Rejection(
            name: "missing device",
            payload: #"{"id":"c1","command":"device.reset"}"#,
            code: "malformed",
            detail: "device:",
            id: "c1"
        ),
        Rejection(
            name: "device not a string",
            payload: #"{"id":"c1","command":"device.reset","device":["x"]}"#,
            code: "malformed",
            detail: "device:",
            id: "c1"
        ),
        Rejection(
            name: "args not an object",
            payload: #"{"id":"c1","command":"device.reset","device":"x","args":"door=A1"}"#,
            code: "malformed",
            detail: "args:",
            id: "c1"
        ),
        Rejection(
            name: "float in args",
            payload: #"{"id":"c1","command":"ptl.light","device":"p","args":{"slot":"S1","n":[1,2.5]},"#
                + #""issuedAt":"2026-11-22T10:00:00Z","signature":"00"}"#,
            code: "malformed",
            detail: "args.n[1]:",
            id: "c1"
        ),
        Rejection(
            name: "missing issuedAt on a hardware command",
            payload: #"{"id":"c1","command":"locker.open","device":"l","args":{"door":"A1"},"signature":"00"}"#,
            code: "malformed",
            detail: "issuedAt:",
            id: "c1"
        ),
        Rejection(
            name: "issuedAt with an offset",
            payload: #"{"id":"c1","command":"locker.open","device":"l","issuedAt":"2026-11-22T11:00:00+01:00"}"#,
            code: "malformed",
            detail: "issuedAt:",
            id: "c1"
        ),
        Rejection(
            name: "issuedAt a float",
            payload: #"{"id":"c1","command":"locker.open","device":"l","issuedAt":1795341600.5}"#,
            code: "malformed",
            detail: "issuedAt:",
            id: "c1"
        ),
        Rejection(
            name: "signature not a string",
            payload: #"{"id":"c1","command":"locker.open","device":"l","issuedAt":1795341600,"signature":1}"#,
            code: "malformed",
            detail: "signature:",
            id: "c1"
        ),
        Rejection(
            name: "unsigned hardware command",
            payload: #"{"id":"c1","command":"locker.open","device":"l","issuedAt":1795341600}"#,
            code: "unsigned",
            detail: "must carry",
            id: "c1"
        ),
        Rejection(
            name: "the INTERFACES.md example, unsigned",
            payload: #"{"id":"cmd-42","command":"ptl.light","device":"ptl-1","#
                + #""args":{"slot":"S1","color":"green","task":"pick-7781"}}"#,
            code: "unsigned",
            detail: "ptl.light moves hardware",
            id: "cmd-42"
        ),
        Rejection(
            name: "signature not hex",
            payload: #"{"id":"c1","command":"locker.open","device":"l","issuedAt":1795341600,"signature":"zz"}"#,
            code: "bad-signature",
            detail: "expected exactly 64 lower-case hex digits (0-9, a-f), got 2 characters",
            id: "c1"
        ),
    ]

    @Test("each rejection answers with its code, names the field, logs one line, runs nothing", arguments: rejections)
    func rejected(_ case: Rejection) async throws {
        let target = FakeCommandTarget()
        let log = LogRecorder()
        let intake = try CommandFixtures.intake(target: target, log: log)
        let result = await intake.handle(Array(`case`.payload.utf8))
        #expect(result.ok == false)
        #expect(result.error == `case`.code)
        #expect(result.detail?.contains(`case`.detail) == true, "\(result.detail ?? "nil")")
        #expect(result.id == `case`.id)
        #expect(target.count == 0)
        #expect(log.all.count == 1)
        #expect(log.all.first?.contains("rejected: \(`case`.code)") == true)
    }

    @Test("a payload over 64 KiB is too-large, without being parsed")
    func tooLarge() async throws {
        let filler = String(repeating: "x", count: 65_536)
        let payload = Array(#"{"id":"c1","command":"device.reset","device":"x","args":{"pad":"\#(filler)"}}"#.utf8)
        let intake = try CommandFixtures.intake()
        let result = await intake.handle(payload)
        #expect(result.error == "too-large")
        #expect(result.id == nil)
        let limit = Array(repeating: UInt8(ascii: " "), count: 65_536 - 2)
        let atLimit = await intake.handle([UInt8(ascii: "{")] + limit + [UInt8(ascii: "}")])
        #expect(atLimit.error == "malformed")
    }

    @Test(
        "a payload the transport skipped unread is too-large with a null id and its size, logged",
        arguments: [2, 64]
    )
    func skippedUnread(mebibytes: Int) async throws {
        let target = FakeCommandTarget()
        let log = LogRecorder()
        let intake = try CommandFixtures.intake(target: target, log: log)
        let result = await intake.refuseOversized(byteCount: mebibytes << 20)
        #expect(result.eventData["command"] == .null)
        #expect(result.error == "too-large")
        #expect(result.detail == "payload is \(mebibytes << 20) bytes; commands are limited to 65536")
        #expect(
            log.all == [
                "command (no valid id) (payload of \(mebibytes << 20) bytes, skipped unread) rejected: \(result.error ?? ""): \(result.detail ?? "")"
            ]
        )
        #expect(target.count == 0)
    }

    @Test("a flipped signature digit, another key, or no signature are refused")
    func badSignatures() async throws {
        let target = FakeCommandTarget()
        let intake = try CommandFixtures.intake(target: target)
        var flipped = CommandFixtures.payload(id: "c1")
        let index = try #require(flipped.lastIndex(of: UInt8(ascii: "\"")))
        flipped[index - 1] = flipped[index - 1] == UInt8(ascii: "0") ? UInt8(ascii: "1") : UInt8(ascii: "0")
        #expect(await intake.handle(flipped).error == "bad-signature")
        let wrongKey = CommandFixtures.payload(id: "c2", signedWith: CommandFixtures.otherKey)
        #expect(await intake.handle(wrongKey).error == "bad-signature")
        let unsigned = CommandFixtures.payload(id: "c3", signedWith: nil)
        #expect(await intake.handle(unsigned).error == "unsigned")
        #expect(target.count == 0)
        let good = CommandFixtures.payload(id: "c4")
        #expect(await intake.handle(good).ok)
        #expect(target.count == 1)
    }

    /// The right signature, written another way.
    static let signatureSpellings: [(String, @Sendable (String) -> String)] = [
        ("upper case", { $0.uppercased() }),
        (
            "one upper-case digit",
            { signature in
                guard let index = signature.firstIndex(where: { $0.isLetter }) else { return "no letter" }
                return signature.replacingCharacters(in: index...index, with: signature[index].uppercased())
            }
        ),
        ("a trailing space", { $0 + " " }),
        ("a 0x prefix", { "0x" + $0 }),
    ]

    @Test(
        "a signature that is not exactly 64 lower-case hex digits is bad-signature, even when its value is right",
        arguments: signatureSpellings.map(\.0)
    )
    func signatureSpelling(name: String) async throws {
        let target = FakeCommandTarget()
        let intake = try CommandFixtures.intake(target: target)
        let good = String(decoding: CommandFixtures.payload(id: "c1"), as: UTF8.self)
        let signature = try #require(good.firstMatch(of: /"signature":"([0-9a-f]{64})"/)?.1)
        let spell = try #require(Self.signatureSpellings.first { $0.0 == name }?.1)
        let respelled = good.replacing(signature, with: spell(String(signature)))
        #expect(respelled != good)
        let result = await intake.handle(Array(respelled.utf8))
        #expect(result.error == "bad-signature")
        #expect(result.detail?.contains("64 lower-case hex digits") == true, "\(result.detail ?? "nil")")
        #expect(target.count == 0)
        #expect(await intake.handle(Array(good.utf8)).ok)
    }

    @Test("every hardware command needs the signature; a tampered arg breaks it")
    func hardwareCommandsNeedSignatures() async throws {
        let target = FakeCommandTarget()
        let intake = try CommandFixtures.intake(target: target)
        for name in CommandName.allCases where name.needsSignature {
            let unsigned = CommandFixtures.payload(id: "u-\(name)", command: name.rawValue, signedWith: nil)
            #expect(await intake.handle(unsigned).error == "unsigned")
            let signed = CommandFixtures.payload(id: "s-\(name)", command: name.rawValue)
            #expect(await intake.handle(signed).ok)
        }
        let good = String(decoding: CommandFixtures.payload(id: "t1"), as: UTF8.self)
        let tampered = good.replacing(#""door":"A1""#, with: #""door":"A2""#)
        #expect(await intake.handle(Array(tampered.utf8)).error == "bad-signature")
        #expect(target.count == CommandName.allCases.count)
    }

    @Test("without a configured key, hardware commands are refused with no-command-key")
    func noKey() async throws {
        let intake = try CommandFixtures.intake(key: nil)
        let result = await intake.handle(CommandFixtures.payload())
        #expect(result.error == "no-command-key")
    }

    @Test(
        "an unsigned device.reset is refused unsigned, with or without a key; a signed one runs",
        arguments: [true, false]
    )
    func unsignedReset(withKey: Bool) async throws {
        let target = FakeCommandTarget()
        let intake = try CommandFixtures.intake(key: withKey ? CommandFixtures.key : nil, target: target)
        let unsigned = #"{"id":"r1","command":"device.reset","device":"lockers-A"}"#
        let result = await intake.handle(Array(unsigned.utf8))
        #expect(result.error == "unsigned")
        #expect(result.detail?.contains("device.reset") == true)
        #expect(target.count == 0)
        let signed = CommandFixtures.payload(id: "r2", command: "device.reset", args: "{}")
        #expect(await intake.handle(signed).error == (withKey ? nil : "no-command-key"))
        #expect(target.count == (withKey ? 1 : 0))
    }

    @Test("issuedAt more than 300 s away is stale", arguments: [-301, 301, -3600, 86_400])
    func stale(offsetSeconds: Int64) async throws {
        let target = FakeCommandTarget()
        let intake = try CommandFixtures.intake(target: target)
        let issued = "\(CommandFixtures.nowSeconds + offsetSeconds)"
        let result = await intake.handle(CommandFixtures.payload(issuedAt: issued))
        #expect(result.error == "stale")
        #expect(result.detail?.contains(offsetSeconds < 0 ? "in the past" : "in the future") == true)
        #expect(target.count == 0)
    }

    @Test("issuedAt within 300 s is accepted", arguments: [-299, 299, -300, 300, 0])
    func fresh(offsetSeconds: Int64) async throws {
        let intake = try CommandFixtures.intake()
        let issued = "\(CommandFixtures.nowSeconds + offsetSeconds)"
        #expect(await intake.handle(CommandFixtures.payload(issuedAt: issued)).ok)
        let now = CommandFixtures.now.millisecondsSinceEpoch
        let text = EventTime(millisecondsSinceEpoch: now + offsetSeconds * 1000).description
        #expect(await intake.handle(CommandFixtures.payload(id: "rfc", issuedAt: "\"\(text)\"")).ok)
    }

    @Test(
        "issuedAt forms",
        arguments: [
            "\"2026-11-22T10:00:00Z\"", "\"2026-11-22t10:00:00z\"", "\"2026-11-22T10:00:00+00:00\"",
            "\"2026-11-22T10:00:00.123456789Z\"", "\"1795341600\"", "1795341600",
        ]
    )
    func issuedAtForms(_ issuedAt: String) async throws {
        let intake = try CommandFixtures.intake()
        #expect(await intake.handle(CommandFixtures.payload(issuedAt: issuedAt)).ok)
    }

    @Test("rejections are logged without argument values or the signature")
    func noSecretsInLogs() async throws {
        let log = LogRecorder()
        let intake = try CommandFixtures.intake(log: log)
        let payload = CommandFixtures.payload(
            command: "locker.assign",
            args: #"{"door":"A1","order":"o-1","pickupCode":"secret-4711"}"#,
            issuedAt: "1"
        )
        let text = String(decoding: payload, as: UTF8.self)
        let signature = try #require(text.split(separator: "\"").dropLast().last)
        #expect(await intake.handle(payload).error == "stale")
        #expect(log.all.count == 1)
        #expect(log.all.allSatisfy { !$0.contains("secret-4711") && !$0.contains(signature) })
    }

    // MARK: Duplicates

    @Test("a duplicate is answered with the stored result and not executed again")
    func duplicate() async throws {
        let target = FakeCommandTarget(failures: ["lockers-B": CommandFailure(code: "unknown-door", detail: "no B9")])
        let intake = try CommandFixtures.intake(target: target)
        let payload = CommandFixtures.payload(id: "d1")
        let first = await intake.handle(payload)
        let second = await intake.handle(payload)
        #expect(first.ok)
        #expect(second == first)
        let failing = CommandFixtures.payload(id: "d2", device: "lockers-B")
        let failed = await intake.handle(failing)
        #expect(failed.error == "unknown-door")
        #expect(await intake.handle(failing) == failed)
        #expect(target.count == 2)
    }

    @Test("concurrent duplicates run once")
    func concurrentDuplicates() async throws {
        let target = FakeCommandTarget()
        let intake = try CommandFixtures.intake(target: target)
        let payload = CommandFixtures.payload(id: "c1")
        let results = await withTaskGroup(of: CommandResult.self) { group in
            for _ in 0..<8 { group.addTask { await intake.handle(payload) } }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.allSatisfy { $0.ok })
        #expect(target.count == 1)
    }

    @Test("the same id with different content is id-reused")
    func idReused() async throws {
        let target = FakeCommandTarget()
        let log = LogRecorder()
        let intake = try CommandFixtures.intake(target: target, log: log)
        #expect(await intake.handle(CommandFixtures.payload(id: "x1", args: #"{"door":"A1"}"#)).ok)
        let other = await intake.handle(CommandFixtures.payload(id: "x1", args: #"{"door":"A2"}"#))
        #expect(other.error == "id-reused")
        #expect(other.id == "x1")
        #expect(target.count == 1)
        #expect(log.all.last?.contains("id-reused") == true)
    }

    @Test("a stale duplicate of an executed command is still answered from the record")
    func staleDuplicate() async throws {
        let directory = CommandFixtures.temporaryDirectory()
        let payload = CommandFixtures.payload(id: "late")
        let first = try CommandFixtures.intake(directory: directory)
        #expect(await first.handle(payload).ok)
        let later = EventTime(millisecondsSinceEpoch: CommandFixtures.now.millisecondsSinceEpoch + 3_600_000)
        let target = FakeCommandTarget()
        let second = try CommandFixtures.intake(directory: directory, now: later, target: target)
        #expect(await second.handle(payload).ok)
        #expect(await second.handle(CommandFixtures.payload(id: "late2")).error == "stale")
        #expect(target.count == 0)
    }

    // MARK: Persistence

    @Test("records survive a new CommandIntake on the same directory")
    func persistence() async throws {
        let directory = CommandFixtures.temporaryDirectory()
        let firstTarget = FakeCommandTarget()
        let first = try CommandFixtures.intake(directory: directory, target: firstTarget)
        let payload = CommandFixtures.payload(id: "p1")
        let original = await first.handle(payload)
        #expect(firstTarget.count == 1)

        let secondTarget = FakeCommandTarget()
        let second = try CommandFixtures.intake(directory: directory, target: secondTarget)
        #expect(await second.handle(payload) == original)
        #expect(await second.handle(CommandFixtures.payload(id: "p1", device: "lockers-B")).error == "id-reused")
        #expect(secondTarget.count == 0)
        let lines = CommandFixtures.readFile(directory + "/commands.jsonl").split(separator: "\n")
        #expect(lines.count == 1)
        #expect(lines.first?.hasPrefix(#"{"id":"p1","digest":""#) == true)
    }

    @Test("a torn last line is skipped and the file is repaired")
    func tornLastLine() async throws {
        let directory = CommandFixtures.temporaryDirectory()
        let first = try CommandFixtures.intake(directory: directory)
        let payload = CommandFixtures.payload(id: "t1")
        #expect(await first.handle(payload).ok)
        let path = directory + "/commands.jsonl"
        let whole = CommandFixtures.readFile(path)
        CommandFixtures.writeFile(path, whole + #"{"id":"t2","digest":"ab"#)

        let target = FakeCommandTarget()
        let log = LogRecorder()
        let second = try CommandFixtures.intake(directory: directory, target: target, log: log)
        #expect(log.all.contains { $0.contains("torn last line") })
        #expect(await second.handle(payload).ok)
        #expect(target.count == 0)
        #expect(await second.handle(CommandFixtures.payload(id: "t2")).ok)
        #expect(target.count == 1)
        let lines = CommandFixtures.readFile(path).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 3)
        #expect(lines.last == "")
        #expect(lines.dropLast().allSatisfy { (try? JSONValue(parsing: String($0))) != nil })
    }

    @Test("records older than 7 days are dropped when the ledger is compacted at start")
    func ageCompaction() async throws {
        let directory = CommandFixtures.temporaryDirectory()
        let first = try CommandFixtures.intake(directory: directory)
        let payload = CommandFixtures.payload(id: "old", issuedAt: nil, signedWith: nil)
        let reset = CommandFixtures.payload(id: "old", command: "device.reset", device: "scanner-1", args: "{}")
        #expect(payload.isEmpty == false)
        #expect(await first.handle(reset).ok)
        let eightDays = CommandFixtures.now.millisecondsSinceEpoch + 8 * 86_400_000
        let target = FakeCommandTarget()
        let second = try CommandFixtures.intake(
            directory: directory,
            now: EventTime(millisecondsSinceEpoch: eightDays),
            target: target
        )
        // Signed afresh (a week-old issuedAt is stale); were the old record kept, this would be id-reused.
        let later = CommandFixtures.payload(
            id: "old",
            command: "device.reset",
            device: "scanner-1",
            args: "{}",
            issuedAt: "\(CommandFixtures.nowSeconds + 8 * 86_400)"
        )
        #expect(await second.handle(later).ok)
        #expect(target.count == 1)
    }

    // MARK: Keys and results

    @Test("a key shorter than 32 bytes is a configuration error that says what to do")
    func shortKey() throws {
        #expect(throws: CommandKeyError.self) {
            try CommandFixtures.intake(key: Array("too-short".utf8))
        }
        let directory = CommandFixtures.temporaryDirectory()
        CommandFixtures.writeFile(directory + "/short.key", "0123456789\n")
        do {
            _ = try CommandKey.load(path: directory + "/short.key")
            Issue.record("a 10-byte key was accepted")
        } catch {
            #expect(error.description.contains("holds 10 bytes"))
            #expect(error.description.contains("openssl rand -hex 32"))
        }
        CommandFixtures.writeFile(directory + "/good.key", "floorlink-example-key-0123456789abcdef\n")
        #expect(try CommandKey.load(path: directory + "/good.key") == CommandFixtures.key)
        #expect(throws: CommandKeyError.self) { try CommandKey.load(path: directory + "/missing.key") }
    }

    @Test("eventData is {command, ok, error} plus detail and data when present")
    func eventData() {
        #expect(
            CommandResult(id: "c1", ok: true).eventData.jsonText == #"{"command":"c1","ok":true,"error":null}"#
        )
        let failure = CommandResult(id: nil, failure: CommandFailure(code: "too-large", detail: "big"))
        #expect(failure.eventData.jsonText == #"{"command":null,"ok":false,"error":"too-large","detail":"big"}"#)
    }
}
