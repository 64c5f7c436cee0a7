import Foundation

/// Scratch files for tests, written with write(2) and never synced. Foundation's writes fsync every file, and a test
/// that waits in fsync holds one of the cooperative pool's threads (two on this machine) while the tests beside it
/// wait for that pool to deliver their network replies; test files need no durability.
public enum TestFile {
    /// Creates or truncates `path` and writes `text` (UTF-8) to it.
    public static func write(_ text: String, to path: String) throws(HarnessError) {
        try write(Array(text.utf8), to: path)
    }

    /// Creates or truncates `path` and writes `bytes` to it.
    public static func write(_ bytes: [UInt8], to path: String) throws(HarnessError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw HarnessError("open \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var written = 0
        while written < bytes.count {
            let count = bytes[written...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { throw HarnessError("write \(path): \(String(cString: strerror(errno)))") }
            written += count
        }
    }

    /// Waits up to `timeout` until `path` holds a complete (newline-terminated) line; true when it does. The crash
    /// tests count their random kill delay from a probe's first acknowledgement with it, not from its start: a
    /// sanitized probe on a loaded machine can take longer to start than the whole delay, and a kill before any work
    /// tests nothing.
    public static func waitForCompleteLine(_ path: String, timeout: Duration = .seconds(30)) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let data = FileManager.default.contents(atPath: path), data.contains(0x0A) { return true }
            guard await Poll.pause(.milliseconds(5)) else { break }
        }
        return false
    }
}
