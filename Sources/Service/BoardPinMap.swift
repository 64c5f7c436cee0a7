import Events
import Glibc
import HAL

/// Where a named pin lives: the chip (found by label on boards, since numbers change between kernels) and
/// the line offset.
public struct PinReference: Hashable, Sendable, CustomStringConvertible {
    public var chip: GPIOChipSelector
    public var offset: Int
    /// The name the config used (`GPIO17` or `gpiochip0:17`).
    public var name: String

    public init(chip: GPIOChipSelector, offset: Int, name: String) {
        self.chip = chip
        self.offset = offset
        self.name = name
    }

    public var description: String { "\(name) (\(chip) line \(offset))" }

    /// Parses the board-independent spelling `gpiochipN:OFFSET` (also `LABEL:OFFSET`, `/dev/gpiochipN:OFFSET`).
    public init?(direct text: String) {
        guard let colon = text.lastIndex(of: ":"), let offset = Int(text[text.index(after: colon)...]), offset >= 0
        else { return nil }
        let chip = String(text[..<colon])
        guard !chip.isEmpty else { return nil }
        self.init(chip: GPIOChipSelector(parsing: chip), offset: offset, name: text)
    }
}

/// A board's header pin names and the chips they are on, from `hal/boards/<board>.json`.
public struct BoardPinMap: Sendable {
    public let board: String
    public let pins: [String: PinReference]

    public init(board: String, pins: [String: PinReference]) {
        self.board = board
        self.pins = pins
    }

    /// Parses one board file: `{"board": NAME, "chips": {KEY: {"label": L}}, "pins": {PIN: {"chip": KEY, "line": N}}}`.
    public static func load(path: String) throws(ConfigError) -> BoardPinMap {
        let file = String(path.split(separator: "/").last ?? Substring(path))
        let document = try ConfigFile.readJSON(path: path)
        var root = try ConfigObject(document, file: file, path: "")
        let board = try root.string("board")
        _ = root.value("description")
        var chips: [String: GPIOChipSelector] = [:]
        if let chipsObject = root.value("chips"), case .object(let members) = chipsObject {
            for (key, value) in members {
                var chip = try ConfigObject(value, file: file, path: "chips.\(key)")
                chips[key] = .label(try chip.string("label"))
                _ = chip.value("lines")
                _ = chip.value("description")
                try chip.finish()
            }
        }
        var pins: [String: PinReference] = [:]
        guard let pinsObject = root.value("pins"), case .object(let members) = pinsObject else {
            throw ConfigError(file: file, path: "pins", message: "required, an object of pin name to chip and line")
        }
        for (name, value) in members {
            var pin = try ConfigObject(value, file: file, path: "pins.\(name)")
            let chipKey = try pin.string("chip")
            guard let chip = chips[chipKey] else {
                throw pin.error("chip", "unknown chip \"\(chipKey)\", expected one of \(chips.keys.sorted())")
            }
            pins[name] = PinReference(chip: chip, offset: try pin.int("line", in: 0...1023), name: name)
            _ = pin.value("header")
            try pin.finish()
        }
        if let aliases = root.value("aliases") {
            guard case .object(let members) = aliases else {
                throw ConfigError(file: file, path: "aliases", message: "expected an object of alias to pin name")
            }
            for (alias, target) in members {
                guard let targetName = target.stringValue, var pin = pins[targetName] else {
                    throw ConfigError(
                        file: file,
                        path: "aliases.\(alias)",
                        message: "expected the name of a pin of this board"
                    )
                }
                pin.name = alias
                pins[alias] = pin
            }
        }
        try root.finish()
        return BoardPinMap(board: board, pins: pins)
    }
}
