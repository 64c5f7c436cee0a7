import Foundation
import HAL
import HALLinux
import Testing

/// Loading libgpiod at run time: whichever API the file offers is the one used, and a file that is not a usable
/// libgpiod is refused with the reason (not a crash at the first GPIO call).
@Suite("libgpiod loading")
struct LibGPIODTests {
    /// The libgpiod files on this machine: the system's (1.6 on Debian 12, 2.x on Debian 13) and, where
    /// Tests/VM/libgpiod.sh has fetched it, Debian's other one in its private prefix.
    static var libraryFiles: [String] {
        var directories = ["/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib"]
        let cache = ProcessInfo.processInfo.environment["XDG_CACHE_HOME"] ?? (NSHomeDirectory() + "/.cache")
        let prefixes = (try? FileManager.default.contentsOfDirectory(atPath: cache + "/floorlink-vm")) ?? []
        for prefix in prefixes where prefix.hasPrefix("libgpiod") {
            directories += ["x86_64-linux-gnu", "aarch64-linux-gnu"].map {
                "\(cache)/floorlink-vm/\(prefix)/usr/lib/\($0)"
            }
        }
        return directories.flatMap { directory in
            ["libgpiod.so.2", "libgpiod.so.3"].map { "\(directory)/\($0)" }
        }
        .filter { FileManager.default.fileExists(atPath: $0) }
    }

    @Test("the library found at start-up is one of the two APIs, named by its version")
    func systemLibrary() throws {
        let library = try LibGPIOD.shared()
        #expect(library.description == "libgpiod \(library.version) (\(library.api.rawValue) API)")
        #expect(library.version.hasPrefix(library.api == .v2 ? "2." : "1."))
        #expect(FileManager.default.fileExists(atPath: library.path))
    }

    @Test("libgpiod.so.3 is used through the v2 API and libgpiod.so.2 through the v1 API", arguments: libraryFiles)
    func apiOfFile(path: String) throws {
        let library = try LibGPIOD.load(path).get()
        #expect(library.api == (path.hasSuffix(".so.3") ? .v2 : .v1))
        #expect(library.version.hasPrefix(path.hasSuffix(".so.3") ? "2." : "1."))
        #expect(
            URL(fileURLWithPath: library.path).resolvingSymlinksInPath()
                == URL(fileURLWithPath: path).resolvingSymlinksInPath()
        )
    }

    @Test("a library that is not libgpiod is refused, naming the missing function")
    func notLibgpiod() {
        let result = LibGPIOD.load("libc.so.6")
        guard case .failure(.notFound(let path, let detail)) = result else {
            Issue.record("libc.so.6 loaded as libgpiod: \(result)")
            return
        }
        #expect(path == "libc.so.6")
        #expect(detail.contains("gpiod_"))
    }

    @Test("a library that is not there is refused with the loader's reason")
    func missingLibrary() {
        let result = LibGPIOD.load("libgpiod.so.99")
        guard case .failure(.notFound(let path, let detail)) = result else {
            Issue.record("libgpiod.so.99 loaded: \(result)")
            return
        }
        #expect(path == "libgpiod.so.99")
        #expect(detail.contains("libgpiod.so.99"))
    }
}
