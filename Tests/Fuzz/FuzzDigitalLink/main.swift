// GS1 Digital Link URIs: DigitalLink.parse and ScannedData.decode (which routes URIs to it).
// Property: never traps; a parse that succeeds names a primary key that is one of its elements.
import FuzzSupport
import GS1

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = FuzzInput(data, size)
    let text = String(decoding: input.bytes, as: UTF8.self)
    _ = DigitalLink.looksLikeDigitalLink(text)
    if let link = try? DigitalLink.parse(text) {
        require(
            link.elements.contains { $0.ai == link.primaryKey },
            "primary key \(link.primaryKey) is not among the elements of \(text.debugDescription)"
        )
    }
    _ = ScannedData.decode("]Q3" + text)
    return 0
}

/// The entry point SwiftPM links as `main`: hands the command line to libFuzzer.
@_cdecl("FuzzDigitalLink_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runLibFuzzer(argc, argv) { data, size in
        guard let data else {
            var empty: UInt8 = 0
            return fuzz(&empty, 0)
        }
        return fuzz(data, size)
    }
}
