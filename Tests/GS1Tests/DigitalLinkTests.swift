import Testing

@testable import GS1

struct DigitalLinkTests {
    /// GS1 Digital Link standard 1.x section 4 example URIs (id.gs1.org, GTIN 09506000134352).
    @Test func parsesCanonicalExample() throws {
        let link = try DigitalLink.parse("https://id.gs1.org/01/09506000134352/10/ABC123?17=261231")
        #expect(link.primaryKey == "01")
        #expect(link.elements.map(\.ai) == ["01", "10", "17"])
        #expect(link.elements.map(\.value) == ["09506000134352", "ABC123", "261231"])
        #expect(link.elements[2].interpretation == .date(GS1Date(yy: 26, month: 12, day: 31)))
    }

    static let uris: [Case<String, [String]>] = [
        Case("prefix before key", "https://example.com/some/prefix/01/09506000134352/21/XYZ", ["01", "21"]),
        Case("http and trailing slash", "http://example.com/01/09506000134352/", ["01"]),
        Case("SSCC", "https://id.gs1.org/00/106141412345678908", ["00"]),
        Case("GLN with extension", "https://id.gs1.org/414/9520012345674/254/A1", ["414", "254"]),
        Case("GRAI 8003", "https://id.gs1.org/8003/00614141123452SER1", ["8003"]),
        Case("GIAI 8004", "https://id.gs1.org/8004/0614141ABC123", ["8004"]),
        Case("GSRN 8018", "https://id.gs1.org/8018/061414112345678902", ["8018"]),
        Case(
            "non-AI params ignored",
            "https://id.gs1.org/01/09506000134352?utm=x&3103=000123&lang=en",
            ["01", "3103"]
        ),
        Case("fragment ignored", "https://id.gs1.org/01/09506000134352#top", ["01"]),
        Case("upper-case scheme", "HTTPS://ID.GS1.ORG/01/09506000134352", ["01"]),
        Case("qualifiers 22/10/21", "https://d.example/01/09506000134352/22/V1/10/L1/21/S1", ["01", "22", "10", "21"]),
    ]

    @Test(arguments: uris)
    func parsesVariants(_ vector: Case<String, [String]>) throws {
        #expect(try DigitalLink.parse(vector.input).elements.map(\.ai) == vector.expected)
    }

    @Test func percentDecodesValues() throws {
        let link = try DigitalLink.parse("https://id.gs1.org/01/09506000134352/10/AB%2FC%2d1?21=X%25Y")
        #expect(link.elements.map(\.value) == ["09506000134352", "AB/C-1", "X%Y"])
    }

    @Test func normalisesShortGTIN() throws {
        let link = try DigitalLink.parse("https://example.com/01/6291041500213")
        #expect(link.elements.first?.value == "06291041500213")
        #expect(link.warnings == [.gtinNormalized(from: "6291041500213")])
    }

    @Test func validatesLikeElementStrings() {
        #expect(
            thrownError { try DigitalLink.parse("https://id.gs1.org/01/09506000134353") }
                == .invalidCheckDigit(ai: "01", expected: 2, found: 3)
        )
        #expect(
            thrownError { try DigitalLink.parse("https://id.gs1.org/01/09506000134352?17=261301") }
                == .invalidDate(ai: "17", value: "261301")
        )
    }

    static let notLinks: [String] = [
        "ftp://id.gs1.org/01/09506000134352", "https://example.com/", "https://example.com/01",
        "https:///01/09506000134352", "https://example.com/99/123", "https://example.com/01/0950/17/261231",
        "just text",
    ]

    @Test(arguments: notLinks)
    func rejectsNonDigitalLinks(_ uri: String) {
        let error = thrownError { try DigitalLink.parse(uri) }
        guard case .notDigitalLink = error else {
            Issue.record("expected notDigitalLink, got \(String(describing: error))")
            return
        }
        #expect(!DigitalLink.looksLikeDigitalLink(uri))
    }
}
