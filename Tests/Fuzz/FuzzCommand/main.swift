// Upstream commands: Command(parsing:) and the HMAC signature check.
//
// Properties: never traps; a parsed command's presented signature can be checked; the signature computed for it
// verifies, and neither a corrupted one nor the same in upper case does; its canonical args are JSON that reads back with the same members.
import Events
import FuzzSupport
import Uplink

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = FuzzInput(data, size)
    let key = Array("floorlink-example-key-0123456789abcdef".utf8)
    guard let command = try? Command(parsing: input.bytes) else { return 0 }
    if let presented = command.signature {
        _ = CommandSigning.isValid(signature: presented, for: command, key: key)
    }
    let canonical = CommandSigning.canonical(command.args)
    do {
        let reread = try JSONValue(parsing: canonical)
        require(sorted(reread) == sorted(command.args), "canonical args \(canonical) read back differently")
    } catch {
        require(false, "canonical args \(canonical) are not JSON: \(error)")
    }
    guard let signature = CommandSigning.signature(for: command, key: key) else {
        require(false, "no signature for \(command)")
        return 0
    }
    require(CommandSigning.isValid(signature: signature, for: command, key: key), "own signature rejected")
    let upper = signature.uppercased()
    require(
        upper == signature || !CommandSigning.isValid(signature: upper, for: command, key: key),
        "upper case accepted"
    )
    let flipped = (signature.first == "0" ? "1" : "0") + signature.dropFirst()
    require(!CommandSigning.isValid(signature: flipped, for: command, key: key), "a wrong signature was accepted")
    return 0
}

/// `value` with every object's members in code-point order of their keys.
private func sorted(_ value: JSONValue) -> JSONValue {
    switch value {
    case .array(let elements): return .array(elements.map(sorted))
    case .object(let members):
        return .object(
            members.map { ($0.0, sorted($0.1)) }.sorted { $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) }
        )
    default: return value
    }
}

/// The entry point SwiftPM links as `main`: hands the command line to libFuzzer.
@_cdecl("FuzzCommand_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runLibFuzzer(argc, argv) { data, size in
        guard let data else {
            var empty: UInt8 = 0
            return fuzz(&empty, 0)
        }
        return fuzz(data, size)
    }
}
