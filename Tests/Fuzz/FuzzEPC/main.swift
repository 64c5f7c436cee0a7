// EPC binary decoding: EPC.decode(bytes:) and EPC.decode(hex:).
// Property: never traps; the bytes and their hex spelling decode to the same result.
import FuzzSupport
import GS1

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = FuzzInput(data, size)
    let fromBytes = Result { () throws(GS1Error) in try EPC.decode(bytes: input.bytes) }
    let digits: [Character] = Array("0123456789ABCDEF")
    let hex = String(input.bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0x0F)]] })
    let fromHex = Result { () throws(GS1Error) in try EPC.decode(hex: hex) }
    switch (fromBytes, fromHex) {
    case (.success(let a), .success(let b)):
        require(a == b, "bytes and hex decode differently: \(a) vs \(b)")
        _ = [a.gtin, a.serial, a.sscc, a.gln, a.glnExtension, a.grai, a.giai]
    case (.failure, .failure):
        break
    default:
        require(false, "bytes and hex disagree on \(hex): \(fromBytes) vs \(fromHex)")
    }
    _ = try? EPC.decode(hex: String(decoding: input.bytes, as: UTF8.self))
    return 0
}

/// The entry point SwiftPM links as `main`: hands the command line to libFuzzer.
@_cdecl("FuzzEPC_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runLibFuzzer(argc, argv) { data, size in
        guard let data else {
            var empty: UInt8 = 0
            return fuzz(&empty, 0)
        }
        return fuzz(data, size)
    }
}
