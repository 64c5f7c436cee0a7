// JSON: JSONValue(parsing:). Properties: never traps (depth-limited); parse → jsonText → parse gives an equal
// value, and the text written is a fixed point (writing the re-read value gives the same text).
import Events
import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = FuzzInput(data, size)
    guard let value = try? JSONValue(parsing: input.bytes) else { return 0 }
    let text = value.jsonText
    do {
        let again = try JSONValue(parsing: text)
        require(again == value, "\(text) reads back as \(again.jsonText)")
        require(again.jsonText == text, "\(text) is written again as \(again.jsonText)")
    } catch {
        require(false, "jsonText \(text) does not parse: \(error)")
    }
    return 0
}

/// The entry point SwiftPM links as `main`: hands the command line to libFuzzer.
@_cdecl("FuzzJSON_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runLibFuzzer(argc, argv) { data, size in
        guard let data else {
            var empty: UInt8 = 0
            return fuzz(&empty, 0)
        }
        return fuzz(data, size)
    }
}
