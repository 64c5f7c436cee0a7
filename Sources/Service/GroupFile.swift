import Glibc

/// `/etc/group` read directly (`name:password:GID:members` a line), for a group lookup that needs no NSS modules.
enum GroupFile {
    /// The file's text, or "" when it cannot be read.
    static func read(_ path: String) -> String {
        guard let file = fopen(path, "r") else { return "" }
        defer { fclose(file) }
        var text: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
            guard count > 0 else { break }
            text += buffer[0..<count]
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// The GID of the first line naming `name` in `text`; nil when there is none or its GID is not a number.
    static func groupID(named name: String, in text: String) -> gid_t? {
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: ":", maxSplits: 3, omittingEmptySubsequences: false)
            guard fields.count >= 3, fields[0] == name else { continue }
            return gid_t(fields[2])
        }
        return nil
    }
}
