// The site config loader: JSONValue(parsing:) then SiteConfiguration.parse, with the repository's board files.
// Property: never traps (every problem is a ConfigError naming its path).
import Events
import FuzzSupport
import Service

/// `hal` of this checkout, found from this file's path.
private func halDirectory() -> String {
    var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(4)  // Tests/Fuzz/FuzzSiteConfig/main.swift
    return parts.joined(separator: "/") + "/hal"
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = FuzzInput(data, size)
    guard let document = try? JSONValue(parsing: input.bytes) else { return 0 }
    do {
        let configuration = try SiteConfiguration.parse(
            document,
            file: "site.json",
            hal: HALSearchPath(directories: [halDirectory()])
        )
        for device in configuration.devices { _ = (device.id, device.kind) }
    } catch {
        _ = error.description
    }
    return 0
}

/// The entry point SwiftPM links as `main`: hands the command line to libFuzzer.
@_cdecl("FuzzSiteConfig_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runLibFuzzer(argc, argv) { data, size in
        guard let data else {
            var empty: UInt8 = 0
            return fuzz(&empty, 0)
        }
        return fuzz(data, size)
    }
}
