// Scanner path: ScannerFramer, then Scan (AIM identifier, GS1 decoding) and its event data.
//
// Input: a mode byte (terminator, prefix/suffix, AIM prefix, frame limit), two split-point bytes, the stream.
// Properties: the stream split at the split point frames exactly as unsplit; every frame is non-empty and
// within the limit; each scan's event data survives JSON text and back unchanged.
import Devices
import Events
import FuzzSupport
import HAL

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let mode = input.byte()
    let point = input.uint16()
    let stream = input.rest()

    let terminator: ScannerFramer.Configuration.Terminator
    switch mode & 0b11 {
    case 0: terminator = .cr
    case 1: terminator = .lf
    case 2: terminator = .crlf
    default: terminator = .none(gap: .milliseconds(50))
    }
    let configuration = ScannerFramer.Configuration(
        terminator: terminator,
        prefix: mode & 0b100 != 0 ? [0x02] : [],
        suffix: mode & 0b1000 != 0 ? [0x03, 0x04] : [],
        maxFrameLength: mode & 0b10000 != 0 ? 16 : 4096
    )
    let aimPrefix = mode & 0b100000 != 0
    let start = ClockInstant.zero
    let later = ClockInstant(sinceOrigin: .seconds(1))

    var whole = ScannerFramer(configuration: configuration)
    var expected = whole.append(stream, at: start)
    expected += whole.expire(at: later)

    let (head, tail) = split(stream, at: point)
    var pieces = ScannerFramer(configuration: configuration)
    var outputs = pieces.append(head, at: start)
    outputs += pieces.append(tail, at: start)
    outputs += pieces.expire(at: later)
    require(outputs == expected, "split at \(head.count) framed \(outputs), unsplit \(expected)")

    for case .frame(let frame) in expected {
        require(!frame.isEmpty, "empty frame emitted")
        require(frame.count <= configuration.maxFrameLength, "frame of \(frame.count) bytes over the limit")
        let scan = Scan(device: "scanner-1", bytes: frame, aimPrefix: aimPrefix, time: start)
        let data = scan.eventData
        let text = data.jsonText
        do {
            let reparsed = try JSONValue(parsing: text)
            require(reparsed == data, "scan data \(text) reads back as \(reparsed.jsonText)")
        } catch {
            require(false, "scan data \(text) is not readable JSON: \(error)")
        }
    }
    return 0
}

/// The entry point SwiftPM links as `main`: hands the command line to libFuzzer.
@_cdecl("FuzzScanner_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runLibFuzzer(argc, argv) { data, size in
        guard let data else {
            var empty: UInt8 = 0
            return fuzz(&empty, 0)
        }
        return fuzz(data, size)
    }
}
