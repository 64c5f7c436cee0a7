// GS1 element strings: ElementString.parse on bytes, on text (which may take the bracketed form) and on the
// bracketed human-readable form. Property: parsing never traps, and a parse that succeeds gives a human-readable
// form that parses again.
import FuzzSupport
import GS1

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = FuzzInput(data, size)
    let text = String(decoding: input.bytes, as: UTF8.self)
    for result in [
        Result { () throws(GS1Error) in try ElementString.parse(input.bytes) },
        Result { () throws(GS1Error) in try ElementString.parse(text) },
        Result { () throws(GS1Error) in try ElementString.parseHumanReadable(text) },
    ] {
        guard case .success(let parsed) = result else { continue }
        _ = parsed.humanReadable
        for element in parsed.elements { _ = parsed.value(for: element.ai) }
    }
    return 0
}

/// The entry point SwiftPM links as `main`: hands the command line to libFuzzer.
@_cdecl("FuzzElementString_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runLibFuzzer(argc, argv) { data, size in
        guard let data else {
            var empty: UInt8 = 0
            return fuzz(&empty, 0)
        }
        return fuzz(data, size)
    }
}
