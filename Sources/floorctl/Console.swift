import Glibc

/// Standard output and error, written straight to the descriptors (no stdio buffering to flush before exit).
enum Console {
    /// Writes `text` to standard output.
    static func out(_ text: String) {
        write(text, to: STDOUT_FILENO)
    }

    /// Writes `text` and a newline to standard output.
    static func line(_ text: String = "") {
        out(text + "\n")
    }

    /// Writes `text` to standard error.
    static func error(_ text: String) {
        write(text, to: STDERR_FILENO)
    }

    /// Writes raw bytes to standard output (`serial monitor`).
    static func bytes(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { writeAll($0, to: STDOUT_FILENO) }
    }

    private static func write(_ text: String, to descriptor: Int32) {
        var text = text
        text.withUTF8 { writeAll(UnsafeRawBufferPointer($0), to: descriptor) }
    }

    private static func writeAll(_ buffer: UnsafeRawBufferPointer, to descriptor: Int32) {
        guard var pointer = buffer.baseAddress else { return }
        var left = buffer.count
        while left > 0 {
            let written = Glibc.write(descriptor, pointer, left)
            if written < 0 {
                if errno == EINTR { continue }
                return
            }
            pointer += written
            left -= written
        }
    }
}
