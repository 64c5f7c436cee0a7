import Glibc

/// The executables this package builds for its tests (crash probes, the transport's thread probe).
public enum BuiltProduct {
    /// The path of the executable `name` built next to the running test bundle.
    public static func path(_ name: String) throws(HarnessError) -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
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
        guard access(path, X_OK) == 0 else { throw HarnessError("\(path) is not built (errno \(errno))") }
        return path
    }
}
