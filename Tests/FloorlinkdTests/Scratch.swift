import Events
import Foundation
import Glibc
import TestSupport

/// A test's own temporary directory (short, so socket paths fit in `sun_path`), removed by `remove()`.
final class Scratch: Sendable {
    let directory: String

    init() throws {
        var template = Array("/tmp/fld-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw HarnessError("mkdtemp: errno \(errno)") }
        directory = String(cString: made)
        // Board files are looked for beside the config (`<dir>/boards`), so a config here can name board pins.
        symlink(Package.root + "/hal/boards", directory + "/boards")
    }

    func path(_ name: String) -> String { "\(directory)/\(name)" }

    /// Writes `text` to `name` in the directory and returns its path.
    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        let file = path(name)
        try TestFile.write(text, to: file)
        return file
    }

    /// Writes `config` as JSON to `name` and returns its path.
    @discardableResult
    func write(_ name: String, json config: JSONValue) throws -> String {
        try write(name, config.jsonText)
    }

    /// What `name` holds so far (a child may still be writing it); empty if it does not exist.
    func read(_ name: String) -> String {
        Self.contents(ofFile: path(name))
    }

    /// The text of the file at `path` so far, read to its current end; empty if it does not exist.
    static func contents(ofFile path: String) -> String {
        guard let file = fopen(path, "r") else { return "" }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = fread(&buffer, 1, buffer.count, file)
            bytes += buffer.prefix(count)
            if count < buffer.count { break }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    func exists(_ name: String) -> Bool { access(path(name), F_OK) == 0 }

    func remove() {
        try? FileManager.default.removeItem(atPath: directory)
    }
}

/// Where this package is.
enum Package {
    /// The package root: three levels above this file (Tests/FloorlinkdTests/Scratch.swift).
    static let root: String = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
}

/// Polls `condition` every 20 ms until it returns a value or `timeout` passes.
func eventually<T>(
    within timeout: Duration,
    _ condition: () async throws -> T?
) async rethrows -> T? {
    let deadline = ContinuousClock.now + timeout
    while true {
        if let value = try await condition() { return value }
        guard ContinuousClock.now < deadline, await Poll.pause(.milliseconds(20)) else { return nil }
    }
}
