import Events
import Testing

@Suite("Event envelope")
struct EventTests {
    static let sample = Event(
        id: EventID(high: 0x0193_A1C2_0000_7000, low: 0x8000_0000_0000_0001),
        seq: 1042,
        site: "ams-1",
        controller: "dock-03",
        device: "scanner-1",
        type: .scan,
        time: EventTime(millisecondsSinceEpoch: 1_795_341_600_123),
        data: ["symbology": "gs1-128", "aim": "]C1", "text": "0109506000134352", "gs1": ["01": "09506000134352"]]
    )

    @Test("the wire form is pinned: member order, UTC milliseconds, canonical UUID")
    func pinnedJSON() {
        #expect(
            Self.sample.jsonText
                == #"{"v":1,"id":"0193a1c2-0000-7000-8000-000000000001","seq":1042,"site":"ams-1","#
                + #""controller":"dock-03","device":"scanner-1","type":"scan","time":"2026-11-22T10:00:00.123Z","#
                + #""data":{"symbology":"gs1-128","aim":"]C1","text":"0109506000134352","gs1":{"01":"09506000134352"}}}"#
        )
    }

    @Test("strings are escaped and numbers written as JSON has them, in the envelope as in data")
    func escapingAndNumbers() {
        let event = Event(
            id: EventID(high: 0, low: .max),
            seq: UInt64(Int64.max),
            site: "a\"b",
            controller: "c\\d",
            device: "dév-漢",
            type: EventType(rawValue: "x\ny"),
            time: EventTime(millisecondsSinceEpoch: 253_402_300_799_999),
            data: [
                "text": "\u{1D}\r\t\u{01}😀", "min": .int(.min), "zero": 0, "half": .double(0.5),
                "infinite": .double(.infinity), "list": [nil, true, false, [], [:]],
            ]
        )
        #expect(
            event.jsonText
                == #"{"v":1,"id":"00000000-0000-0000-ffff-ffffffffffff","seq":9223372036854775807,"site":"a\"b","#
                + #""controller":"c\\d","device":"dév-漢","type":"x\ny","time":"9999-12-31T23:59:59.999Z","#
                + #""data":{"text":"\u001d\r\t\u0001😀","min":-9223372036854775808,"zero":0,"half":0.5,"#
                + #""infinite":null,"list":[null,true,false,[],{}]}}"#
        )
        #expect(event.jsonBytes == Array(event.json.jsonText.utf8))
    }

    @Test("an event read back from its JSON is the same event")
    func roundTrip() throws {
        let parsed = try Event(json: JSONValue(parsing: Self.sample.jsonText))
        #expect(parsed == Self.sample)
    }

    @Test(
        "an envelope with a missing or mistyped member names the field",
        arguments: [
            (#"{"v":2}"#, "v"),
            (#"{"v":1,"id":"nope"}"#, "id"),
            (#"{"v":1,"id":"0193a1c2-0000-7000-8000-000000000001","seq":-1}"#, "seq"),
            (
                #"{"v":1,"id":"0193a1c2-0000-7000-8000-000000000001","seq":1,"time":"yesterday"}"#,
                "time"
            ),
        ]
    )
    func badEnvelope(json: String, field: String) throws {
        #expect {
            _ = try Event(json: JSONValue(parsing: json))
        } throws: { error in
            (error as? EventDecodingError)?.field == field
        }
    }

    @Test(
        "times are written as UTC with milliseconds and read back",
        arguments: [
            (Int64(0), "1970-01-01T00:00:00.000Z"),
            (951_782_400_000, "2000-02-29T00:00:00.000Z"),
            (1_795_341_600_123, "2026-11-22T10:00:00.123Z"),
            (-1, "1969-12-31T23:59:59.999Z"),
        ]
    )
    func times(milliseconds: Int64, text: String) {
        #expect(EventTime(millisecondsSinceEpoch: milliseconds).description == text)
        #expect(EventTime(parsing: text)?.millisecondsSinceEpoch == milliseconds)
    }

    @Test(
        "a time whose year has other than four digits is written in full",
        arguments: [
            (Int64(253_402_300_800_000), "10000-01-01T00:00:00.000Z"),
            (-62_135_596_800_001, "0000-12-31T23:59:59.999Z"),
        ]
    )
    func unusualYears(milliseconds: Int64, text: String) {
        #expect(EventTime(millisecondsSinceEpoch: milliseconds).description == text)
    }

    @Test(
        "ids are written in the canonical lowercase 8-4-4-4-12 form and read back",
        arguments: [
            (UInt64(0), UInt64(0)), (.max, .max), (0x0193_A1C2_0000_7000, 0x8000_0000_0000_0001),
            (0x0123_4567_89AB_CDEF, 0xFEDC_BA98_7654_3210),
        ]
    )
    func ids(high: UInt64, low: UInt64) {
        func hex(_ word: UInt64) -> String {
            let digits = String(word, radix: 16)
            return String(repeating: "0", count: 16 - digits.count) + digits
        }
        let digits = Array(hex(high) + hex(low))
        let expected = [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { String(digits[$0]) }.joined(separator: "-")
        #expect(EventID(high: high, low: low).description == expected)
        #expect(EventID(parsing: expected) == EventID(high: high, low: low))
    }

    @Test(
        "a time whose separators are not RFC 3339's is refused",
        arguments: [
            "2026-11-22X10:00:00Z", "2026/11/22T10:00:00Z", "2026-11-22T10-00-00Z", "2026-11-22T10:00:00,123Z",
            "2026-11-22 10:00:00Z", "2026-11-22T10:00:00.123+", "2026-11-22T10:00:60Z",
        ]
    )
    func malformedTimes(text: String) {
        #expect(EventTime(parsing: text) == nil)
    }

    @Test("ids are UUID version 7, variant 10, and sort by time then sequence")
    func ids() {
        var generator = SystemRandom()  // not SystemRandomNumberGenerator: see SystemRandom
        let time = EventTime(millisecondsSinceEpoch: 1_795_341_600_123)
        let first = EventID(time: time, sequence: 1, using: &generator)
        let second = EventID(time: time, sequence: 2, using: &generator)
        let later = EventID(time: EventTime(millisecondsSinceEpoch: 1_795_341_600_124), sequence: 0, using: &generator)
        #expect(first < second && second < later)
        let text = first.description
        #expect(text.count == 36)
        #expect(Array(text)[14] == "7")
        #expect("89ab".contains(Array(text)[19]))
        #expect(EventID(parsing: text) == first)
    }
}

@Suite("JSON parser")
struct JSONParserTests {
    @Test(
        "valid documents parse with members in document order",
        arguments: [
            (#"{"b":1,"a":[true,false,null],"c":{"d":-2.5e3}}"#, #"{"b":1,"a":[true,false,null],"c":{"d":-2500.0}}"#),
            (#" [ ] "#, "[]"),
            (#""\u00e9\ud83d\ude00\n\"""#, #""é😀\n\"""#),
            ("9223372036854775807", "9223372036854775807"),
        ]
    )
    func valid(input: String, output: String) throws {
        #expect(try JSONValue(parsing: input).jsonText == output)
    }

    @Test(
        "invalid documents are refused with the byte offset and what was expected",
        arguments: [
            ("", 0), ("{", 1), (#"{"a" 1}"#, 5), ("[1,]", 3), ("tru", 0), ("01", 1), (#""\x""#, 2),
            (#"{"a":1,"a":2}"#, 10), ("1 2", 2), (#""\ud800""#, 7), ("\"\u{01}\"", 1), ("-", 1), ("1e", 2),
        ]
    )
    func invalid(input: String, offset: Int) {
        #expect {
            _ = try JSONValue(parsing: input)
        } throws: { error in
            (error as? JSONParseError)?.offset == offset
        }
    }

    @Test("nesting beyond the limit is refused, not a stack overflow")
    func deepNesting() {
        let deep = String(repeating: "[", count: 100_000)
        #expect(throws: JSONParseError.self) { try JSONValue(parsing: deep) }
    }

    @Test("bytes that are not UTF-8 inside a string are refused")
    func invalidUTF8() {
        #expect(throws: JSONParseError.self) { try JSONValue(parsing: [0x22, 0xFF, 0x22]) }
    }

    @Test("random byte soup never traps")
    func soup() {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        let alphabet = Array(#"{}[]:,"\0123456789.eE+-truefalsnl abc"#.utf8) + [0xFF, 0x00, 0x1D]
        for _ in 0..<5000 {
            var bytes: [UInt8] = []
            for _ in 0..<Int(state % 24) {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                bytes.append(alphabet[Int(state >> 33) % alphabet.count])
            }
            _ = try? JSONValue(parsing: bytes)
        }
    }
}
