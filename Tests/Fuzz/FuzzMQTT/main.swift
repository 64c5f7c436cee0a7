// MQTT 3.1.1 packets: MQTTPacketDecoder over a byte stream, then MQTTPacket.encoded.
//
// Input: two split-point bytes, then the stream. Properties: the stream split at the split point gives the same
// packets (and the same error) as unsplit; every decoded packet encodes, and its encoding decodes to an equal
// packet with no bytes left over.
import FuzzSupport
import Uplink

/// Every packet (and skipped oversized PUBLISH) the stream holds, and the error that ended it (if any).
private func decodeAll(_ chunks: [ArraySlice<UInt8>]) -> (packets: [MQTTDecoded], error: MQTTError?) {
    var decoder = MQTTPacketDecoder(maximumPacketSize: 1 << 16)
    var packets: [MQTTDecoded] = []
    for chunk in chunks {
        decoder.append(chunk)
        do {
            while let packet = try decoder.next() { packets.append(packet) }
        } catch {
            return (packets, error)
        }
    }
    return (packets, nil)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let point = input.uint16()
    let stream = input.rest()

    let whole = decodeAll([stream[...]])
    let (head, tail) = split(stream, at: point)
    let pieces = decodeAll([head, tail])
    require(pieces.packets == whole.packets, "split at \(head.count) gave \(pieces.packets), not \(whole.packets)")
    require(pieces.error == whole.error, "split at \(head.count) ended with \(String(describing: pieces.error))")

    for case .packet(let packet) in whole.packets {
        let bytes: [UInt8]
        do {
            bytes = try packet.encoded()
        } catch {
            require(false, "decoded \(packet) does not encode: \(error)")
            continue
        }
        var decoder = MQTTPacketDecoder(maximumPacketSize: 1 << 20)
        decoder.append(bytes)
        do {
            let again = try decoder.next()
            require(
                again == .packet(packet),
                "\(packet) encodes as \(bytes) which decodes as \(String(describing: again))"
            )
            require(decoder.bufferedByteCount == 0, "\(packet) encodes with \(decoder.bufferedByteCount) extra bytes")
        } catch {
            require(false, "\(packet) encodes as \(bytes) which does not decode: \(error)")
        }
    }
    return 0
}

/// The entry point SwiftPM links as `main`: hands the command line to libFuzzer.
@_cdecl("FuzzMQTT_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runLibFuzzer(argc, argv) { data, size in
        guard let data else {
            var empty: UInt8 = 0
            return fuzz(&empty, 0)
        }
        return fuzz(data, size)
    }
}
