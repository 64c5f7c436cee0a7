import Events
import Foundation
import Service
import TestSupport
import Testing

/// Where board files and device profiles are looked for: beside the config, with the executable, installed; never
/// in the working directory.
@Suite("HAL search path")
struct HALSearchPathTests {
    /// One way the daemon or `floorctl` is started, and the hal directories it must search, in order.
    struct Layout: Sendable, CustomTestStringConvertible {
        var name: String
        var configPath: String?
        var executablePath: String?
        var workingDirectory: String
        var expected: [String]
        var testDescription: String { name }
    }

    static let layouts: [Layout] = [
        Layout(
            name: "the package: /usr/bin with the installed config",
            configPath: "/etc/floorlink/site.json",
            executablePath: "/usr/bin/floorlinkd",
            workingDirectory: "/",
            expected: ["/etc/floorlink", "/etc/floorlink/hal", "/usr/share/floorlink/hal"]
        ),
        Layout(
            name: "installed under /usr/local, started from a home directory",
            configPath: "/srv/site-7/site.json",
            executablePath: "/usr/local/bin/floorctl",
            workingDirectory: "/home/tech",
            expected: [
                "/srv/site-7", "/srv/site-7/hal", "/usr/local/share/floorlink/hal", "/usr/share/floorlink/hal",
            ]
        ),
        Layout(
            name: "a checkout's debug build running the demo from the checkout",
            configPath: "hal/sites/demo.json",
            executablePath: "/src/floorlink/.build/x86_64-unknown-linux-gnu/debug/floorlinkd",
            workingDirectory: "/src/floorlink",
            expected: [
                "/src/floorlink/hal/sites", "/src/floorlink/hal/sites/hal", "/src/floorlink/hal",
                "/usr/share/floorlink/hal",
            ]
        ),
        Layout(
            name: "a checkout's sanitizer build started from /",
            configPath: "/tmp/t1/site.json",
            executablePath: "/src/floorlink/.build-asan/x86_64-unknown-linux-gnu/debug/floorctl",
            workingDirectory: "/",
            expected: ["/tmp/t1", "/tmp/t1/hal", "/src/floorlink/hal", "/usr/share/floorlink/hal"]
        ),
        Layout(
            name: "a relative config with . and .. from /tmp",
            configPath: "../etc/./floorlink//site.json",
            executablePath: "/usr/bin/floorlinkd",
            workingDirectory: "/tmp",
            expected: ["/etc/floorlink", "/etc/floorlink/hal", "/usr/share/floorlink/hal"]
        ),
        Layout(
            name: "a config in the working directory /",
            configPath: "site.json",
            executablePath: "/usr/bin/floorlinkd",
            workingDirectory: "/",
            expected: ["/", "/hal", "/usr/share/floorlink/hal"]
        ),
        Layout(
            name: "no config (floorctl gpio), executable unknown",
            configPath: nil,
            executablePath: nil,
            workingDirectory: "/home/tech",
            expected: ["/usr/share/floorlink/hal"]
        ),
    ]

    @Test("the hal directories for each way of starting, most specific first", arguments: layouts)
    func directories(_ layout: Layout) {
        let search = HALSearchPath(
            configPath: layout.configPath,
            executablePath: layout.executablePath,
            workingDirectory: layout.workingDirectory
        )
        #expect(search.directories == layout.expected)
    }

    /// A tree with the four places a search looks: beside the config, its `hal/`, the executable's data and the
    /// installed directory.
    struct Tree {
        let root: String
        var configDirectory: String { root + "/etc" }
        var configPath: String { configDirectory + "/site.json" }
        var executablePath: String { root + "/usr/bin/floorlinkd" }
        var installedDirectory: String { root + "/usr/share/floorlink/hal" }
        var search: HALSearchPath {
            HALSearchPath(
                configPath: configPath,
                executablePath: executablePath,
                workingDirectory: "/",
                installedDirectory: installedDirectory
            )
        }

        init() throws {
            var template = Array("/tmp/fl-hal-XXXXXX".utf8CString)
            guard let made = mkdtemp(&template) else { throw CocoaError(.fileWriteUnknown) }
            root = String(cString: made)
        }

        /// The hal directory a `Place` stands for.
        func directory(_ place: Place) -> String {
            switch place {
            case .besideConfig: return configDirectory
            case .configHAL: return configDirectory + "/hal"
            case .withExecutable: return root + "/usr/local-data"
            case .installed: return installedDirectory
            }
        }

        /// Writes `<place>/<kind>/<name>.json` and returns its path.
        @discardableResult
        func write(_ kind: HALSearchPath.Kind, _ name: String, at place: Place) throws -> String {
            let directory = self.directory(place) + "/" + kind.rawValue
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let path = directory + "/" + name + ".json"
            try TestFile.write("{}", to: path)
            return path
        }

        func remove() { try? FileManager.default.removeItem(atPath: root) }
    }

    /// The four places of a search, in its order. The executable's data is `<exe dir>/../share/floorlink/hal`,
    /// which in a `Tree` is the installed directory itself; `withExecutable` uses its own search below.
    enum Place: String, CaseIterable, Sendable {
        case besideConfig, configHAL, withExecutable, installed
    }

    /// The tree's search with the executable's data moved to a directory of its own, so each place is distinct.
    static func distinctSearch(_ tree: Tree) -> HALSearchPath {
        HALSearchPath(directories: Place.allCases.map(tree.directory))
    }

    @Test(
        "a board file or a device profile is found wherever it is, and the most specific place wins",
        arguments: [HALSearchPath.Kind.board, .deviceProfile],
        Place.allCases
    )
    func found(kind: HALSearchPath.Kind, place: Place) throws {
        let tree = try Tree()
        defer { tree.remove() }
        let search = Self.distinctSearch(tree)
        let expected = try tree.write(kind, "raspberry-pi-5", at: place)
        #expect(try search.file(kind, named: "raspberry-pi-5") == expected)
        #expect(try search.file(kind, named: "raspberry-pi-5.json") == expected, "a name may carry .json")
        for later in Place.allCases.drop(while: { $0 != place }).dropFirst() {
            try tree.write(kind, "raspberry-pi-5", at: later)
        }
        #expect(try search.file(kind, named: "raspberry-pi-5") == expected, "a later place does not win")
    }

    @Test("the executable's own data: <exe dir>/../share/floorlink/hal")
    func executableData() throws {
        let tree = try Tree()
        defer { tree.remove() }
        let expected = try tree.write(.board, "custom", at: .installed)
        let search = HALSearchPath(
            configPath: tree.configPath,
            executablePath: tree.executablePath,
            workingDirectory: "/",
            installedDirectory: "/nonexistent/floorlink/hal"
        )
        #expect(search.directories[2] == tree.installedDirectory)
        #expect(try search.file(.board, named: "custom") == expected)
    }

    /// The expected "not found" error for a tree (built apart from the `@Test`: Swift 6.0.3 type-checks long
    /// concatenations inside it too slowly).
    static func notFound(_ tree: Tree, kind: HALSearchPath.Kind) -> ConfigError {
        let what = kind == .board ? "board file" : "device profile"
        let places = [
            tree.configDirectory, tree.configDirectory + "/hal", tree.installedDirectory,
        ].map { $0 + "/" + kind.rawValue }
        return ConfigError(
            file: "pi-zero.json",
            path: "",
            message: "no \(what) found in " + places.joined(separator: ", ")
        )
    }

    @Test(
        "nothing found: the error names the file and every place searched",
        arguments: [HALSearchPath.Kind.board, .deviceProfile]
    )
    func notFound(kind: HALSearchPath.Kind) throws {
        let tree = try Tree()
        defer { tree.remove() }
        try tree.write(kind, "raspberry-pi-5", at: .installed)
        #expect(throws: Self.notFound(tree, kind: kind)) { try tree.search.file(kind, named: "pi-zero") }
    }

    @Test(
        "a name is never a path: the loader's names may not hold a slash",
        arguments: ["boards/raspberry-pi-5", "../raspberry-pi-5", "/etc/floorlink/boards/raspberry-pi-5.json", ""]
    )
    func nameIsNotAPath(name: String) throws {
        let tree = try Tree()
        defer { tree.remove() }
        let expected = ConfigError(
            file: "\"\(name)\"",
            path: "",
            message: "expected the name of a board file (such as raspberry-pi-5), not a path"
        )
        #expect(throws: expected) { try tree.search.file(.board, named: name) }
    }

    @Test(
        "NAME|PATH: a reference with a slash is that path, as typed; a plain name is searched",
        arguments: [
            ("hal/boards/raspberry-pi-5.json", "hal/boards/raspberry-pi-5.json"),
            ("./raspberry-pi-5.json", "./raspberry-pi-5.json"),
            ("/opt/boards/x.json", "/opt/boards/x.json"),
        ]
    )
    func nameOrPath(reference: String, expected: String) throws {
        let search = HALSearchPath(directories: [])
        #expect(try search.file(.board, nameOrPath: reference) == expected)
    }

    @Test("a plain name given as NAME|PATH is searched like any name")
    func nameOrPathSearches() throws {
        let tree = try Tree()
        defer { tree.remove() }
        let expected = try tree.write(.board, "raspberry-pi-4", at: .configHAL)
        #expect(try tree.search.file(.board, nameOrPath: "raspberry-pi-4") == expected)
        #expect(throws: ConfigError.self) { try tree.search.file(.board, nameOrPath: "raspberry-pi-3") }
    }

    @Test("a site config beside its own boards/ loads and records the board file it used")
    func siteBesideItsBoards() throws {
        let tree = try Tree()
        defer { tree.remove() }
        let boards = tree.configDirectory + "/boards"
        try FileManager.default.createDirectory(atPath: boards, withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            atPath: repositoryHAL + "/boards/raspberry-pi-5.json",
            toPath: boards + "/raspberry-pi-5.json"
        )
        let site: JSONValue = [
            "site": "t", "controller": "c1", "hardware": "simulated", "board": "raspberry-pi-5",
            "devices": [
                [
                    "id": "lockers-A", "kind": "locker-bank",
                    "doors": [["id": "A1", "lock": "GPIO17", "sensor": "GPIO27"]],
                ]
            ],
        ]
        try TestFile.write(site.jsonText, to: tree.configPath)
        let loaded = try SiteConfiguration.load(path: tree.configPath, hal: tree.search)
        #expect(loaded.boardFile == boards + "/raspberry-pi-5.json")
        #expect(loaded.example == nil)
    }
}
