/// A parsed GS1 element string: the ordered elements plus anything the parser tolerated.
///
/// Input is the data as a scanner transmits it after the AIM symbology identifier: AIs concatenated, with
/// variable-length fields ended by GS (0x1D) unless last (GS1 General Specifications 7.8.4-7.8.5). The bracketed
/// human-readable form "(01)…(10)…" is also accepted.
public struct ElementString: Sendable, Hashable {
    /// The elements in the order they were encoded.
    public let elements: [Element]
    /// Deviations that were tolerated (missing or replaced separators, GTIN padding).
    public let warnings: [ParseWarning]

    /// Creates a result; normally produced by `parse`.
    public init(elements: [Element], warnings: [ParseWarning]) {
        self.elements = elements
        self.warnings = warnings
    }

    /// The value of the first element with `ai`, if present.
    public func value(for ai: String) -> String? {
        elements.first { $0.ai == ai }?.value
    }

    /// The bracketed human-readable form, e.g. "(01)09506000134352(10)ABC123".
    public var humanReadable: String {
        elements.map(\.description).joined()
    }

    /// Parses scanner data; text starting with "(" is treated as the bracketed human-readable form.
    public static func parse(_ text: String) throws(GS1Error) -> ElementString {
        if text.utf8.first == UInt8(ascii: "(") {
            return try parseHumanReadable(text)
        }
        return try parse(Array(text.utf8))
    }

    /// Parses scanner data given as bytes (positions in errors are byte offsets).
    public static func parse(_ bytes: [UInt8]) throws(GS1Error) -> ElementString {
        var parser = ElementStringParser(bytes: bytes)
        let elements = try parser.parseAll()
        try checkConflicts(elements)
        return ElementString(elements: elements, warnings: parser.warnings)
    }

    /// Parses the bracketed human-readable form, e.g. "(01)09506000134352(17)261231(10)ABC123".
    ///
    /// A "(" inside a value only starts a new element when followed by 2-4 digits naming a known AI and ")".
    public static func parseHumanReadable(_ text: String) throws(GS1Error) -> ElementString {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty else {
            throw .emptyInput
        }
        var elements: [Element] = []
        var cursor = 0
        while cursor < bytes.count {
            guard let (definition, valueStart) = aiMarker(in: bytes, at: cursor) else {
                if bytes[cursor] == UInt8(ascii: "("), cursor + 1 < bytes.count,
                    let close = bytes[(cursor + 1)...].firstIndex(of: UInt8(ascii: ")")),
                    close - cursor - 1 >= 2, close - cursor - 1 <= 4,
                    bytes[(cursor + 1)..<close].allSatisfy({ $0 >= 0x30 && $0 <= 0x39 })
                {
                    throw .unknownAI(ValueValidation.text(bytes[(cursor + 1)..<close]), position: cursor + 1)
                }
                throw .malformedHumanReadable(position: cursor, expected: "\"(\" followed by a 2-4 digit AI and \")\"")
            }
            var end = valueStart
            while end < bytes.count, aiMarker(in: bytes, at: end) == nil {
                end += 1
            }
            let value = bytes[valueStart..<end]
            let interpretation = try ValueValidation.interpret(value, as: definition, position: valueStart)
            elements.append(
                Element(
                    ai: definition.ai,
                    value: ValueValidation.text(value),
                    title: definition.title,
                    interpretation: interpretation
                )
            )
            cursor = end
        }
        try checkConflicts(elements)
        return ElementString(elements: elements, warnings: [])
    }

    /// Recognises "(AI)" at `index` for a known AI; returns the definition and where its value starts.
    private static func aiMarker(in bytes: [UInt8], at index: Int) -> (AIDefinition, Int)? {
        guard index < bytes.count, bytes[index] == UInt8(ascii: "(") else {
            return nil
        }
        var cursor = index + 1
        while cursor < bytes.count, cursor - index <= 5, bytes[cursor] >= 0x30, bytes[cursor] <= 0x39 {
            cursor += 1
        }
        let digitCount = cursor - index - 1
        guard digitCount >= 2, digitCount <= 4, cursor < bytes.count, bytes[cursor] == UInt8(ascii: ")"),
            let definition = AITable.definition(for: ValueValidation.text(bytes[(index + 1)..<cursor]))
        else {
            return nil
        }
        return (definition, cursor + 1)
    }

    /// GS1 forbids the same AI twice with different values (General Specifications 4.14).
    static func checkConflicts(_ elements: [Element]) throws(GS1Error) {
        // A scan carries a handful of elements: comparing each with those before it is cheaper than hashing them
        // all, and a long string (a hostile one) still gets the dictionary.
        guard elements.count > 16 else {
            for (index, element) in elements.enumerated() {
                if elements[..<index].contains(where: { $0.ai == element.ai && $0.value != element.value }) {
                    throw .conflictingValues(ai: element.ai)
                }
            }
            return
        }
        var seen: [String: String] = [:]
        for element in elements {
            if let previous = seen[element.ai], previous != element.value {
                throw .conflictingValues(ai: element.ai)
            }
            seen[element.ai] = element.value
        }
    }
}

/// The separator-aware parser for raw element strings, including conservative recovery of missing separators.
struct ElementStringParser {
    static let groupSeparator: UInt8 = 0x1D

    /// Texts some scanners send instead of GS; multi-character ones first so "^]" wins over "^".
    static let separatorSubstitutes: [[UInt8]] = [
        "<GS>", "<gs>", "{GS}", "{gs}", "[GS]", "[gs]", "\\x1D", "\\x1d", "\\u001D", "\\u001d", "^]", " ", "|", "^",
    ].map { Array($0.utf8) }

    /// Whether a byte can start a separator substitute, by byte value: most bytes of a scan are digits, which
    /// start none, and need no comparison with each of the substitutes.
    static let startsSubstitute: [Bool] = {
        var table = [Bool](repeating: false, count: 256)
        for substitute in separatorSubstitutes {
            if let first = substitute.first { table[Int(first)] = true }
        }
        return table
    }()

    let bytes: [UInt8]
    var warnings: [ParseWarning] = []

    init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    mutating func parseAll() throws(GS1Error) -> [Element] {
        var start = 0
        while start < bytes.count, bytes[start] == Self.groupSeparator {
            start += 1
        }
        guard start < bytes.count else {
            throw .emptyInput
        }
        return try parse(from: start, to: bytes.count, recovering: true)
    }

    /// Length of a separator substitute starting at `index`, if any.
    func substituteLength(at index: Int, end: Int) -> Int? {
        guard index < end, Self.startsSubstitute[Int(bytes[index])] else { return nil }
        for candidate in Self.separatorSubstitutes where index + candidate.count <= end {
            if bytes[index..<(index + candidate.count)].elementsEqual(candidate) {
                return candidate.count
            }
        }
        return nil
    }

    /// Index of the first separator (GS or substitute) at or after `index`, or `end`.
    func separatorIndex(from index: Int, end: Int) -> Int {
        var cursor = index
        while cursor < end, bytes[cursor] != Self.groupSeparator, substituteLength(at: cursor, end: end) == nil {
            cursor += 1
        }
        return cursor
    }

    /// Parses `bytes[start..<end]`. With `recovering` false (used to test a split candidate) a missing separator
    /// is a failure instead of a warning.
    mutating func parse(from start: Int, to end: Int, recovering: Bool) throws(GS1Error) -> [Element] {
        var elements: [Element] = []
        var cursor = start
        while cursor < end {
            if bytes[cursor] == Self.groupSeparator {
                cursor += 1
                continue
            }
            guard let definition = AITable.lookup(bytes, at: cursor, end: end) else {
                let shown = bytes[cursor..<min(end, cursor + 4)].map(ValueValidation.display).joined()
                throw .unknownAI(shown, position: cursor)
            }
            let dataStart = cursor + definition.ai.utf8.count
            switch definition.length {
            case let .fixed(count):
                let stop = separatorIndex(from: dataStart, end: min(end, dataStart + count))
                guard stop - dataStart == count else {
                    throw .invalidLength(
                        ai: definition.ai,
                        expected: definition.length,
                        actual: stop - dataStart,
                        position: dataStart
                    )
                }
                elements.append(try element(definition, dataStart..<stop))
                cursor = try skipSeparator(after: definition, at: stop, end: end, recovering: recovering)
            case .variable:
                let stop = separatorIndex(from: dataStart, end: end)
                do {
                    elements.append(try element(definition, dataStart..<stop))
                    cursor = try skipSeparator(after: definition, at: stop, end: end, recovering: recovering)
                } catch {
                    guard recovering, let split = try recoverSplit(definition, dataStart: dataStart, stop: stop) else {
                        throw error
                    }
                    elements.append(try element(definition, dataStart..<split))
                    appendWarning(.separatorMissing(afterAI: definition.ai))
                    cursor = split
                }
            }
        }
        return elements
    }

    private mutating func appendWarning(_ warning: ParseWarning) {
        if !warnings.contains(warning) {
            warnings.append(warning)
        }
    }

    private func element(_ definition: AIDefinition, _ range: Range<Int>) throws(GS1Error) -> Element {
        let value = bytes[range]
        let interpretation = try ValueValidation.interpret(value, as: definition, position: range.lowerBound)
        return Element(
            ai: definition.ai,
            value: ValueValidation.text(value),
            title: definition.title,
            interpretation: interpretation
        )
    }

    /// Moves past the separator that should follow a field ending at `index`; records substitutes and
    /// tolerates a missing separator after a fixed-length field (its length already delimits it).
    private mutating func skipSeparator(
        after definition: AIDefinition,
        at index: Int,
        end: Int,
        recovering: Bool
    ) throws(GS1Error) -> Int {
        guard index < end else {
            return index
        }
        if bytes[index] == Self.groupSeparator {
            return index + 1
        }
        if let length = substituteLength(at: index, end: end) {
            appendWarning(.separatorReplaced(ValueValidation.text(bytes[index..<(index + length)])))
            return index + length
        }
        if case .fixed = definition.length {
            if !definition.isPredefinedLength {
                guard recovering else {
                    throw .cannotDelimit(ai: definition.ai, position: index)
                }
                appendWarning(.separatorMissing(afterAI: definition.ai))
            }
            return index
        }
        // A variable field always runs to a separator or the end, so this is unreachable in practice.
        throw .cannotDelimit(ai: definition.ai, position: index)
    }

    /// Finds the single split point of an over-long or invalid variable field such that the rest, up to the
    /// next separator, starts with a predefined-length AI and parses completely. Nil when no split could be
    /// a missing separator (the caller reports the original error); throws `cannotDelimit` when more than one
    /// split works, or when none works although an AI could start inside the field.
    private func recoverSplit(_ definition: AIDefinition, dataStart: Int, stop: Int) throws(GS1Error) -> Int? {
        let length = definition.length
        let lowest = max(1, length.minimum)
        let highest = min(length.maximum, stop - dataStart - 1)
        guard lowest <= highest else {
            return nil
        }
        var found: [Int] = []
        var aiInsideField = false
        for split in (dataStart + lowest)...(dataStart + highest) {
            guard let next = AITable.lookup(bytes, at: split, end: stop) else {
                continue
            }
            aiInsideField = true
            guard next.isPredefinedLength, (try? element(definition, dataStart..<split)) != nil else {
                continue
            }
            var probe = ElementStringParser(bytes: bytes)
            if (try? probe.parse(from: split, to: stop, recovering: false)) != nil {
                found.append(split)
            }
        }
        if found.count == 1 {
            return found.first
        }
        if found.count > 1 || aiInsideField {
            throw .cannotDelimit(ai: definition.ai, position: dataStart)
        }
        return nil
    }
}
