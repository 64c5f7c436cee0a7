// Lock-board codec: ModbusRTUDecoder over a byte stream, in either direction.
//
// Input: a direction byte (even: what units answer, odd: what the master asks), two split-point bytes, then the
// stream. Properties: the stream split at the split point decodes to the same outputs (and leaves the same bytes
// buffered) as unsplit; every decoded request or response, encoded again with its `bytes`, decodes alone to the
// same value.
import Devices
import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let direction: ModbusRTUDecoder.Direction = input.byte() % 2 == 0 ? .fromUnits : .fromMaster
    let point = input.uint16()
    let stream = input.rest()

    var whole = ModbusRTUDecoder(direction: direction)
    let expected = whole.decode(stream)

    let (head, tail) = split(stream, at: point)
    var pieces = ModbusRTUDecoder(direction: direction)
    let outputs = pieces.decode(head) + pieces.decode(tail)
    require(outputs == expected, "split at \(head.count) decoded \(outputs), unsplit \(expected)")
    require(pieces.bufferedByteCount == whole.bufferedByteCount, "split left a different partial frame")

    for output in expected {
        let bytes: [UInt8]
        switch output {
        case .request(let request): bytes = request.bytes
        case .response(let response): bytes = response.bytes
        case .fault: continue
        }
        var fresh = ModbusRTUDecoder(direction: direction)
        let again = fresh.decode(bytes)
        require(again == [output], "re-encoded \(output) decodes as \(again)")
    }
    return 0
}

/// The entry point SwiftPM links as `main`: hands the command line to libFuzzer.
@_cdecl("FuzzModbusRTU_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runLibFuzzer(argc, argv) { data, size in
        guard let data else {
            var empty: UInt8 = 0
            return fuzz(&empty, 0)
        }
        return fuzz(data, size)
    }
}
