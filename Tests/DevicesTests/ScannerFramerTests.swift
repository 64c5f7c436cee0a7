import Devices
import HAL
import Testing

/// A framer output reduced to what the tests assert: frame text, or fault reason and running count.
enum Framed: Hashable, CustomStringConvertible {
    case frame(String)
    case fault(String, Int)

    init(_ output: ScannerFramer.Output) {
        switch output {
        case .frame(let bytes): self = .frame(String(decoding: bytes, as: UTF8.self))
        case .fault(let fault): self = .fault(fault.reason, fault.count)
        }
    }

    var description: String {
        switch self {
        case .frame(let text): "frame(\(text.debugDescription))"
        case .fault(let reason, let count): "fault(\(reason) #\(count))"
        }
    }
}

struct FramerCase: Sendable, CustomStringConvertible, CustomTestStringConvertible {
    let name: String
    let configuration: ScannerFramer.Configuration
    let input: [UInt8]
    let expected: [Framed]

    var description: String { name }
    var testDescription: String { name }
}

private let tooLong = FrameFault.Reason.frameTooLong
private let stx: UInt8 = 0x02
private let etx: UInt8 = 0x03

/// The parts one after another (a function rather than `+` chains, which Swift 6.0 cannot type-check in time inside
/// this table).
private func joined(_ parts: [UInt8]...) -> [UInt8] { parts.flatMap { $0 } }

let framerCases: [FramerCase] = [
    FramerCase(
        name: "cr terminator",
        configuration: .init(terminator: .cr),
        input: ascii("4006381333931\rABC-123\r"),
        expected: [.frame("4006381333931"), .frame("ABC-123")]
    ),
    FramerCase(
        name: "lf terminator",
        configuration: .init(terminator: .lf),
        input: ascii("4006381333931\nABC-123\n"),
        expected: [.frame("4006381333931"), .frame("ABC-123")]
    ),
    FramerCase(
        name: "crlf terminator keeps a lone CR as data",
        configuration: .init(terminator: .crlf),
        input: ascii("A1\r\nB\rC\r\n"),
        expected: [.frame("A1"), .frame("B\rC")]
    ),
    FramerCase(
        name: "crlf with CR CR LF keeps the first CR",
        configuration: .init(terminator: .crlf),
        input: ascii("A\r\r\nB\r\r\r\n"),
        expected: [.frame("A\r"), .frame("B\r\r")]
    ),
    FramerCase(
        name: "crlf holds a trailing CR until the next byte",
        configuration: .init(terminator: .crlf),
        input: ascii("A\r\nB\r"),
        expected: [.frame("A")]
    ),
    FramerCase(
        name: "blank lines are dropped",
        configuration: .init(terminator: .lf),
        input: ascii("\n\nA\n\n\nB\n"),
        expected: [.frame("A"), .frame("B")]
    ),
    FramerCase(
        name: "cr configured with crlf input keeps the LF as data",
        configuration: .init(terminator: .cr),
        input: ascii("A\r\nB\r\n"),
        expected: [.frame("A"), .frame("\nB")]
    ),
    FramerCase(
        name: "unterminated tail waits",
        configuration: .init(terminator: .cr),
        input: ascii("A\rPART"),
        expected: [.frame("A")]
    ),
    FramerCase(
        name: "prefix and suffix stripped when present",
        configuration: .init(terminator: .cr, prefix: [stx], suffix: [etx]),
        input: joined([stx], ascii("ABC"), [etx, 0x0D], ascii("XYZ\r"), [stx], ascii("P\r"), ascii("S"), [etx, 0x0D]),
        expected: [.frame("ABC"), .frame("XYZ"), .frame("P"), .frame("S")]
    ),
    FramerCase(
        name: "multi-byte prefix and suffix; a frame of only framing bytes is dropped",
        configuration: .init(terminator: .lf, prefix: ascii("]C0"), suffix: ascii("#!")),
        input: ascii("]C0CODE#!\n]C0#!\n]C\n#!\n"),
        expected: [.frame("CODE"), .frame("]C")]
    ),
    FramerCase(
        name: "frame of exactly maxFrameLength is kept",
        configuration: .init(terminator: .cr, maxFrameLength: 4),
        input: ascii("ABCD\r"),
        expected: [.frame("ABCD")]
    ),
    FramerCase(
        name: "over-long frame faults once and resynchronises at the terminator",
        configuration: .init(terminator: .cr, maxFrameLength: 4),
        input: ascii("ABCDEFGHIJ\rXY\rLONGER\rOK\r"),
        expected: [.fault(tooLong, 1), .frame("XY"), .fault(tooLong, 2), .frame("OK")]
    ),
    FramerCase(
        name: "over-long crlf frame resynchronises and CRs count as data",
        configuration: .init(terminator: .crlf, maxFrameLength: 3),
        input: ascii("AB\r\r\rX\r\nAB\r\n"),
        expected: [.fault(tooLong, 1), .frame("AB")]
    ),
    FramerCase(
        name: "over-long measured before stripping",
        configuration: .init(terminator: .lf, prefix: [stx], maxFrameLength: 3),
        input: joined([stx], ascii("ABC\n"), [stx], ascii("AB\n")),
        expected: [.fault(tooLong, 1), .frame("AB")]
    ),
    FramerCase(
        name: "binary and NUL bytes are data",
        configuration: .init(terminator: .lf),
        input: [0x00, 0xFF, 0x7E, 0x0D, 0x0A, 0x00, 0x0A],
        expected: [.frame("\u{0}\u{FFFD}~\r"), .frame("\u{0}")]
    ),
]

@Suite("ScannerFramer")
struct ScannerFramerTests {
    private func run(_ configuration: ScannerFramer.Configuration, _ chunks: [ArraySlice<UInt8>]) -> [Framed] {
        var framer = ScannerFramer(configuration: configuration)
        return chunks.flatMap { framer.append($0, at: .zero) }.map(Framed.init)
    }

    @Test("frames a whole stream", arguments: framerCases)
    func wholeStream(_ testCase: FramerCase) {
        #expect(run(testCase.configuration, [testCase.input[...]]) == testCase.expected)
    }

    @Test("frames identically when split at every byte position", arguments: framerCases)
    func everySplit(_ testCase: FramerCase) {
        for cut in 0...testCase.input.count {
            let chunks = pieces(of: testCase.input, cutAt: [cut])
            #expect(run(testCase.configuration, chunks) == testCase.expected, "cut at \(cut)")
        }
        let oneByteAtATime = testCase.input.indices.map { testCase.input[$0...$0] }
        #expect(run(testCase.configuration, oneByteAtATime) == testCase.expected, "byte by byte")
    }

    @Test("terminator modes never ask for expiry")
    func noDeadlineWithTerminator() {
        var framer = ScannerFramer(configuration: .init(terminator: .crlf))
        _ = framer.append(ascii("PARTIAL"), at: at(ms: 0))
        #expect(framer.deadline == nil)
        #expect(framer.expire(at: at(ms: 1_000_000)).isEmpty)
    }

    @Test("reset discards the partial frame")
    func resetDiscardsPartial() {
        var framer = ScannerFramer(configuration: .init(terminator: .crlf))
        #expect(framer.append(ascii("STALE\r"), at: .zero).isEmpty)
        framer.reset()
        #expect(framer.append(ascii("\nFRESH\r\n"), at: .zero).map(Framed.init) == [.frame("\nFRESH")])
    }

    @Test("fault counts survive reset")
    func faultCountsSurviveReset() {
        var framer = ScannerFramer(configuration: .init(terminator: .cr, maxFrameLength: 1))
        #expect(framer.append(ascii("AB\r"), at: .zero).map(Framed.init) == [.fault(tooLong, 1)])
        framer.reset()
        #expect(framer.append(ascii("CD\r"), at: .zero).map(Framed.init) == [.fault(tooLong, 2)])
    }

    @Test("a non-positive maxFrameLength is clamped instead of trapping")
    func clampsMaxFrameLength() {
        let configuration = ScannerFramer.Configuration(terminator: .lf, maxFrameLength: -5)
        #expect(configuration.maxFrameLength == 1)
        var framer = ScannerFramer(configuration: configuration)
        #expect(framer.append(ascii("A\nBB\n"), at: .zero).map(Framed.init) == [.frame("A"), .fault(tooLong, 1)])
    }
}

@Suite("ScannerFramer gap mode")
struct ScannerFramerGapTests {
    private let gap = Duration.milliseconds(50)

    private func framer(maxFrameLength: Int = 4096) -> ScannerFramer {
        ScannerFramer(configuration: .init(terminator: .none(gap: gap), maxFrameLength: maxFrameLength))
    }

    @Test("a frame ends exactly when the gap has elapsed since the last byte")
    func endsAfterGap() {
        var framer = framer()
        #expect(framer.deadline == nil)
        #expect(framer.append(ascii("AB"), at: at(ms: 0)).isEmpty)
        #expect(framer.deadline == at(ms: 50))
        #expect(framer.append(ascii("C"), at: at(ms: 10)).isEmpty)
        #expect(framer.deadline == at(ms: 60))
        #expect(framer.expire(at: at(ms: 59)).isEmpty)
        #expect(framer.expire(at: at(ms: 60)).map(Framed.init) == [.frame("ABC")])
        #expect(framer.deadline == nil)
        #expect(framer.expire(at: at(ms: 500)).isEmpty)
    }

    @Test("bytes after a missed expiry first close the earlier frame")
    func lateAppendClosesEarlierFrame() {
        var framer = framer()
        _ = framer.append(ascii("FIRST"), at: at(ms: 0))
        #expect(framer.append(ascii("SECOND"), at: at(ms: 80)).map(Framed.init) == [.frame("FIRST")])
        #expect(framer.deadline == at(ms: 130))
        #expect(framer.expire(at: at(ms: 200)).map(Framed.init) == [.frame("SECOND")])
    }

    @Test("an empty append does not extend the frame")
    func emptyAppendKeepsDeadline() {
        var framer = framer()
        _ = framer.append(ascii("A"), at: at(ms: 0))
        #expect(framer.append([UInt8](), at: at(ms: 40)).isEmpty)
        #expect(framer.deadline == at(ms: 50))
    }

    @Test("bytes at the same instant split at every position give the same frame")
    func sameInstantSplits() {
        let input = ascii("0123456789")
        for cut in 0...input.count {
            var framer = framer()
            var outputs: [Framed] = []
            for chunk in pieces(of: input, cutAt: [cut]) {
                outputs += framer.append(chunk, at: at(ms: 5)).map(Framed.init)
            }
            outputs += framer.expire(at: at(ms: 55)).map(Framed.init)
            #expect(outputs == [.frame("0123456789")], "cut at \(cut)")
        }
    }

    @Test("an over-long gap frame faults once and is discarded until the line goes quiet")
    func overLongInGapMode() {
        var framer = framer(maxFrameLength: 3)
        #expect(framer.append(ascii("ABCDE"), at: at(ms: 0)).map(Framed.init) == [.fault(tooLong, 1)])
        #expect(framer.append(ascii("FGHIJ"), at: at(ms: 30)).isEmpty)
        #expect(framer.deadline == at(ms: 80))
        #expect(framer.expire(at: at(ms: 80)).isEmpty)
        #expect(framer.deadline == nil)
        #expect(framer.append(ascii("OK"), at: at(ms: 100)).isEmpty)
        #expect(framer.expire(at: at(ms: 150)).map(Framed.init) == [.frame("OK")])
    }

    @Test("CR and LF are data in gap mode")
    func terminatorBytesAreData() {
        var framer = framer()
        _ = framer.append(ascii("A\r\n"), at: at(ms: 0))
        #expect(framer.expire(at: at(ms: 50)).map(Framed.init) == [.frame("A\r\n")])
    }

    @Test("reset drops the partial frame and its deadline")
    func resetInGapMode() {
        var framer = framer()
        _ = framer.append(ascii("HALF"), at: at(ms: 0))
        framer.reset()
        #expect(framer.deadline == nil)
        #expect(framer.expire(at: at(ms: 100)).isEmpty)
    }

    @Test("an instant earlier than the last byte does not trap or expire")
    func timeGoingBackwards() {
        var framer = framer()
        _ = framer.append(ascii("A"), at: at(ms: 100))
        #expect(framer.expire(at: at(ms: 10)).isEmpty)
        #expect(framer.append(ascii("B"), at: at(ms: 20)).isEmpty)
        #expect(framer.expire(at: at(ms: 70)).map(Framed.init) == [.frame("AB")])
    }
}

struct TerminatorStringCase: Sendable, CustomStringConvertible, CustomTestStringConvertible {
    let name: String
    let terminator: String
    let gapMs: Int?
    let expected: ScannerFramer.Configuration.Terminator

    var description: String { name }
    var testDescription: String { name }
}

struct BadTerminatorStringCase: Sendable, CustomStringConvertible, CustomTestStringConvertible {
    let name: String
    let terminator: String
    let gapMs: Int?
    let maxFrameLength: Int
    let expected: ScannerFramer.ConfigurationError

    var description: String { name }
    var testDescription: String { name }
}

@Suite("ScannerFramer.Configuration from config-file values")
struct ScannerFramerConfigurationTests {
    static let good: [TerminatorStringCase] = [
        .init(name: "CR", terminator: "\r", gapMs: nil, expected: .cr),
        .init(name: "LF", terminator: "\n", gapMs: nil, expected: .lf),
        .init(name: "CRLF", terminator: "\r\n", gapMs: nil, expected: .crlf),
        .init(name: "gap 50 ms", terminator: "", gapMs: 50, expected: .none(gap: .milliseconds(50))),
    ]

    static let bad: [BadTerminatorStringCase] = [
        .init(name: "unknown", terminator: "\t", gapMs: nil, maxFrameLength: 10, expected: .unknownTerminator("\t")),
        .init(
            name: "LFCR is not CRLF",
            terminator: "\n\r",
            gapMs: nil,
            maxFrameLength: 10,
            expected: .unknownTerminator("\n\r")
        ),
        .init(name: "gap mode without gap", terminator: "", gapMs: nil, maxFrameLength: 10, expected: .missingGap),
        .init(name: "zero gap", terminator: "", gapMs: 0, maxFrameLength: 10, expected: .nonPositiveGap(0)),
        .init(
            name: "gap with CR",
            terminator: "\r",
            gapMs: 20,
            maxFrameLength: 10,
            expected: .gapWithTerminator("\r")
        ),
        .init(
            name: "zero max length",
            terminator: "\n",
            gapMs: nil,
            maxFrameLength: 0,
            expected: .nonPositiveMaxFrameLength(0)
        ),
    ]

    @Test("accepts the documented terminator strings", arguments: good)
    func accepts(_ testCase: TerminatorStringCase) throws {
        let configuration = try ScannerFramer.Configuration(
            terminator: testCase.terminator,
            gapMs: testCase.gapMs,
            prefix: [0x02],
            suffix: [0x03],
            maxFrameLength: 64
        )
        #expect(configuration.terminator == testCase.expected)
        #expect(configuration.prefix == [0x02])
        #expect(configuration.suffix == [0x03])
        #expect(configuration.maxFrameLength == 64)
    }

    @Test("rejects unusable values with a specific error", arguments: bad)
    func rejects(_ testCase: BadTerminatorStringCase) {
        #expect(throws: testCase.expected) {
            try ScannerFramer.Configuration(
                terminator: testCase.terminator,
                gapMs: testCase.gapMs,
                maxFrameLength: testCase.maxFrameLength
            )
        }
        #expect(!testCase.expected.description.isEmpty)
    }

    @Test("defaults maxFrameLength to 4096")
    func defaultMaxLength() throws {
        #expect(try ScannerFramer.Configuration(terminator: "\n").maxFrameLength == 4096)
    }
}

@Suite("ScannerFramer first frame after an open")
struct ScannerFramerFirstFrameTests {
    private static let partial = FrameFault.Reason.partialFrame
    private let quiet = ScannerFramer.FirstFrameCheck.quietGap(.milliseconds(100))

    @Test(
        "the first frame after an open is judged by its check; frames after it are not",
        arguments: [
            (
                ScannerFramer.FirstFrameCheck.aimIdentifier, "00001\r\n]C0NEXT\r\n",
                [Framed.fault(Self.partial, 1), .frame("]C0NEXT")]
            ),
            (.aimIdentifier, "]C0WHOLE\r\n00002\r\n", [.frame("]C0WHOLE"), .frame("00002")]),
            (.aimIdentifier, "]C\r\nNEXT\r\n", [.fault(Self.partial, 1), .frame("NEXT")]),
            (.prefix, "\u{02}WHOLE\r\nNEXT\r\n", [.frame("WHOLE"), .frame("NEXT")]),
            (.prefix, "TAIL\r\n\u{02}NEXT\r\n", [.fault(Self.partial, 1), .frame("NEXT")]),
        ]
    )
    func judgedByMarker(check: ScannerFramer.FirstFrameCheck, wire: String, expected: [Framed]) {
        var framer = ScannerFramer(configuration: .init(terminator: .crlf, prefix: [0x02]))
        framer.portOpened(at: .zero, check: check)
        #expect(framer.append(ascii(wire), at: .zero).map(Framed.init) == expected)
    }

    @Test("a lone terminator left from a cut read is no frame, and the check waits for the first real one")
    func emptyFrameKeepsTheCheck() {
        var framer = ScannerFramer(configuration: .init(terminator: .crlf))
        framer.portOpened(at: .zero, check: .aimIdentifier)
        #expect(framer.append(ascii("\r\n"), at: .zero).isEmpty)
        #expect(framer.append(ascii("00001\r\n"), at: .zero).map(Framed.init) == [.fault(Self.partial, 1)])
    }

    @Test("an over-long first frame is one frame-too-long fault, and the next frame is taken")
    func overLongFirstFrame() {
        var framer = ScannerFramer(configuration: .init(terminator: .cr, maxFrameLength: 4))
        framer.portOpened(at: .zero, check: .aimIdentifier)
        #expect(
            framer.append(ascii("123456789\rOK\r"), at: .zero).map(Framed.init)
                == [.fault(FrameFault.Reason.frameTooLong, 1), .frame("OK")]
        )
    }

    @Test("the quiet gap is counted from the open, then from the last byte before the frame")
    func quietGap() {
        var framer = ScannerFramer(configuration: .init(terminator: .crlf))
        framer.portOpened(at: .zero, check: quiet)
        // Noise 50 ms after the open, then the frame 80 ms later: not 100 ms of silence before it.
        #expect(framer.append(ascii("\r\n"), at: at(ms: 50)).isEmpty)
        #expect(framer.append(ascii("00001\r\n"), at: at(ms: 130)).map(Framed.init) == [.fault(Self.partial, 1)])
        framer.portOpened(at: at(ms: 1000), check: quiet)
        #expect(framer.append(ascii("00002\r\n"), at: at(ms: 1100)).map(Framed.init) == [.frame("00002")])
    }

    @Test("a frame that starts mid-chunk right after another byte had no quiet gap before it")
    func noQuietInsideAChunk() {
        var framer = ScannerFramer(configuration: .init(terminator: .crlf))
        framer.portOpened(at: .zero, check: quiet)
        #expect(framer.append(ascii("\r\n00003\r\n"), at: at(ms: 500)).map(Framed.init) == [.fault(Self.partial, 1)])
    }

    @Test("without a check (quietGapMs 0) the first frame is taken as it comes")
    func noCheck() {
        var framer = ScannerFramer(configuration: .init(terminator: .crlf))
        framer.portOpened(at: .zero, check: nil)
        #expect(framer.append(ascii("00004\r\n"), at: .zero).map(Framed.init) == [.frame("00004")])
    }

    @Test("a partial frame in gap mode is judged when the gap closes it")
    func gapMode() {
        var framer = ScannerFramer(configuration: .init(terminator: .none(gap: .milliseconds(50))))
        framer.portOpened(at: .zero, check: quiet)
        #expect(framer.append(ascii("00005"), at: at(ms: 10)).isEmpty)
        #expect(framer.expire(at: at(ms: 60)).map(Framed.init) == [.fault(Self.partial, 1)])
        #expect(framer.append(ascii("00006"), at: at(ms: 500)).isEmpty)
        #expect(framer.expire(at: at(ms: 550)).map(Framed.init) == [.frame("00006")])
    }
}
