import Events
import Testing

@testable import Outbox

/// The cursor file's two lines, written in turn in place: what a power cut in the middle of a store leaves behind
/// is read as an earlier cursor (duplicates), never as a later or invented one (loss).
struct CursorFileTests {
    @Test("a new file holds the cursor on both lines", arguments: [0, 1, 42, 9_999_999_999] as [UInt64])
    func newFile(seq: UInt64) {
        let bytes = CursorFile.file(seq)
        #expect(bytes.count == CursorFile.fileBytes)
        #expect(CursorFile.decode(bytes)?.seq == seq)
        let digits = String(repeating: "0", count: 20 - String(seq).count) + String(seq)
        let line = digits + " " + Hex.padded(CRC32C.checksum(Array(digits.utf8))) + "\n"
        #expect(String(decoding: bytes, as: UTF8.self) == line + line)
    }

    @Test(
        "the higher valid line wins, whichever line holds it",
        arguments: [(7, 8), (8, 7), (5, 5)] as [(UInt64, UInt64)]
    )
    func higherLineWins(first: UInt64, second: UInt64) {
        let contents = CursorFile.decode(CursorFile.line(first) + CursorFile.line(second))
        #expect(contents?.seq == max(first, second))
        if first != second { #expect(contents?.line == (first > second ? 0 : 1)) }
    }

    /// A store of 10 over the line holding 8 (the other holds 9), cut after every possible byte count.
    @Test("a store cut short by a power cut reads as the cursor before it", arguments: 0...CursorFile.lineBytes)
    func tornStore(writtenBytes: Int) {
        let old = CursorFile.line(8)
        let new = CursorFile.line(10)
        let torn = Array(new.prefix(writtenBytes) + old.dropFirst(writtenBytes))
        let contents = CursorFile.decode(CursorFile.line(9) + torn)
        // Complete once all but the newline (the same in both) is written.
        #expect(contents?.seq == (writtenBytes >= CursorFile.lineBytes - 1 ? 10 : 9))
    }

    @Test(
        "the one-number format of earlier versions is read",
        arguments: [("7\n", 7), ("7", 7), ("0\n", 0), ("281474976710655\n", 281_474_976_710_655)] as [(String, UInt64)]
    )
    func earlierFormat(text: String, seq: UInt64) {
        #expect(CursorFile.decode(Array(text.utf8)) == CursorFile.Contents(seq: seq, line: nil))
    }

    @Test(
        "damage on both lines, or a number out of range, is no cursor",
        arguments: [
            String(repeating: "x", count: CursorFile.fileBytes),
            String(repeating: "\u{0}", count: CursorFile.fileBytes),
            // Both lines with a checksum that does not match their digits.
            "00000000000000000007 00000000\n00000000000000000008 00000000\n",
            "", "\n", " 7\n", "-1\n", "18446744073709551615\n", "7 \n",
        ]
    )
    func noCursor(text: String) {
        #expect(CursorFile.decode(Array(text.utf8)) == nil)
    }

    @Test("a line whose checksum matches a seq beyond the outbox's range is not valid")
    func lineBeyondRange() {
        let beyond = CursorFile.line(RecordFormat.maximumSeq + 1)
        #expect(CursorFile.decode(beyond + CursorFile.line(3))?.seq == 3)
        #expect(CursorFile.decode(beyond + beyond) == nil)
    }
}
