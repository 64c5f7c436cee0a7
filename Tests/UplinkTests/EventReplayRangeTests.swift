import Events
import Testing
import Uplink

/// `events.replay`'s arguments: what passes, and each refusal is `bad-args` saying what to fix.
@Suite("events.replay arguments")
struct EventReplayRangeTests {
    /// One args object and what it must give.
    struct Case: Sendable, CustomTestStringConvertible {
        var args: String
        /// The range, or nil when refused.
        var range: (from: UInt64, through: UInt64)?
        /// Part of the refusal's detail.
        var detail: String = ""

        var testDescription: String { args }
    }

    static let accepted: [Case] = [
        Case(args: #"{"from":1,"through":1}"#, range: (1, 1)),
        Case(args: #"{"from":7,"through":42,"other":"ignored"}"#, range: (7, 42)),
        Case(args: #"{"from":1,"through":10000}"#, range: (1, 10_000)),
        Case(args: #"{"from":90001,"through":100000}"#, range: (90_001, 100_000)),
    ]

    static let refused: [Case] = [
        Case(args: #"{}"#, detail: #"needs "from""#),
        Case(args: #"{"through":5}"#, detail: #"needs "from""#),
        Case(args: #"{"from":5}"#, detail: #"needs "through""#),
        Case(args: #"{"from":"5","through":9}"#, detail: #""from" must be a seq"#),
        Case(args: #"{"from":5,"through":"9"}"#, detail: #""through" must be a seq"#),
        Case(args: #"{"from":0,"through":9}"#, detail: #""from" must be a seq"#),
        Case(args: #"{"from":-3,"through":9}"#, detail: #""from" must be a seq"#),
        Case(args: #"{"from":null,"through":9}"#, detail: #""from" must be a seq"#),
        Case(args: #"{"from":true,"through":9}"#, detail: #""from" must be a seq"#),
        Case(args: #"{"from":[1],"through":9}"#, detail: #""from" must be a seq"#),
        Case(args: #"{"from":9,"through":5}"#, detail: #""from" (9) is after "through" (5)"#),
        Case(args: #"{"from":1,"through":10001}"#, detail: "10001 events asked for, at most 10000"),
        Case(
            args: #"{"from":1,"through":9223372036854775807}"#,
            detail: "9223372036854775807 events asked for, at most 10000"
        ),
    ]

    @Test("a valid range is read as given", arguments: accepted)
    func accepts(_ test: Case) throws {
        let range = try EventReplayRange(arguments: JSONValue(parsing: test.args))
        let expected = try #require(test.range)
        #expect(range == EventReplayRange(from: expected.from, through: expected.through))
        #expect(range.count == expected.through - expected.from + 1)
    }

    @Test("bad, reversed, too large or missing arguments are bad-args naming the problem", arguments: refused)
    func refuses(_ test: Case) throws {
        let args = try JSONValue(parsing: test.args)
        #expect(test.range == nil)
        // Not `#expect(throws:)`'s returned error: Debian 13's Swift Testing (6.0) has none.
        var failure: CommandFailure?
        do {
            _ = try EventReplayRange(arguments: args)
        } catch {
            failure = error
        }
        #expect(failure?.code == "bad-args", "\(test.args)")
        #expect(failure?.detail.contains(test.detail) == true, "\(failure?.detail ?? "no failure")")
    }

    @Test("the result says what was replayed and which part was not, with a code to switch on")
    func reportResult() throws {
        let range = EventReplayRange(from: 3, through: 40)
        let complete = EventReplayReport(range: EventReplayRange(from: 3, through: 5), replayed: 3)
        let completeData = try JSONValue(parsing: #"{"from":3,"through":5,"replayed":3}"#)
        #expect(complete.result == .success(completeData))

        let old = EventReplayReport(
            range: range,
            replayed: 26,
            notRetained: EventReplayRange(from: 3, through: 4),
            beyondNewest: EventReplayRange(from: 31, through: 40)
        )
        guard case .failure(let failure) = old.result else {
            Issue.record("a partly deleted range passed as a success")
            return
        }
        #expect(failure.code == "not-retained")
        #expect(failure.detail.contains("3…4"))
        let data = try JSONValue(
            parsing: #"{"from":3,"through":40,"replayed":26,"notRetained":{"from":3,"through":4},"#
                + #""beyondNewest":{"from":31,"through":40}}"#
        )
        #expect(failure.data == data)
        #expect(CommandResult(id: "r1", failure: failure).eventData["data"] == data)

        let ahead = EventReplayReport(range: range, replayed: 28, beyondNewest: EventReplayRange(from: 31, through: 40))
        guard case .failure(let aheadFailure) = ahead.result else {
            Issue.record("a range past the newest seq passed as a success")
            return
        }
        #expect(aheadFailure.code == "beyond-newest")
        #expect(aheadFailure.data?["beyondNewest"] == ["from": 31, "through": 40])
    }
}
