import Devices
import Events
import Testing

/// `floorctl serial monitor`'s lines: one per CR, LF or CRLF, or per chunk after a quiet gap, control bytes shown.
@Suite("SerialMonitorFramer")
struct SerialMonitorFramerTests {
    struct VisibleCase: Sendable, CustomTestStringConvertible {
        var bytes: [UInt8]
        var text: String
        var testDescription: String { text }
    }

    @Test(
        "control bytes are shown visibly, never raw",
        arguments: [
            VisibleCase(bytes: Array("HELLO".utf8), text: "HELLO"),
            VisibleCase(bytes: [0x48, 0x0D], text: #"H\r"#),
            VisibleCase(bytes: [0x0D, 0x0A], text: #"\r\n"#),
            VisibleCase(bytes: [0x41, 0x09, 0x42], text: #"A\tB"#),
            VisibleCase(bytes: Array("]C101".utf8) + [0x1D] + Array("10AB".utf8), text: "]C101<GS>10AB"),
            VisibleCase(bytes: [0x4D, 0x2D, 0x3B, 0x02, 0x22, 0x00, 0x11], text: #"M-;\x02"\x00\x11"#),
            VisibleCase(bytes: [0x7F, 0x80, 0xFF, 0x1B], text: #"\x7F\x80\xFF\x1B"#),
            VisibleCase(bytes: [0x5C, 0x72], text: #"\\r"#),
        ]
    )
    func visible(_ row: VisibleCase) {
        #expect(SerialMonitorFramer.visible(row.bytes) == row.text)
    }

    // One byte array from its parts (a chain of `+` over `Array(…utf8)` is too slow for Swift 6.0's type checker).
    static let stream: [UInt8] = [Array("HELLO\rWORLD\r\nUNIX\n]C1A".utf8), [0x1D], Array("B\r".utf8)].flatMap { $0 }
    static let lines = [#"HELLO\r"#, #"WORLD\r\n"#, #"UNIX\n"#, #"]C1A<GS>B\r"#]

    @Test("a CR-only, a CRLF and an LF terminator each end a line, wherever the reads split them", arguments: 0...25)
    func splitAnywhere(at split: Int) {
        var framer = SerialMonitorFramer(quietGapMilliseconds: 100)
        let at = EventTime(millisecondsSinceEpoch: 1_000)
        var texts = framer.feed(Array(Self.stream.prefix(split)), at: at).map(\.text)
        texts += framer.feed(Array(Self.stream.dropFirst(split)), at: at).map(\.text)
        // The last CR waits for a possible LF until the quiet gap.
        #expect(framer.deadline == EventTime(millisecondsSinceEpoch: 1_100))
        texts += framer.expire(at: EventTime(millisecondsSinceEpoch: 1_100)).map(\.text)
        #expect(texts == Self.lines, "split at \(split)")
        #expect(framer.deadline == nil)
    }

    @Test("bytes without a terminator become a line once the port has been quiet for the gap, stamped at the first")
    func quietGap() {
        var framer = SerialMonitorFramer(quietGapMilliseconds: 50)
        #expect(framer.feed([0x02, 0x41], at: EventTime(millisecondsSinceEpoch: 10)).isEmpty)
        #expect(framer.feed([0x42], at: EventTime(millisecondsSinceEpoch: 40)).isEmpty)
        #expect(framer.deadline == EventTime(millisecondsSinceEpoch: 90))
        #expect(framer.expire(at: EventTime(millisecondsSinceEpoch: 89)).isEmpty)
        let lines = framer.expire(at: EventTime(millisecondsSinceEpoch: 90))
        #expect(
            lines == [SerialMonitorFramer.Line(time: EventTime(millisecondsSinceEpoch: 10), bytes: [0x02, 0x41, 0x42])]
        )
        #expect(lines.first?.text == #"\x02AB"#)
        #expect(framer.finish().isEmpty)
    }

    @Test("a line with no terminator is cut at the maximum length")
    func maxLength() {
        var framer = SerialMonitorFramer(quietGapMilliseconds: 50, maxLength: 4)
        let lines = framer.feed(Array("ABCDEFGHI".utf8), at: EventTime(millisecondsSinceEpoch: 0))
        #expect(lines.map(\.text) == ["ABCD", "EFGH"])
        #expect(framer.finish().map(\.text) == ["I"])
    }
}
