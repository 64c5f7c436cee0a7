import Testing

@testable import GS1

/// One test per GS1Error case, asserting the exact error (EPC-only cases are also covered in EPCTests).
struct GS1ErrorTests {
    static let elementStringErrors: [Case<String, GS1Error>] = [
        Case("empty", "", .emptyInput),
        Case("only separators", gs + gs, .emptyInput),
        Case("unknown AI 2312", "2312345", .unknownAI("2312", position: 0)),
        Case("unknown AI after GTIN", "0109506000134352" + "23XY", .unknownAI("23XY", position: 16)),
        Case("GTIN too short", "0112345", .invalidLength(ai: "01", expected: .fixed(14), actual: 5, position: 2)),
        Case(
            "GTIN cut by GS",
            "01123" + gs + "10A",
            .invalidLength(ai: "01", expected: .fixed(14), actual: 3, position: 2)
        ),
        Case(
            "batch longer than 20",
            "10" + String(repeating: "A", count: 21),
            .invalidLength(ai: "10", expected: .variable(min: 1, max: 20), actual: 21, position: 2)
        ),
        Case(
            "empty batch",
            "10" + gs + "21A",
            .invalidLength(ai: "10", expected: .variable(min: 1, max: 20), actual: 0, position: 2)
        ),
        Case("letter in GTIN", "010950600013435X", .invalidCharacter(ai: "01", character: "X", position: 15)),
        Case("DEL in batch", "10AB\u{7F}", .invalidCharacter(ai: "10", character: "0x7F", position: 4)),
        Case("non-ASCII in batch", "10AÉ", .invalidCharacter(ai: "10", character: "0xC3", position: 3)),
        Case("GTIN check digit", "0109506000134353", .invalidCheckDigit(ai: "01", expected: 2, found: 3)),
        Case("SSCC check digit", "00106141412345678909", .invalidCheckDigit(ai: "00", expected: 8, found: 9)),
        Case("month 13", "17261301", .invalidDate(ai: "17", value: "261301")),
        Case("hour 24 in 7003", "70032612312400", .invalidDate(ai: "7003", value: "2612312400")),
        Case("day 00 not allowed in 7003", "70032612001200", .invalidDate(ai: "7003", value: "2612001200")),
        Case(
            "423 not a multiple of 3",
            "42312345",
            .invalidValue(ai: "423", value: "12345", expected: "1 to 5 three-digit ISO 3166 country codes")
        ),
        Case("ambiguous missing separator", "301210ABC", .cannotDelimit(ai: "30", position: 2)),
        Case("conflicting batches", "(10)A(10)B", .conflictingValues(ai: "10")),
        Case(
            "unclosed bracket",
            "(01",
            .malformedHumanReadable(
                position: 0,
                expected: "\"(\" followed by a 2-4 digit AI and \")\""
            )
        ),
        Case("unknown bracketed AI", "(23)1", .unknownAI("23", position: 1)),
        Case("bracketed GTIN check digit", "(01)09506000134353", .invalidCheckDigit(ai: "01", expected: 2, found: 3)),
    ]

    @Test(arguments: elementStringErrors)
    func elementStringError(_ vector: Case<String, GS1Error>) {
        #expect(thrownError { try ElementString.parse(vector.input) } == vector.expected)
    }

    @Test func epcErrors() {
        #expect(thrownError { try EPC.decode(hex: "FF0000000000000000000000") } == .unknownEPCHeader(0xFF))
        #expect(
            thrownError { try EPC.decode(hex: "347C00000000000000000000") }
                == .invalidPartition(scheme: "giai-96", value: 7)
        )
        #expect(thrownError { try EPC.decode(hex: "30 74") } == .invalidHex(position: 2))
        #expect(thrownError { try EPC.decode(hex: "30") } == .invalidEPCLength(bits: 8))
        #expect(thrownError { try EPC.decode(hex: "0x") } == .emptyInput)
    }

    @Test func digitalLinkErrors() {
        let uri = "https://id.gs1.org/01/09506000134352/10/AB%2"
        let percent = uri.utf8.count - 2
        #expect(thrownError { try DigitalLink.parse(uri) } == .invalidPercentEncoding(position: percent))
        #expect(
            thrownError { try DigitalLink.parse("https://example.com/x") }
                == .notDigitalLink("the path has no GS1 primary key AI (01, 00, 414, 8003, …) with key qualifiers")
        )
        #expect(thrownError { try DigitalLink.parse("  ") } == .emptyInput)
        #expect(
            thrownError { try DigitalLink.parse("https://id.gs1.org/01/09506000134352/10/A?10=B") }
                == .conflictingValues(ai: "10")
        )
    }

    /// Every case renders a sentence that names what was wrong.
    @Test func descriptionsAreSentences() {
        let samples: [GS1Error] = [
            .emptyInput, .unknownAI("23", position: 0),
            .invalidLength(ai: "01", expected: .fixed(14), actual: 5, position: 2),
            .invalidCharacter(ai: "01", character: "X", position: 3),
            .invalidCheckDigit(ai: "01", expected: 2, found: 3), .invalidDate(ai: "17", value: "261301"),
            .invalidValue(ai: "423", value: "1", expected: "x"), .cannotDelimit(ai: "30", position: 2),
            .conflictingValues(ai: "10"), .malformedHumanReadable(position: 0, expected: "x"),
            .unknownEPCHeader(0xE2), .invalidPartition(scheme: "sgtin-96", value: 7), .invalidHex(position: 1),
            .invalidEPCLength(bits: 88), .invalidEPCField(scheme: "sgtin-96", field: "f", value: "1"),
            .notDigitalLink("x"), .invalidPercentEncoding(position: 4),
        ]
        for error in samples {
            #expect(error.description.hasSuffix("."))
            #expect(error.description.count > 20)
        }
        #expect(GS1Error.unknownEPCHeader(0xE2).description.contains("0xE2"))
        #expect(
            GS1Error.invalidLength(ai: "01", expected: .fixed(14), actual: 5, position: 2).description
                == "AI (01) at position 2 has 5 characters; expected exactly 14 characters."
        )
    }
}
