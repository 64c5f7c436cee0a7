import Glibc

/// Where hardware descriptions are found: board pin maps (`boards/<board>.json`) and device profiles
/// (`devices/<profile>.json`), each inside a *hal directory* laid out like the checkout's `hal/`. The daemon and
/// `floorctl` (`gpio --board`, `doctor`) search the same list, in order, and never the working directory:
///
/// 1. beside the site config: the config's own directory (`/etc/floorlink/boards/…`), then a `hal/` in it
///    (`/etc/floorlink/hal/boards/…`);
/// 2. the data that belongs to the running executable: `<exe dir>/../share/floorlink/hal` for an installed one
///    (`/usr/bin` → `/usr/share/floorlink/hal`, `/usr/local/bin` → `/usr/local/share/floorlink/hal`), or
///    `<checkout>/hal` for one that SwiftPM built in a checkout (`<checkout>/.build/<triple>/debug/floorlinkd`;
///    also `.build-*` scratch directories);
/// 3. ``installedDirectory``, where the Debian package puts them.
public struct HALSearchPath: Hashable, Sendable {
    /// A kind of hardware description: which subdirectory of a hal directory holds it, and what it is called.
    public enum Kind: String, Hashable, Sendable {
        case board = "boards"
        case deviceProfile = "devices"

        /// What a person calls one file of this kind, for messages.
        var fileDescription: String {
            switch self {
            case .board: return "board file"
            case .deviceProfile: return "device profile"
            }
        }
    }

    /// `/usr/share/floorlink/hal`: the package's copy of the checkout's `hal/`.
    public static let installedDirectory = "/usr/share/floorlink/hal"

    /// The hal directories, most specific first, without repeats.
    public let directories: [String]

    /// Exactly these hal directories (tests, tools), in this order.
    public init(directories: [String]) {
        var unique: [String] = []
        for directory in directories where !unique.contains(directory) { unique.append(directory) }
        self.directories = unique
    }

    /// The search for a config at `configPath` (nil when there is none, as for `floorctl gpio`) run by the
    /// executable at `executablePath` (nil when unknown). `workingDirectory` only makes a relative `configPath`
    /// absolute: it names where the config is, never where to search.
    public init(
        configPath: String?,
        executablePath: String?,
        workingDirectory: String,
        installedDirectory: String = Self.installedDirectory
    ) {
        var directories: [String] = []
        if let configPath {
            let configDirectory = Self.parent(of: Self.absolute(configPath, in: workingDirectory))
            directories += [configDirectory, Self.join(configDirectory, "hal")]
        }
        if let executablePath {
            directories.append(Self.executableData(Self.absolute(executablePath, in: workingDirectory)))
        }
        directories.append(installedDirectory)
        self.init(directories: directories)
    }

    /// The search for a config at `configPath` run by this process (`/proc/self/exe`).
    public static func forProcess(configPath: String?) -> HALSearchPath {
        HALSearchPath(
            configPath: configPath,
            executablePath: resolvedLink("/proc/self/exe"),
            workingDirectory: currentDirectory() ?? "/"
        )
    }

    /// The directories a file of `kind` is looked for in, in order.
    public func directories(for kind: Kind) -> [String] {
        directories.map { Self.join($0, kind.rawValue) }
    }

    /// The first readable `<directory>/<kind>/<name>.json`. `name` is a name (`raspberry-pi-5`, also with
    /// `.json`), never a path; the error lists every place searched.
    public func file(_ kind: Kind, named name: String) throws(ConfigError) -> String {
        let fileName = name.hasSuffix(".json") ? name : name + ".json"
        guard !name.contains("/"), !name.isEmpty, fileName != ".json" else {
            throw ConfigError(
                file: "\"\(name)\"",
                path: "",
                message: "expected the name of a \(kind.fileDescription) (such as raspberry-pi-5), not a path"
            )
        }
        let searched = directories(for: kind)
        for directory in searched {
            let path = Self.join(directory, fileName)
            if access(path, R_OK) == 0 { return path }
        }
        throw ConfigError(
            file: fileName,
            path: "",
            message: "no \(kind.fileDescription) found in \(searched.joined(separator: ", "))"
        )
    }

    /// `reference` itself when it holds a `/` (a path the user typed, such as `hal/boards/raspberry-pi-5.json`),
    /// else the file ``file(_:named:)`` finds for that name.
    public func file(_ kind: Kind, nameOrPath reference: String) throws(ConfigError) -> String {
        reference.contains("/") ? reference : try file(kind, named: reference)
    }

    // MARK: Paths

    /// The hal directory that belongs to the executable at the absolute `path`: `<checkout>/hal` inside a SwiftPM
    /// build directory, else `<exe dir>/../share/floorlink/hal`.
    static func executableData(_ path: String) -> String {
        let components = path.split(separator: "/").dropLast()
        if let build = components.lastIndex(where: { $0 == ".build" || $0.hasPrefix(".build-") }) {
            return "/" + (components[..<build] + ["hal"]).joined(separator: "/")
        }
        return normalized("/" + (components + ["..", "share", "floorlink", "hal"]).joined(separator: "/"))
    }

    /// `path` made absolute against `directory` and without `.`, `..` or repeated slashes.
    static func absolute(_ path: String, in directory: String) -> String {
        normalized(path.hasPrefix("/") ? path : directory + "/" + path)
    }

    /// An absolute path with `.` and `..` resolved by name (symlinks are kept as written).
    static func normalized(_ path: String) -> String {
        var kept: [Substring] = []
        for component in path.split(separator: "/") where component != "." {
            if component == ".." {
                _ = kept.popLast()
            } else {
                kept.append(component)
            }
        }
        return "/" + kept.joined(separator: "/")
    }

    static func parent(of path: String) -> String {
        normalized(path + "/..")
    }

    static func join(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }

    private static func resolvedLink(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink(path, &buffer, buffer.count - 1)
        guard count > 0 else { return nil }
        return String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private static func currentDirectory() -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buffer, buffer.count) != nil else { return nil }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
