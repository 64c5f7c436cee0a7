import Testing

@testable import GS1

struct AITableTests {
    /// AIs must be prefix-free or the concatenated element string would be ambiguous (GenSpecs 3.1).
    @Test func aiTableIsPrefixFree() {
        let keys = Array(AITable.definitions.keys)
        for key in keys {
            for other in keys where other != key {
                #expect(!other.hasPrefix(key), "AI \(key) is a prefix of \(other)")
            }
        }
    }

    static let required = [
        "00", "01", "02", "10", "11", "12", "13", "15", "16", "17", "20", "21", "22", "235", "240", "241", "250",
        "251", "253", "254", "30", "37", "3100", "3165", "3200", "3375", "3695", "3901", "3912", "3923", "3939",
        "400", "401", "402", "403", "410", "411", "412", "413", "414", "415", "416", "417", "420", "421", "422",
        "423", "424", "425", "426", "7003", "8003", "8004", "8006", "8017", "8018", "8020", "90", "91", "99",
    ]

    @Test(arguments: required)
    func coversRequiredAI(_ ai: String) {
        #expect(AITable.definition(for: ai) != nil)
    }

    /// Measure AI gaps: 338n, 339n, 358n, 359n are not allocated (GenSpecs 3.6).
    @Test(arguments: ["3380", "3390", "3580", "3590", "3106", "23", "19"])
    func rejectsUnallocatedAI(_ ai: String) {
        #expect(AITable.definition(for: ai) == nil)
    }

    /// GS1 General Specifications AI titles and formats (section 3.2 figure 3.2-1).
    static let titles: [Case<String, String>] = [
        Case("00", "00", "SSCC"), Case("01", "01", "GTIN"), Case("10", "10", "BATCH/LOT"),
        Case("15", "15", "BEST BEFORE or BEST BY"), Case("3103", "3103", "NET WEIGHT (kg)"),
        Case("410", "410", "SHIP TO LOC"), Case("8018", "8018", "GSRN - RECIPIENT"),
    ]

    @Test(arguments: titles)
    func hasGS1Title(_ vector: Case<String, String>) {
        #expect(AITable.definition(for: vector.input)?.title == vector.expected)
    }

    @Test func lengthsCheckDigitsAndPredefinedFlags() throws {
        let sscc = try #require(AITable.definition(for: "00"))
        #expect(sscc.length == .fixed(18))
        #expect(sscc.hasCheckDigit)
        #expect(sscc.isPredefinedLength)
        let lot = try #require(AITable.definition(for: "10"))
        #expect(lot.length == .variable(min: 1, max: 20))
        #expect(!lot.isPredefinedLength)
        #expect(lot.content == .alphanumeric)
        let itip = try #require(AITable.definition(for: "8006"))
        #expect(itip.length == .fixed(18))
        #expect(!itip.isPredefinedLength, "8006 is fixed length but not in the predefined table")
        let grai = try #require(AITable.definition(for: "8003"))
        #expect(grai.length == .variable(min: 14, max: 30))
        let amount = try #require(AITable.definition(for: "3912"))
        #expect(amount.length == .variable(min: 4, max: 18))
        let weight = try #require(AITable.definition(for: "3103"))
        #expect(weight.content == .decimal(places: 3))
        #expect(weight.isPredefinedLength)
        #expect(try #require(AITable.definition(for: "422")).content == .countryCode)
        #expect(try #require(AITable.definition(for: "17")).content == .date(allowsDay00: true))
        #expect(FieldLength.variable(min: 1, max: 20).description == "1 to 20 characters")
    }
}
