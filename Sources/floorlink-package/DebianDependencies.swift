import Glibc

/// The package's `Depends`, from what the binaries actually link: each `DT_NEEDED` soname becomes the Debian package
/// that ships it, at least at the lowest version that has every symbol version the binaries need from it. That
/// lowest version comes from the Debian symbols files of the build machine (`/var/lib/dpkg/info/*.symbols`, the
/// files `dpkg-shlibdeps` reads), looked up by version node (`GLIBC_2.35` → `libc6 (>= 2.35)`), and only from the
/// files of the binaries' own architecture (`libc6:arm64.symbols`): the nodes differ between architectures (an
/// aarch64 `libm.so.6` starts at `GLIBC_2.17`, which amd64's does not have; amd64's starts at `GLIBC_2.2.5`). A
/// cross build is packaged as Debian packages one: with the target's library packages installed beside the build
/// machine's through multiarch (`dpkg --add-architecture arm64`, `apt-get install libc6:arm64 …`).
///
/// Package *names* come from a table instead, because they differ between the releases the one package installs
/// on: OpenSSL is `libssl3` on Debian 12 and `libssl3t64` on Debian 13. libgpiod is not linked but loaded at run
/// time (`libgpiod.so.3`, else `libgpiod.so.2`: see `CGPIOD`), so it is added by name.
struct DebianDependencies {
    /// The package, or the alternatives, that ship each soname the binaries may need, for every release the package
    /// installs on (Debian 12 and 13, Raspberry Pi OS bookworm and trixie).
    static let packagesBySoname: [String: [String]] = [
        "libc.so.6": ["libc6"], "libm.so.6": ["libc6"], "libpthread.so.0": ["libc6"], "libdl.so.2": ["libc6"],
        "librt.so.1": ["libc6"], "ld-linux-x86-64.so.2": ["libc6"], "ld-linux-aarch64.so.1": ["libc6"],
        "libstdc++.so.6": ["libstdc++6"], "libgcc_s.so.1": ["libgcc-s1"],
        "libssl.so.3": ["libssl3", "libssl3t64"], "libcrypto.so.3": ["libssl3", "libssl3t64"],
        "libserialport.so.0": ["libserialport0"],
    ]

    /// Needed at run time without being linked, or by the maintainer scripts.
    static let unlinked = ["adduser", "libgpiod2 | libgpiod3"]

    /// Where the symbols files are.
    var symbolsDirectory = "/var/lib/dpkg/info"

    /// The `Depends` value for `binaries` (name → parsed file), built for the Debian `architecture`, sorted by
    /// package.
    func depends(_ binaries: [(name: String, file: ELFFile)], architecture: String) throws(PackagingError) -> String {
        var minimum: [[String]: String?] = [:]
        for (name, file) in binaries {
            for soname in file.neededLibraries {
                guard let packages = Self.packagesBySoname[soname] else {
                    throw PackagingError(
                        "\(name) links \(soname), which has no Debian package in DebianDependencies.packagesBySoname; "
                            + "add the package that ships it on each release the .deb installs on"
                    )
                }
                let version = try lowestVersion(
                    of: packages,
                    architecture: architecture,
                    soname: soname,
                    providing: file.neededVersions[soname] ?? [],
                    neededBy: name
                )
                let known = minimum[packages] ?? nil
                minimum[packages] = Self.higher(known, version)
            }
        }
        let linked = minimum.sorted { $0.key[0] < $1.key[0] }.map { packages, version in
            packages.map { package in version.map { "\(package) (>= \($0))" } ?? package }.joined(separator: " | ")
        }
        return (Self.unlinked + linked).sorted().joined(separator: ", ")
    }

    /// The lowest version of `packages` with every one of `nodes` (nil when no node is needed: any version, as for
    /// `libserialport0`, whose symbols are not versioned).
    func lowestVersion(
        of packages: [String],
        architecture: String,
        soname: String,
        providing nodes: [String],
        neededBy binary: String
    ) throws(PackagingError) -> String? {
        if nodes.isEmpty { return nil }
        guard let table = try symbolVersions(of: packages, architecture: architecture)[soname] else {
            let names = packages.map { "\($0):\(architecture)" }.joined(separator: " or ")
            throw PackagingError(
                "\(binary) needs \(nodes.joined(separator: ", ")) from \(soname), but no symbols file in "
                    + "\(symbolsDirectory) of \(names) knows \(soname): install that package where the .deb is built "
                    + "(for a cross build, with dpkg --add-architecture \(architecture))"
            )
        }
        var lowest: String?
        for node in nodes {
            guard let version = table[node] else {
                throw PackagingError(
                    "\(binary) needs \(node) from \(soname), which the \(architecture) symbols files of "
                        + "\(packages.joined(separator: " or ")) in \(symbolsDirectory) do not know: build and package "
                        + "on the release the binaries are for"
                )
            }
            lowest = Self.higher(lowest, version)
        }
        return lowest
    }

    /// Per soname, the version node → lowest package version lines (`GLIBC_2.35@GLIBC_2.35 2.35`) of the symbols
    /// files of `packages` for `architecture`: `PACKAGE:ARCH.symbols`, the name dpkg gives the files of a Multi-Arch:
    /// same package, which every library package in `packagesBySoname` is.
    func symbolVersions(
        of packages: [String],
        architecture: String
    ) throws(PackagingError) -> [String: [String: String]] {
        var files: [String] = []
        for name in (try? FileSystem.entries(of: symbolsDirectory)) ?? [] where name.hasSuffix(".symbols") {
            let qualified = name.dropLast(".symbols".count).split(separator: ":", maxSplits: 1).map(String.init)
            if qualified.count == 2, packages.contains(qualified[0]), qualified[1] == architecture {
                files.append(symbolsDirectory + "/" + name)
            }
        }
        var versions: [String: [String: String]] = [:]
        for path in files.sorted() {
            var soname: String?
            for line in String(decoding: try FileSystem.read(path), as: UTF8.self).split(separator: "\n") {
                guard let first = line.first else { continue }
                if first == " " {
                    let fields = line.split(separator: " ")
                    guard let soname, fields.count >= 2 else { continue }
                    let symbol = fields[0].split(separator: "@", maxSplits: 1)
                    if symbol.count == 2, symbol[0] == symbol[1] {
                        versions[soname, default: [:]][String(symbol[1])] = String(fields[1])
                    }
                } else if first != "|" && first != "*" && first != "#" {
                    soname = line.split(separator: " ").first.map(String.init)
                }
            }
        }
        return versions
    }

    /// The higher of two Debian versions (nil is lower than any).
    static func higher(_ first: String?, _ second: String?) -> String? {
        guard let first else { return second }
        guard let second else { return first }
        return compare(first, second) >= 0 ? first : second
    }

    /// dpkg's version comparison (`verrevcmp`): non-digit runs by character with `~` lowest and letters before other
    /// characters, digit runs by value. Negative, zero or positive as `first` is lower, equal or higher.
    static func compare(_ first: String, _ second: String) -> Int {
        let a = Array(first.utf8)
        let b = Array(second.utf8)
        func isDigit(_ byte: UInt8) -> Bool { (0x30...0x39).contains(byte) }
        func order(_ bytes: [UInt8], _ index: Int) -> Int {
            guard index < bytes.count else { return 0 }
            let byte = bytes[index]
            if isDigit(byte) { return 0 }
            if (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) { return Int(byte) }
            if byte == UInt8(ascii: "~") { return -1 }
            return Int(byte) + 256
        }
        var i = 0
        var j = 0
        while i < a.count || j < b.count {
            while (i < a.count && !isDigit(a[i])) || (j < b.count && !isDigit(b[j])) {
                let difference = order(a, i) - order(b, j)
                if difference != 0 { return difference }
                i += 1
                j += 1
            }
            while i < a.count && a[i] == UInt8(ascii: "0") { i += 1 }
            while j < b.count && b[j] == UInt8(ascii: "0") { j += 1 }
            var firstDifference = 0
            while i < a.count && j < b.count && isDigit(a[i]) && isDigit(b[j]) {
                if firstDifference == 0 { firstDifference = Int(a[i]) - Int(b[j]) }
                i += 1
                j += 1
            }
            if i < a.count && isDigit(a[i]) { return 1 }
            if j < b.count && isDigit(b[j]) { return -1 }
            if firstDifference != 0 { return firstDifference }
        }
        return 0
    }
}
