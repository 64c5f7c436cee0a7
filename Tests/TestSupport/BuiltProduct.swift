import Glibc

/// The executables this package builds, as the tests and benchmarks start them: `floorlinkd`, `floorctl`, the crash
/// probes, the transport's thread probe. They are looked up beside the running test bundle or benchmark, so a
/// sanitizer build (`--scratch-path .build-asan`) starts its own sanitized daemon, never the plain one.
public enum BuiltProduct {
    /// The path of the executable `name` built beside this process's executable (outside its `.xctest` bundle
    /// when the bundle is a directory); throws, with the build command, when it is not there.
    public static func path(_ name: String) throws(HarnessError) -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard count > 0 else { throw HarnessError("readlink /proc/self/exe: errno \(errno)") }
        let executable = String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard let slash = executable.lastIndex(of: "/") else { throw HarnessError("no directory in \(executable)") }
        var directory = String(executable[..<slash])
        // The bundle may be a directory (…/X.xctest/X); step out of it.
        if directory.hasSuffix(".xctest"), let parent = directory.lastIndex(of: "/") {
            directory = String(directory[..<parent])
        }
        let path = directory + "/" + name
        guard access(path, X_OK) == 0 else {
            let code = errno
            throw HarnessError("\(path) is not built (errno \(code)): build it with swift build --product \(name)")
        }
        return path
    }
}
