import Glibc

/// Loads the HMAC key that authorises commands which move hardware.
public enum CommandKey {
    /// Shorter keys are refused: HMAC-SHA256 wants at least 32 bytes of secret.
    public static let minimumLength = 32

    /// Reads the key file: its raw bytes with one trailing newline (`\n` or `\r\n`) stripped, at least 32.
    public static func load(path: String) throws(CommandKeyError) -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw CommandKeyError(path: path, problem: "cannot be opened (\(String(cString: strerror(errno))))")
        }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else {
                throw CommandKeyError(path: path, problem: "cannot be read (\(String(cString: strerror(errno))))")
            }
            if count == 0 { break }
            bytes.append(contentsOf: buffer[0..<count])
            guard bytes.count <= 65_536 else { throw CommandKeyError(path: path, problem: "is larger than 64 KiB") }
        }
        if bytes.last == 0x0A {
            bytes.removeLast()
            if bytes.last == 0x0D { bytes.removeLast() }
        }
        try validate(bytes, path: path)
        return bytes
    }

    /// Throws when `key` is too short to be a key.
    static func validate(_ key: [UInt8], path: String) throws(CommandKeyError) {
        guard key.count >= minimumLength else {
            throw CommandKeyError(path: path, problem: "holds \(key.count) bytes; at least \(minimumLength) are needed")
        }
    }
}
