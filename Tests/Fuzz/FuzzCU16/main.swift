// Lock-board codec: CU16Decoder over a byte stream, in either direction.
//
// Input: a direction byte (even: what boards send, odd: what the host sends), two split-point bytes, then the
// stream. Properties: the stream split at the split point decodes to the same outputs (and leaves the same bytes
// buffered) as unsplit; every decoded frame, encoded again with `CU16Frame.bytes`, decodes alone to the same frame.
import Devices
import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let direction: CU16Decoder.Direction = input.byte() % 2 == 0 ? .fromBoards : .fromHost
    let point = input.uint16()
    let stream = input.rest()

    var whole = CU16Decoder(direction: direction)
    let expected = whole.decode(stream)

    let (head, tail) = split(stream, at: point)
    var pieces = CU16Decoder(direction: direction)
    let outputs = pieces.decode(head) + pieces.decode(tail)
    require(outputs == expected, "split at \(head.count) decoded \(outputs), unsplit \(expected)")
    require(pieces.bufferedByteCount == whole.bufferedByteCount, "split left a different partial frame")

    for output in expected {
        guard case .frame(let frame) = output else { continue }
        var fresh = CU16Decoder(direction: direction)
        let again = fresh.decode(frame.bytes)
        require(again == [.frame(frame)], "re-encoded \(frame) decodes as \(again)")
    }
    return 0
}

/// The entry point SwiftPM links as `main`: hands the command line to libFuzzer.
@_cdecl("FuzzCU16_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runLibFuzzer(argc, argv) { data, size in
        guard let data else {
            var empty: UInt8 = 0
            return fuzz(&empty, 0)
        }
        return fuzz(data, size)
    }
}
