/// A site config problem, named the way a technician finds it: the file, the JSON path, and what was expected,
/// e.g. `site.json: devices[2].doors[0].lock: unknown pin "GPIO99" on board raspberry-pi-5`.
public struct ConfigError: Error, Hashable, Sendable, CustomStringConvertible {
    public var file: String
    /// The JSON path (`devices[2].doors[0].lock`), empty for the document itself.
    public var path: String
    public var message: String

    public init(file: String, path: String, message: String) {
        self.file = file
        self.path = path
        self.message = message
    }

    public var description: String {
        path.isEmpty ? "\(file): \(message)" : "\(file): \(path): \(message)"
    }
}
