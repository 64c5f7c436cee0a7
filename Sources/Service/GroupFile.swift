import Glibc

/// `/etc/group` read directly (`name:password:GID:members` a line), for a group lookup that needs no NSS modules.
enum GroupFile {
    /// The file's text, or "" when it cannot be read.
    static func read(_ path: String) -> String {
        (try? ConfigFile.read(path: path)).map { String(decoding: $0, as: UTF8.self) } ?? ""
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
