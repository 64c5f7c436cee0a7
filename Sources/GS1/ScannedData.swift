/// The result of decoding one scan: symbology, payload and, when the data is GS1, its elements or the error.
public struct DecodedScan: Sendable, Hashable {
    /// Stable lowercase symbology name ("gs1-128", "qr-code", …), "unknown" for an unrecognised AIM
    /// identifier and "none" when the scan had no AIM identifier.
    public let symbology: String
    /// The AIM identifier as transmitted (e.g. "]C1"), nil when absent.
    public let aim: String?
    /// The data after the AIM identifier.
    public let payload: String
    /// The GS1 elements in order when the payload is GS1 data and valid; nil otherwise.
    public let gs1: [Element]?
    /// Deviations tolerated while decoding the GS1 data.
    public let warnings: [ParseWarning]
    /// Why GS1 data (by symbology or by its form) could not be decoded; nil when it decoded or was not GS1.
    public let gs1Error: GS1Error?
    /// Whether the payload is a GS1 Digital Link URI.
    public let digitalLink: Bool

    /// Creates a result; normally produced by `ScannedData.decode`.
    public init(
        symbology: String,
        aim: String?,
        payload: String,
        gs1: [Element]?,
        warnings: [ParseWarning],
        gs1Error: GS1Error?,
        digitalLink: Bool
    ) {
        self.symbology = symbology
        self.aim = aim
        self.payload = payload
        self.gs1 = gs1
        self.warnings = warnings
        self.gs1Error = gs1Error
        self.digitalLink = digitalLink
    }
}

/// Turns raw scanner output (optionally AIM-prefixed) into a `DecodedScan`; never throws, never traps.
public enum ScannedData {
    /// Decodes one scan.
    ///
    /// GS1 symbologies (]C1, ]e0, ]d2, ]Q3, ]J1) are parsed as element strings; EAN/UPC (]E0, ]E3, ]E4) become
    /// AI 01; any http(s) payload whose path holds a GS1 primary key is a Digital Link; without an AIM prefix an
    /// element string is tried only when the data starts with GS or with "(" as in "(01)…".
    public static func decode(_ text: String) -> DecodedScan {
        let (identifier, payload) = SymbologyIdentifier.split(text)
        let symbology = identifier?.name ?? "none"
        func result(
            _ elements: [Element]?,
            _ warnings: [ParseWarning] = [],
            error: GS1Error? = nil,
            link: Bool = false
        ) -> DecodedScan {
            DecodedScan(
                symbology: symbology,
                aim: identifier?.aim,
                payload: payload,
                gs1: elements,
                warnings: warnings,
                gs1Error: error,
                digitalLink: link
            )
        }
        if isHTTP(payload) {
            do {
                let link = try DigitalLink.parse(payload)
                return result(link.elements, link.warnings, link: true)
            } catch {
                if case .notDigitalLink = error {
                    return result(nil)
                }
                return result(nil, error: error, link: true)
            }
        }
        let looksGS1: Bool
        if let identifier {
            if identifier.isGTIN {
                return gtin(from: payload, identifier: identifier, result: result)
            }
            looksGS1 = identifier.isGS1ElementString
        } else {
            looksGS1 = payload.utf8.first == 0x1D || payload.utf8.first == UInt8(ascii: "(")
        }
        guard looksGS1 else {
            return result(nil)
        }
        do {
            let parsed = try ElementString.parse(payload)
            return result(parsed.elements, parsed.warnings)
        } catch {
            return result(nil, error: error)
        }
    }

    private static func isHTTP(_ text: String) -> Bool {
        let bytes = Array(text.utf8.prefix(8))
        return DigitalLink.hasPrefixIgnoringCase(bytes, "http://")
            || DigitalLink.hasPrefixIgnoringCase(bytes, "https://")
    }

    /// EAN/UPC payloads are GTINs: EAN-13/UPC-A (13 or 12 digits, an add-on after 13 digits is dropped),
    /// EAN-8 (8 digits), UPC-E (8 digits under ]E0, expanded to UPC-A).
    private static func gtin(
        from payload: String,
        identifier: SymbologyIdentifier,
        result: ([Element]?, [ParseWarning], GS1Error?, Bool) -> DecodedScan
    ) -> DecodedScan {
        var digits = payload
        if identifier.modifier == "3", digits.utf8.count > 13 {
            digits = String(digits.prefix(13))
        }
        if identifier.modifier == "0", digits.utf8.count == 8, let expanded = upcEToUPCA(digits) {
            digits = expanded
        }
        guard let definition = AITable.definition(for: "01") else {
            return result(nil, [], nil, false)
        }
        guard let normalized = CheckDigit.normalizedGTIN(digits) else {
            let bytes = Array(digits.utf8)
            let error: GS1Error
            if let bad = bytes.firstIndex(where: { $0 < 0x30 || $0 > 0x39 }) {
                error = .invalidCharacter(ai: "01", character: ValueValidation.display(bytes[bad]), position: bad)
            } else if ![8, 12, 13, 14].contains(bytes.count) {
                error = .invalidLength(ai: "01", expected: .variable(min: 8, max: 14), actual: bytes.count, position: 0)
            } else {
                let expected = CheckDigit.compute(utf8: bytes.dropLast()) ?? 0
                error = .invalidCheckDigit(ai: "01", expected: expected, found: Int(bytes[bytes.count - 1]) - 0x30)
            }
            return result(nil, [], error, false)
        }
        let warnings: [ParseWarning] = normalized == digits ? [] : [.gtinNormalized(from: digits)]
        return result(
            [Element(ai: "01", value: normalized, title: definition.title, interpretation: nil)],
            warnings,
            nil,
            false
        )
    }

    /// Expands an 8-digit UPC-E (number system, 6 digits, check digit) to the 12-digit UPC-A it stands for.
    static func upcEToUPCA(_ upcE: String) -> String? {
        let d = Array(upcE.utf8)
        guard d.count == 8, d.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), d[0] == 0x30 || d[0] == 0x31 else {
            return nil
        }
        let s = d.map { String(Unicode.Scalar($0)) }
        let body: String
        switch d[6] {
        case 0x30, 0x31, 0x32:
            body = s[1] + s[2] + s[6] + "0000" + s[3] + s[4] + s[5]
        case 0x33:
            body = s[1] + s[2] + s[3] + "00000" + s[4] + s[5]
        case 0x34:
            body = s[1] + s[2] + s[3] + s[4] + "00000" + s[5]
        default:
            body = s[1] + s[2] + s[3] + s[4] + s[5] + "0000" + s[6]
        }
        return s[0] + body + s[7]
    }
}
