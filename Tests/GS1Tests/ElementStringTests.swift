import Testing

@testable import GS1

struct ElementStringTests {
    /// GS1 General Specifications 7.8 / GS1 Digital Link examples: (01)09506000134352(17)261231(10)ABC123,
    /// the brief's bracketed example; the raw form puts the variable (10) last so no GS is needed.
    @Test func parsesGTINExpiryBatch() throws {
        let parsed = try ElementString.parse("01095060001343521726123110ABC123")
        #expect(parsed.elements.map(\.ai) == ["01", "17", "10"])
        #expect(parsed.value(for: "01") == "09506000134352")
        #expect(parsed.value(for: "10") == "ABC123")
        #expect(parsed.elements[1].interpretation == .date(GS1Date(yy: 26, month: 12, day: 31)))
        #expect(parsed.elements[2].title == "BATCH/LOT")
        #expect(parsed.warnings.isEmpty)
        #expect(parsed.humanReadable == "(01)09506000134352(17)261231(10)ABC123")
    }

    @Test func parsesHumanReadableForm() throws {
        let text = "(01)09506000134352(17)261231(10)ABC123"
        let parsed = try ElementString.parse(text)
        #expect(parsed.humanReadable == text)
        #expect(try ElementString.parseHumanReadable(text) == parsed)
        let withParen = try ElementString.parse("(10)A(B)(21)X")
        #expect(withParen.value(for: "10") == "A(B)")
    }

    /// GS1 General Specifications 3.2 (AI 00) example SSCC 106141412345678908.
    @Test func parsesSSCC() throws {
        let parsed = try ElementString.parse("(00)106141412345678908")
        #expect(parsed.value(for: "00") == "106141412345678908")
        #expect(try ElementString.parse("00106141412345678908") == parsed)
    }

    @Test func variableFieldsNeedSeparators() throws {
        let parsed = try ElementString.parse("10ABC\(gs)21XYZ\(gs)")
        #expect(parsed.elements.map(\.value) == ["ABC", "XYZ"])
        #expect(parsed.warnings.isEmpty)
        let leading = try ElementString.parse(Array("\(gs)0109506000134352".utf8))
        #expect(leading.value(for: "01") == "09506000134352")
    }

    /// Dates: day 00 means end of month (GenSpecs 3.4.x notes); month must be 01-12.
    static let dates: [Case<String, GS1Date?>] = [
        Case("day 00 allowed in (11)", "11260200", GS1Date(yy: 26, month: 2, day: 0)),
        Case("29 Feb leap year", "17280229", GS1Date(yy: 28, month: 2, day: 29)),
        Case("29 Feb non-leap", "17270229", nil),
        Case("month 13", "17261301", nil),
        Case("month 00", "17260001", nil),
        Case("31 April", "15260431", nil),
    ]

    @Test(arguments: dates)
    func validatesDates(_ vector: Case<String, GS1Date?>) {
        let result = Result { () throws(GS1Error) in try ElementString.parse(vector.input) }
        switch (result, vector.expected) {
        case let (.success(parsed), .some(date)):
            #expect(parsed.elements.first?.interpretation == .date(date))
        case let (.failure(error), nil):
            #expect(error == .invalidDate(ai: String(vector.input.prefix(2)), value: String(vector.input.dropFirst(2))))
        default:
            Issue.record("unexpected outcome \(result)")
        }
    }

    @Test func dayZeroResolvesToEndOfMonthAndCentury() {
        let date = GS1Date(yy: 28, month: 2, day: 0)
        #expect(date.isEndOfMonth)
        #expect(date.isoString(currentYear: 2025) == "2028-02-29")
        #expect(GS1Date(yy: 99, month: 1, day: 1).fullYear(currentYear: 2025) == 1999)
        #expect(GS1Date(yy: 75, month: 1, day: 1).fullYear(currentYear: 2025) == 2075)
        #expect(GS1Date(yy: 76, month: 1, day: 1).fullYear(currentYear: 2025) == 1976)
        #expect(GS1Date(yy: 10, month: 1, day: 1).fullYear(currentYear: 2090) == 2110)
    }

    /// Implied decimal point, GenSpecs 3.6.2: the last AI digit is the number of decimals.
    static let decimals: [Case<String, Interpretation>] = [
        Case("3103 000123 -> 0.123 kg", "3103000123", .decimal(value: "0.123", unit: "kg")),
        Case("3102 001234 -> 12.34 kg", "3102001234", .decimal(value: "12.34", unit: "kg")),
        Case("3100 001500 -> 1500 kg", "3100001500", .decimal(value: "1500", unit: "kg")),
        Case("3105 123456 -> 1.23456 kg", "3105123456", .decimal(value: "1.23456", unit: "kg")),
        Case("3203 001234 -> 1.234 lb", "3203001234", .decimal(value: "1.234", unit: "lb")),
        Case("3922 995 -> 9.95", "3922995", .amount(value: "9.95", currency: nil)),
        Case("3932 978 1995 -> EUR 19.95", "39329781995", .amount(value: "19.95", currency: "978")),
        Case("3941 0500 -> 50.0 %", "39410500", .decimal(value: "50.0", unit: "%")),
    ]

    @Test(arguments: decimals)
    func appliesImpliedDecimalPoint(_ vector: Case<String, Interpretation>) throws {
        let parsed = try ElementString.parse(vector.input)
        #expect(parsed.elements.first?.interpretation == vector.expected)
    }

    /// AIs with composite content (GenSpecs 3.2 figure 3.2-1); check digits computed by hand (mod 10).
    static let composites: [Case<String, Interpretation?>] = [
        Case(
            "8003 GRAI, check digit on the 14-digit part, serial SER1",
            "800300614141123452SER1",
            .keyWithSerial(key: "00614141123452", serial: "SER1")
        ),
        Case("8003 GRAI without serial", "800300614141123452", .keyWithSerial(key: "00614141123452", serial: nil)),
        Case("8004 GIAI", "80040614141ABC123", nil),
        Case("8018 GSRN recipient", "8018061414112345678902", nil),
        Case("8017 GSRN provider", "8017061414112345678902", nil),
        Case("420 ship-to postal code", "420B-1050", nil),
        Case("421 with ISO country 840 prefix", "42184012345", .postalCode(country: "840", code: "12345")),
        Case("422 origin", "422528", .countries(["528"])),
        Case("423 initial process countries", "423528276", .countries(["528", "276"])),
        Case(
            "7003 expiry time",
            "70032612311530",
            .dateTime(GS1Date(yy: 26, month: 12, day: 31), hour: 15, minute: 30)
        ),
        Case("8006 ITIP", "8006095060001343520102", nil),
        Case("410 ship to GLN", "4109520012345674", nil),
        Case("402 GSIN", "40206141411234567890", nil),
        Case("253 GDTI with serial", "2534012345000009ABC", .keyWithSerial(key: "4012345000009", serial: "ABC")),
        Case("255 GCN", "2550614141000012", .keyWithSerial(key: "0614141000012", serial: nil)),
    ]

    @Test(arguments: composites)
    func parsesCompositeAIs(_ vector: Case<String, Interpretation?>) throws {
        let parsed = try ElementString.parse(vector.input)
        let element = try #require(parsed.elements.first)
        #expect(parsed.elements.count == 1)
        #expect(element.interpretation == vector.expected)
    }

    @Test func checkDigitOnGRAIGTINPartIsEnforced() {
        #expect(
            thrownError { try ElementString.parse("800300614141123453SER1") }
                == .invalidCheckDigit(ai: "8003", expected: 2, found: 3)
        )
        #expect(
            thrownError { try ElementString.parse("8018061414112345678903") }
                == .invalidCheckDigit(ai: "8018", expected: 2, found: 3)
        )
    }

    @Test func duplicateAIWithSameValueIsAllowed() throws {
        let parsed = try ElementString.parse("(10)A(10)A")
        #expect(parsed.elements.count == 2)
    }
}
