// Events: Event(json:) from parsed JSON. Properties: never traps; a decoded event's wire form decodes to an
// equal event, both as a value and through its JSON text.
import Events
import FuzzSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = FuzzInput(data, size)
    guard let json = try? JSONValue(parsing: input.bytes), let event = try? Event(json: json) else { return 0 }
    do {
        let again = try Event(json: event.json)
        require(again == event, "\(event.jsonText) decodes as \(again.jsonText)")
        let reread = try Event(json: try JSONValue(parsing: event.jsonText))
        require(reread == event, "\(event.jsonText) reads back as \(reread.jsonText)")
    } catch {
        require(false, "the wire form \(event.jsonText) of a decoded event does not decode: \(error)")
    }
    return 0
}

/// The entry point SwiftPM links as `main`: hands the command line to libFuzzer.
@_cdecl("FuzzEvent_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runLibFuzzer(argc, argv) { data, size in
        guard let data else {
            var empty: UInt8 = 0
            return fuzz(&empty, 0)
        }
        return fuzz(data, size)
    }
}
