import Testing

@testable import GS1

struct CheckDigitTests {
    /// GS1 General Specifications 7.9.1 (figure 7.9.1-2) worked example: GTIN-13 data 629104150021 -> 3.
    /// The others are published GS1 example keys: GTIN 09506000134352 (GS1 Digital Link standard examples),
    /// SSCC 106141412345678908 (General Specifications 2.2.1 / 3.2 AI (00) example), GTIN-12 614141123452
    /// (EPC TDS examples, company prefix 0614141).
    static let vectors: [Case<String, Int>] = [
        Case("GS1 GenSpecs 7.9.1 GTIN-13 example", "629104150021", 3),
        Case("GTIN-14 09506000134352", "0950600013435", 2),
        Case("SSCC 106141412345678908", "10614141234567890", 8),
        Case("GTIN-12 614141123452", "61414112345", 2),
        Case("GTIN-8 95012346 (GS1 GTIN-8 example)", "9501234", 6),
    ]

    @Test(arguments: vectors)
    func computesPublishedCheckDigits(_ vector: Case<String, Int>) {
        #expect(CheckDigit.compute(vector.input) == vector.expected)
        #expect(CheckDigit.isValid(vector.input + String(vector.expected)))
        #expect(!CheckDigit.isValid(vector.input + String((vector.expected + 1) % 10)))
    }

    static let rejected: [Case<String, Bool>] = [
        Case("empty", "", false), Case("letters", "12A4", false), Case("single digit", "7", false),
        Case("space", "12 4", false), Case("non-ASCII digit", "١٢٣", false),
    ]

    @Test(arguments: rejected)
    func rejectsNonDigits(_ vector: Case<String, Bool>) {
        #expect(CheckDigit.isValid(vector.input) == vector.expected)
        if vector.name != "single digit" {
            #expect(CheckDigit.compute(vector.input) == nil)
        }
    }

    static let normalisation: [Case<String, String?>] = [
        Case("GTIN-8", "95012346", "00000095012346"),
        Case("GTIN-12", "614141123452", "00614141123452"),
        Case("GTIN-13", "6291041500213", "06291041500213"),
        Case("GTIN-14", "09506000134352", "09506000134352"),
        Case("bad check digit", "6291041500214", nil),
        Case("bad length 11", "61414112345", nil),
    ]

    @Test(arguments: normalisation)
    func normalisesGTINTo14Digits(_ vector: Case<String, String?>) {
        #expect(CheckDigit.normalizedGTIN(vector.input) == vector.expected)
    }

    @Test func appendsCheckDigit() {
        #expect(CheckDigit.appending(to: "629104150021") == "6291041500213")
        #expect(CheckDigit.appending(to: "x") == nil)
    }
}
