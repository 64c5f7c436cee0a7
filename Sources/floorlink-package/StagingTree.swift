import Glibc

/// The package's files as they will be installed, assembled under a temporary directory for `dpkg-deb`. Paths
/// given to it are relative to the installed root (`usr/bin/floorlinkd`); directories are made 0755 on the way.
struct StagingTree {
    let root: String

    /// A fresh directory under `$TMPDIR` (or `/tmp`).
    init() throws(PackagingError) {
        let base = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
        var template = Array("\(base)/floorlink-package-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else {
            throw PackagingError("cannot make a staging directory in \(base): \(String(cString: strerror(errno)))")
        }
        root = String(cString: made)
        // mkdtemp makes it 0700; dpkg-deb takes the root's mode for "/" in the package.
        chmod(root, 0o755)
    }

    func path(_ relative: String) -> String { root + "/" + relative }

    /// Makes `relative` and its missing parents, each 0755.
    func makeDirectory(_ relative: String) throws(PackagingError) {
        var current = root
        for component in relative.split(separator: "/") {
            current += "/" + component
            if mkdir(current, 0o755) != 0 && errno != EEXIST {
                throw PackagingError("cannot make \(current): \(String(cString: strerror(errno)))")
            }
            chmod(current, 0o755)
        }
    }

    /// Writes `bytes` to `relative` with `mode`, making its directory.
    func write(_ bytes: [UInt8], to relative: String, mode: mode_t) throws(PackagingError) {
        if let slash = relative.lastIndex(of: "/") { try makeDirectory(String(relative[..<slash])) }
        let target = path(relative)
        let descriptor = open(target, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard descriptor >= 0 else {
            throw PackagingError("cannot write \(target): \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        var written = 0
        while written < bytes.count {
            let count = bytes[written...].withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { throw PackagingError("cannot write \(target): \(String(cString: strerror(errno)))") }
            written += count
        }
        fchmod(descriptor, mode)
    }

    func write(_ text: String, to relative: String, mode: mode_t = 0o644) throws(PackagingError) {
        try write(Array(text.utf8), to: relative, mode: mode)
    }

    /// Copies the file `source` to `relative` with `mode`.
    func copy(_ source: String, to relative: String, mode: mode_t = 0o644) throws(PackagingError) {
        try write(try FileSystem.read(source), to: relative, mode: mode)
    }

    /// Copies the directory `source` to `relative`: every regular file 0644, every directory 0755; anything else
    /// (a symlink, a socket) is an error naming it.
    func copyTree(_ source: String, to relative: String) throws(PackagingError) {
        try makeDirectory(relative)
        for name in try FileSystem.entries(of: source) {
            var status = stat()
            let from = source + "/" + name
            guard lstat(from, &status) == 0 else {
                throw PackagingError("cannot read \(from): \(String(cString: strerror(errno)))")
            }
            switch status.st_mode & S_IFMT {
            case S_IFDIR: try copyTree(from, to: relative + "/" + name)
            case S_IFREG: try copy(from, to: relative + "/" + name)
            default: throw PackagingError("\(from): expected a regular file or a directory")
            }
        }
    }

    /// Every regular file under the root, relative to it, sorted; `DEBIAN/` left out.
    func installedFiles() throws(PackagingError) -> [String] {
        try Self.files(under: root, prefix: "").filter { !$0.hasPrefix("DEBIAN/") }
    }

    /// dpkg-gencontrol's `Installed-Size`: regular files in KiB rounded up, one KiB for every directory.
    func installedKibibytes() throws(PackagingError) -> Int {
        var total = 0
        for relative in try installedFiles() {
            var status = stat()
            guard stat(path(relative), &status) == 0 else {
                throw PackagingError("cannot read \(path(relative)): \(String(cString: strerror(errno)))")
            }
            total += (Int(status.st_size) + 1023) / 1024
        }
        return total + (try Self.directoryCount(under: root, skipping: "DEBIAN"))
    }

    /// Removes the whole tree.
    func remove() {
        _ = try? Subprocess.run("rm", ["-rf", "--", root])
    }

    private static func files(under directory: String, prefix: String) throws(PackagingError) -> [String] {
        var found: [String] = []
        for name in try FileSystem.entries(of: directory) {
            var status = stat()
            guard lstat(directory + "/" + name, &status) == 0 else { continue }
            if status.st_mode & S_IFMT == S_IFDIR {
                found += try files(under: directory + "/" + name, prefix: prefix + name + "/")
            } else {
                found.append(prefix + name)
            }
        }
        return found
    }

    private static func directoryCount(under directory: String, skipping skipped: String) throws(PackagingError) -> Int
    {
        var count = 0
        for name in try FileSystem.entries(of: directory) where name != skipped {
            var status = stat()
            guard lstat(directory + "/" + name, &status) == 0, status.st_mode & S_IFMT == S_IFDIR else { continue }
            count += 1 + (try directoryCount(under: directory + "/" + name, skipping: ""))
        }
        return count
    }
}
