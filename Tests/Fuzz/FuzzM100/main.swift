// RFID codec: M100Protocol.decode over a byte stream.
//
// Input: two split-point bytes, then the stream. Properties: the stream split at the split point decodes to the
// same messages (and leaves the same partial frame buffered) as unsplit; every decoded frame, re-encoded with
// `M100Protocol.frame`, decodes to the same message on its own.
import Devices
import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let point = input.uint16()
    let stream = input.rest()

    var whole = M100Protocol()
    let expected = whole.decode(stream)

    let (head, tail) = split(stream, at: point)
    var pieces = M100Protocol()
    let messages = pieces.decode(head) + pieces.decode(tail)
    require(messages == expected, "split at \(head.count) decoded \(messages), unsplit \(expected)")
    require(pieces.bufferedByteCount == whole.bufferedByteCount, "split left a different partial frame")

    for message in expected {
        let frame: [UInt8]
        switch message {
        case .tag(let tag):
            var payload = [UInt8(bitPattern: Int8(tag.rssi)), UInt8(tag.pc >> 8), UInt8(tag.pc & 0xFF)] + tag.epc
            if let crc = tag.crc { payload += [UInt8(crc >> 8), UInt8(crc & 0xFF)] }
            frame = M100Protocol.frame(
                type: .notice,
                command: M100Protocol.CommandCode.singleInventory,
                payload: payload
            )
        case .response(let command, let payload):
            guard command != M100Protocol.CommandCode.error else { continue }
            frame = M100Protocol.frame(type: .response, command: command, payload: payload)
        case .error(let code, _):
            frame = M100Protocol.frame(type: .response, command: M100Protocol.CommandCode.error, payload: [code])
        case .fault:
            continue
        }
        var fresh = M100Protocol()
        let again = fresh.decode(frame)
        require(again == [message], "re-encoded \(message) decodes as \(again)")
    }
    return 0
}

/// The entry point SwiftPM links as `main`: hands the command line to libFuzzer.
@_cdecl("FuzzM100_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runLibFuzzer(argc, argv) { data, size in
        guard let data else {
            var empty: UInt8 = 0
            return fuzz(&empty, 0)
        }
        return fuzz(data, size)
    }
}
