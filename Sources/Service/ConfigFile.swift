import Events
import Glibc

/// Reading config files: the whole file, then JSON, with errors that name the file.
public enum ConfigFile {
    /// The bytes of a secret file (a password, an HMAC key) without its trailing newlines, which an editor or
    /// `echo` adds and nobody means: the uplinks and `floorctl fleet` read `passwordFile` and `secretFile` so.
    public static func readSecret(path: String) throws(ConfigError) -> [UInt8] {
        var bytes = try read(path: path)
        while let last = bytes.last, last == UInt8(ascii: "\n") || last == UInt8(ascii: "\r") { bytes.removeLast() }
        return bytes
    }

    /// The bytes of `path`; a missing or unreadable file is a `ConfigError` naming it.
    static func read(path: String) throws(ConfigError) -> [UInt8] {
        let file = String(path.split(separator: "/").last ?? Substring(path))
        guard let handle = fopen(path, "rb") else {
            throw ConfigError(file: path, path: "", message: "cannot read: \(String(cString: strerror(errno)))")
        }
        defer { fclose(handle) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = fread(&buffer, 1, buffer.count, handle)
            if count > 0 { bytes += buffer[0..<count] }
            if count < buffer.count { break }
            if bytes.count > 16 << 20 {
                throw ConfigError(file: file, path: "", message: "larger than 16 MiB, not a config file")
            }
        }
        return bytes
    }

    static func readJSON(path: String) throws(ConfigError) -> JSONValue {
        let file = String(path.split(separator: "/").last ?? Substring(path))
        let bytes = try read(path: path)
        do throws(JSONParseError) {
            return try JSONValue(parsing: bytes)
        } catch {
            let (line, column) = position(of: error.offset, in: bytes)
            throw ConfigError(file: file, path: "", message: "line \(line), column \(column): \(error)")
        }
    }

    /// 1-based line and column of a byte offset, for a person opening the file in an editor.
    static func position(of offset: Int, in bytes: [UInt8]) -> (Int, Int) {
        var line = 1
        var column = 1
        for byte in bytes.prefix(offset) {
            if byte == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else {
                column += 1
            }
        }
        return (line, column)
    }
}
