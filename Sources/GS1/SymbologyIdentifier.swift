/// An AIM symbology identifier "]Xm" (ISO/IEC 15424) that scanners prefix to data, naming the barcode type.
public struct SymbologyIdentifier: Sendable, Hashable, CustomStringConvertible {
    /// The three-character identifier as transmitted, e.g. "]C1".
    public let aim: String
    /// The symbology code character, e.g. "C".
    public let code: Character
    /// The modifier character, e.g. "1".
    public let modifier: Character
    /// A stable lowercase symbology name, e.g. "gs1-128"; "unknown" for identifiers not in the table.
    public let name: String
    /// Whether the payload is a GS1 element string (GS1-128, GS1 DataBar, GS1 DataMatrix, GS1 QR, GS1 DotCode).
    public let isGS1ElementString: Bool
    /// Whether the payload is an EAN/UPC number that is a GTIN.
    public let isGTIN: Bool

    /// The AIM identifier text.
    public var description: String {
        aim
    }

    /// Parses a leading "]Xm" from `text`; nil when the text does not start with "]" plus two characters.
    public static func parse(_ text: String) -> SymbologyIdentifier? {
        // By byte: every scan passes here, and "]Xm" is ASCII. Characters are needed only when a non-ASCII byte
        // follows, which may combine with the modifier into one character that is not ASCII (e.g. "1" + U+0301).
        var bytes = text.utf8.makeIterator()
        guard bytes.next() == UInt8(ascii: "]"), let code = bytes.next(), let modifier = bytes.next(),
            isIdentifierCharacter(code), isIdentifierCharacter(modifier)
        else {
            return nil
        }
        if let following = bytes.next(), following >= 0x80 {
            var characters = text.makeIterator()
            _ = characters.next()
            _ = characters.next()
            guard characters.next()?.unicodeScalars.count == 1 else { return nil }
        }
        let entry = lookup(code: Unicode.Scalar(code), modifier: Unicode.Scalar(modifier))
        return SymbologyIdentifier(
            aim: String(decoding: [UInt8(ascii: "]"), code, modifier], as: UTF8.self),
            code: Character(Unicode.Scalar(code)),
            modifier: Character(Unicode.Scalar(modifier)),
            name: entry.name,
            isGS1ElementString: entry.gs1,
            isGTIN: entry.gtin
        )
    }

    /// Splits `text` into its AIM identifier (if any) and the payload after it.
    public static func split(_ text: String) -> (identifier: SymbologyIdentifier?, payload: String) {
        guard let identifier = parse(text) else {
            return (nil, text)
        }
        // The identifier is three ASCII bytes, so the payload starts at a character boundary.
        return (identifier, String(decoding: text.utf8.dropFirst(3), as: UTF8.self))
    }

    /// An ASCII character other than white space (tab, line feed, vertical tab, form feed, return, space).
    private static func isIdentifierCharacter(_ byte: UInt8) -> Bool {
        byte < 0x80 && !(0x09...0x0D).contains(byte) && byte != 0x20
    }

    /// Symbology code characters and names (ISO/IEC 15424 / AIM symbology identifier list); modifiers that
    /// change the meaning are handled in `lookup`.
    private static let names: [Unicode.Scalar: String] = [
        "A": "code-39", "B": "telepen", "C": "code-128", "D": "code-one", "E": "ean-upc", "F": "codabar",
        "G": "code-93", "H": "code-11", "I": "interleaved-2-of-5", "K": "code-16k", "L": "pdf417",
        "M": "msi", "N": "anker", "O": "codablock", "P": "plessey", "Q": "qr-code", "R": "straight-2-of-5",
        "S": "straight-2-of-5", "T": "code-49", "U": "maxicode", "X": "other", "d": "data-matrix",
        "e": "gs1-databar", "z": "aztec", "J": "dotcode", "o": "ocr", "h": "han-xin",
    ]

    private static func lookup(
        code: Unicode.Scalar,
        modifier: Unicode.Scalar
    ) -> (name: String, gs1: Bool, gtin: Bool) {
        switch (code, modifier) {
        case ("C", "1"): return ("gs1-128", true, false)
        case ("E", "0"), ("E", "3"): return ("ean-13", false, true)
        case ("E", "4"): return ("ean-8", false, true)
        case ("E", "1"), ("E", "2"): return ("ean-addon", false, false)
        case ("e", _): return ("gs1-databar", true, false)
        case ("d", "2"), ("d", "5"): return ("gs1-datamatrix", true, false)
        case ("Q", "3"), ("Q", "4"): return ("gs1-qr", true, false)
        case ("J", "1"): return ("gs1-dotcode", true, false)
        default:
            return (names[code] ?? "unknown", false, false)
        }
    }
}
