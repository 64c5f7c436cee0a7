import Service

/// `floorlink_<version>_<arch>.deb`, made with `dpkg-deb` from two built binaries and the checkout's data: the
/// programs in `/usr/bin`, `hal/` in `/usr/share/floorlink/hal`, the udev rules, the systemd unit, the example
/// `/etc/floorlink/site.json` (a conffile), the manual pages, the copyright, changelog and README, and the
/// maintainer scripts in `Sources/floorlink-package/debian/`. Only `Architecture` and `Depends` depend on the
/// architecture the binaries were built for. Everything from `/lib` is installed under `/usr/lib`: Debian 13's
/// `/lib` is a link to `usr/lib` that packages must not ship files through (lintian: `aliased-location`), and
/// `/usr/lib/systemd/system` and `/usr/lib/udev/rules.d` are read on Debian 12 and Raspberry Pi OS too.
struct DebianPackage {
    /// The statically linked (`--static-swift-stdlib`) release builds, unstripped or stripped.
    var daemonPath: String
    var controlToolPath: String
    /// The checkout: `hal/`, `udev/`, `systemd/`, `README.md` and `Sources/floorlink-package/debian/`.
    var sourceDirectory: String
    /// Where the .deb is written.
    var outputDirectory: String
    /// The Debian architecture asked for (`--arch`); it must be the binaries' own.
    var requestedArchitecture: String?
    /// The `strip` that understands the binaries' architecture (`aarch64-linux-gnu-strip` for arm64 on amd64).
    var stripProgram: String
    var dependencies = DebianDependencies()

    /// The package's files in the checkout.
    var debianDirectory: String { sourceDirectory + "/Sources/floorlink-package/debian" }

    /// Builds the package and returns its path.
    func build() throws(PackagingError) -> String {
        let binaries = [("floorlinkd", daemonPath), ("floorctl", controlToolPath)]
        var parsed: [(name: String, file: ELFFile)] = []
        for (name, path) in binaries {
            let file = try ELFFile(path: path)
            guard file.librarySearchPaths.isEmpty else {
                throw PackagingError(
                    "\(path) carries the library search path \(file.librarySearchPaths.joined(separator: ":")) "
                        + "(lintian: custom-library-search-path); build with swift build --disable-local-rpath"
                )
            }
            parsed.append((name, file))
        }
        let architecture = try architecture(of: parsed)
        let version = FloorlinkVersion.current
        try checkChangelog(version: version)
        try checkExampleConfig()

        let tree = try StagingTree()
        defer { tree.remove() }
        for (name, path) in binaries {
            try tree.copy(path, to: "usr/bin/\(name)", mode: 0o755)
            // dh_strip's options for a program: the symbol tables, .comment and .note go.
            try Subprocess.run(
                stripProgram,
                ["--remove-section=.comment", "--remove-section=.note", tree.path("usr/bin/\(name)")]
            )
        }
        try tree.copyTree(sourceDirectory + "/hal", to: "usr/share/floorlink/hal")
        try tree.copy(sourceDirectory + "/udev/99-floorlink.rules", to: "usr/lib/udev/rules.d/99-floorlink.rules")
        try tree.copy(
            sourceDirectory + "/systemd/floorlinkd.service",
            to: "usr/lib/systemd/system/floorlinkd.service"
        )
        try tree.copy(debianDirectory + "/site.json", to: "etc/floorlink/site.json")
        try tree.copy(debianDirectory + "/copyright", to: "usr/share/doc/floorlink/copyright")
        try tree.copy(debianDirectory + "/lintian-overrides", to: "usr/share/lintian/overrides/floorlink")
        try compress(debianDirectory + "/changelog", to: "usr/share/doc/floorlink/changelog.gz", in: tree)
        try compress(sourceDirectory + "/README.md", to: "usr/share/doc/floorlink/README.md.gz", in: tree)
        try compress(debianDirectory + "/floorlinkd.8", to: "usr/share/man/man8/floorlinkd.8.gz", in: tree)
        try compress(debianDirectory + "/floorctl.1", to: "usr/share/man/man1/floorctl.1.gz", in: tree)

        for script in ["postinst", "prerm", "postrm"] {
            try tree.copy(debianDirectory + "/" + script, to: "DEBIAN/\(script)", mode: 0o755)
        }
        try tree.write("/etc/floorlink/site.json\n", to: "DEBIAN/conffiles")
        try writeChecksums(in: tree)
        let substitutions = [
            "${Version}": version, "${Architecture}": architecture,
            "${Installed-Size}": String(try tree.installedKibibytes()),
            "${Depends}": try dependencies.depends(parsed, architecture: architecture),
        ]
        var control = String(decoding: try FileSystem.read(debianDirectory + "/control"), as: UTF8.self)
        for (name, value) in substitutions { control = control.replacing(name, with: value) }
        try tree.write(control, to: "DEBIAN/control")

        let output = "\(outputDirectory)/floorlink_\(version)_\(architecture).deb"
        // Its "building package …" line would mix with the path printed on stdout.
        try Subprocess.run(
            "dpkg-deb",
            ["--root-owner-group", "-Zxz", "--build", tree.root, output],
            outputPath: "/dev/null"
        )
        return output
    }

    /// The Debian architecture of the binaries (both must agree, and agree with `--arch` when given).
    func architecture(of binaries: [(name: String, file: ELFFile)]) throws(PackagingError) -> String {
        let names: [UInt16: String] = [62: "amd64", 183: "arm64", 243: "riscv64"]
        var found: String?
        for (name, file) in binaries {
            guard let architecture = names[file.machine] else {
                throw PackagingError("\(name) is built for ELF machine \(file.machine), not amd64, arm64 or riscv64")
            }
            if let found, found != architecture {
                throw PackagingError("\(name) is built for \(architecture), the other program for \(found)")
            }
            found = architecture
        }
        guard let found else { throw PackagingError("no binaries to package") }
        if let requestedArchitecture, requestedArchitecture != found {
            throw PackagingError("--arch \(requestedArchitecture) asked for, but the binaries are built for \(found)")
        }
        return found
    }

    /// The changelog's newest entry must be this version: `floorlink (VERSION) …` on its first line.
    func checkChangelog(version: String) throws(PackagingError) {
        let path = debianDirectory + "/changelog"
        let text = String(decoding: try FileSystem.read(path), as: UTF8.self)
        let firstLine = text.split(separator: "\n", maxSplits: 1).first.map(String.init) ?? ""
        guard firstLine.hasPrefix("floorlink (\(version)) ") else {
            throw PackagingError(
                "\(path): the newest entry is \"\(firstLine)\", expected one for floorlink (\(version)), the version "
                    + "in Sources/Service/FloorlinkVersion.swift; add an entry"
            )
        }
    }

    /// The example config must load against the checkout's boards and be marked an example, so the package never
    /// ships one the daemon would run (or could not read).
    func checkExampleConfig() throws(PackagingError) {
        let path = debianDirectory + "/site.json"
        let example: SiteConfiguration
        do throws(ConfigError) {
            example = try SiteConfiguration.load(
                path: path,
                hal: HALSearchPath(directories: [sourceDirectory + "/hal"])
            )
        } catch {
            throw PackagingError("\(path) does not load: \(error)")
        }
        guard example.example != nil else {
            throw PackagingError("\(path): the example config must keep its \"example\" member")
        }
    }

    /// `gzip -9n`, as dh_compress does (no name or time stamp inside, so the same input gives the same bytes).
    func compress(_ source: String, to relative: String, in tree: StagingTree) throws(PackagingError) {
        try tree.makeDirectory(String(relative[..<(relative.lastIndex(of: "/") ?? relative.endIndex)]))
        try Subprocess.run("gzip", ["-9n", "--stdout", source], outputPath: tree.path(relative))
    }

    /// `DEBIAN/md5sums` (what `dpkg --verify` checks), conffiles left out as dh_md5sums does.
    func writeChecksums(in tree: StagingTree) throws(PackagingError) {
        let files = try tree.installedFiles().filter { !$0.hasPrefix("etc/") }
        let listing = tree.path("DEBIAN/md5sums")
        try Subprocess.run("md5sum", ["--"] + files.map(tree.path), outputPath: listing)
        let text = String(decoding: try FileSystem.read(listing), as: UTF8.self)
        try tree.write(text.replacing("  " + tree.root + "/", with: "  "), to: "DEBIAN/md5sums")
    }
}
