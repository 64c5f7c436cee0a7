import HAL

/// What a technician types for a GPIO line, resolved as the libgpiod tools and the site config do: `CHIP:OFFSET`,
/// a board pin name (`GPIO17`, `PIN11`) when a board is given, or a line name the kernel reports (`gpioinfo`'s
/// names: device tree or gpio-sim names).
public struct GPIOLineResolver: Sendable {
    public let backend: any GPIOBackend
    public let board: BoardPinMap?

    public init(backend: any GPIOBackend, board: BoardPinMap?) {
        self.backend = backend
        self.board = board
    }

    /// The line `text` names; the error lists every board pin (in natural order) and the chips searched.
    public func resolve(_ text: String) throws(GPIOLineLookupError) -> PinReference {
        if let direct = PinReference(direct: text) { return direct }
        if let pin = board?.pins[text] { return pin }
        var searched: [String] = []
        if let chips = try? backend.chips() {
            for info in chips {
                searched.append(info.name)
                guard let chip = try? backend.openChip(.name(info.name)),
                    let offset = try? chip.offset(ofLineNamed: text)
                else { continue }
                return PinReference(chip: .name(info.name), offset: offset, name: text)
            }
        }
        throw GPIOLineLookupError(name: text, board: board, chipsSearched: searched)
    }
}

/// A line name that is neither `CHIP:OFFSET`, a pin of the board, nor a line name on any chip.
public struct GPIOLineLookupError: Error, Hashable, Sendable, CustomStringConvertible {
    public var name: String
    public var boardName: String?
    /// Every pin of the board, in natural order (GPIO2 before GPIO10).
    public var boardPins: [String]
    public var chipsSearched: [String]

    public init(name: String, board: BoardPinMap?, chipsSearched: [String]) {
        self.name = name
        self.boardName = board?.board
        self.boardPins = board?.pinNames ?? []
        self.chipsSearched = chipsSearched
    }

    public var description: String {
        let chips =
            chipsSearched.isEmpty
            ? "no GPIO chip to search for a line of that name"
            : "no line of that name on \(chipsSearched.joined(separator: ", "))"
        guard let boardName else {
            return "unknown line \"\(name)\": \(chips); give it as CHIP:OFFSET, CHIP OFFSET, or a board pin name "
                + "with --board"
        }
        return
            "unknown pin \"\(name)\" on board \(boardName) (its pins: \(boardPins.joined(separator: ", "))); \(chips)"
    }
}

extension BoardPinMap {
    /// Every pin name of the board in natural order: GPIO2 before GPIO10, PIN3 before PIN11.
    public var pinNames: [String] {
        pins.keys.sorted(by: NaturalOrder.precedes)
    }
}

/// Text ordered as people order it: runs of digits compare by their value (`GPIO2` < `GPIO10`).
public enum NaturalOrder {
    public static func precedes(_ left: String, _ right: String) -> Bool {
        var a = Substring(left).unicodeScalars[...]
        var b = Substring(right).unicodeScalars[...]
        while let x = a.first, let y = b.first {
            let xDigit = ("0"..."9").contains(x)
            let yDigit = ("0"..."9").contains(y)
            if xDigit && yDigit {
                let xRun = a.prefix { ("0"..."9").contains($0) }
                let yRun = b.prefix { ("0"..."9").contains($0) }
                let xValue = String(String.UnicodeScalarView(xRun.drop { $0 == "0" }))
                let yValue = String(String.UnicodeScalarView(yRun.drop { $0 == "0" }))
                if xValue.count != yValue.count { return xValue.count < yValue.count }
                if xValue != yValue { return xValue < yValue }
                if xRun.count != yRun.count { return xRun.count < yRun.count }
                a = a.dropFirst(xRun.count)
                b = b.dropFirst(yRun.count)
            } else {
                if x != y { return x < y }
                a = a.dropFirst()
                b = b.dropFirst()
            }
        }
        return a.isEmpty && !b.isEmpty
    }
}

extension GPIOLineResolver {
    /// The lines a command line names, as gpiomon reads them: `CHIP OFFSET ...` when every word after the first is
    /// a number, else each word is a line of its own (`CHIP:OFFSET`, a board pin or a kernel line name).
    public func resolve(arguments words: [String]) throws(GPIOLineLookupError) -> [PinReference] {
        guard let first = words.first else { return [] }
        let offsets = words.dropFirst().compactMap { Int($0) }
        if !offsets.isEmpty, offsets.count == words.count - 1, offsets.allSatisfy({ $0 >= 0 }) {
            return offsets.map {
                PinReference(chip: GPIOChipSelector(parsing: first), offset: $0, name: "\(first):\($0)")
            }
        }
        var pins: [PinReference] = []
        for word in words { pins.append(try resolve(word)) }
        return pins
    }
}
