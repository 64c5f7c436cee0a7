// Control-socket requests: ControlRequest(line:).
// Properties: never traps; a request that parses, written back as JSON, parses to the same id, op and args.
import Events
import FuzzSupport
import Service

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = FuzzInput(data, size)
    guard let request = try? ControlRequest(line: input.bytes) else { return 0 }
    let text = request.json.jsonText
    do {
        let again = try ControlRequest(line: Array(text.utf8))
        require(again.id == request.id && again.op == request.op && again.args == request.args, "\(text) changed")
    } catch {
        require(false, "request written back as \(text) does not parse: \(error)")
    }
    _ = request.optionalString("device")
    _ = try? request.string("device")
    return 0
}

/// The entry point SwiftPM links as `main`: hands the command line to libFuzzer.
@_cdecl("FuzzControlRequest_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runLibFuzzer(argc, argv) { data, size in
        guard let data else {
            var empty: UInt8 = 0
            return fuzz(&empty, 0)
        }
        return fuzz(data, size)
    }
}
