import Glibc

/// Where board files (`<board>.json`) are looked for, most specific first.
enum BoardFiles {
    /// `<config dir>/../boards`, `/etc/floorlink/hal/boards`, `/usr/share/floorlink/hal/boards`, `./hal/boards`.
    static func directories(configPath: String? = nil) -> [String] {
        var directories: [String] = []
        if let configPath {
            let directory = configPath.lastIndex(of: "/").map { String(configPath[..<$0]) } ?? "."
            directories.append((directory.isEmpty ? "" : directory) + "/../boards")
        }
        directories += ["/etc/floorlink/hal/boards", "/usr/share/floorlink/hal/boards"]
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX))
        if getcwd(&buffer, buffer.count) != nil {
            directories.append(
                String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) + "/hal/boards"
            )
        } else {
            directories.append("hal/boards")
        }
        return directories
    }
}
