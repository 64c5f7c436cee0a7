import Testing

@testable import GS1

struct SymbologyCase: Sendable, CustomStringConvertible {
    let aim: String
    let name: String
    let gs1: Bool

    var description: String {
        aim + " -> " + name
    }
}

struct SymbologyIdentifierTests {
    /// AIM / ISO/IEC 15424 symbology identifiers; GS1 ones per GS1 General Specifications 5.1.2 (figure 5.1.2-1).
    static let table: [SymbologyCase] = [
        SymbologyCase(aim: "]C1", name: "gs1-128", gs1: true),
        SymbologyCase(aim: "]C0", name: "code-128", gs1: false),
        SymbologyCase(aim: "]E0", name: "ean-13", gs1: false),
        SymbologyCase(aim: "]E4", name: "ean-8", gs1: false),
        SymbologyCase(aim: "]A0", name: "code-39", gs1: false),
        SymbologyCase(aim: "]I0", name: "interleaved-2-of-5", gs1: false),
        SymbologyCase(aim: "]I1", name: "interleaved-2-of-5", gs1: false),
        SymbologyCase(aim: "]d1", name: "data-matrix", gs1: false),
        SymbologyCase(aim: "]d2", name: "gs1-datamatrix", gs1: true),
        SymbologyCase(aim: "]Q1", name: "qr-code", gs1: false),
        SymbologyCase(aim: "]Q3", name: "gs1-qr", gs1: true),
        SymbologyCase(aim: "]e0", name: "gs1-databar", gs1: true),
        SymbologyCase(aim: "]J1", name: "gs1-dotcode", gs1: true),
        SymbologyCase(aim: "]L2", name: "pdf417", gs1: false),
        SymbologyCase(aim: "]z0", name: "aztec", gs1: false),
        SymbologyCase(aim: "]W9", name: "unknown", gs1: false),
    ]

    @Test(arguments: table)
    func namesSymbology(_ vector: SymbologyCase) throws {
        let identifier = try #require(SymbologyIdentifier.parse(vector.aim + "DATA"))
        #expect(identifier.name == vector.name)
        #expect(identifier.isGS1ElementString == vector.gs1)
        #expect(identifier.aim == vector.aim)
        #expect(SymbologyIdentifier.split(vector.aim + "DATA").payload == "DATA")
    }

    @Test(arguments: [
        "", "]", "]C", "C1", " ]C1", "] 1", "]C\t", "]\r\n1", "]C1\u{0301}010950600013435", "]Q1\u{20E3}",
    ])
    func rejectsNonIdentifiers(_ text: String) {
        #expect(SymbologyIdentifier.parse(text) == nil)
    }

    /// The identifier is read by byte; text after it that is not ASCII stays whole, and only a mark that would
    /// join the modifier into one character (tested above) stops it being an identifier.
    @Test(arguments: [("]Q1日本語", "日本語"), ("]Q1é", "é"), ("]C1", ""), ("]d2\u{1D}01", "\u{1D}01")])
    func splitsBeforeAnyPayload(_ text: String, payload: String) throws {
        let (identifier, rest) = SymbologyIdentifier.split(text)
        #expect(try #require(identifier).aim == String(text.unicodeScalars.prefix(3)))
        #expect(rest == payload)
    }
}

struct ScannedDataTests {
    @Test func gs1128ElementString() throws {
        let scan = ScannedData.decode("]C1" + "0109506000134352" + "10ABC123" + gs + "17261231")
        #expect(scan.symbology == "gs1-128")
        #expect(scan.aim == "]C1")
        #expect(try #require(scan.gs1).map(\.ai) == ["01", "10", "17"])
        #expect(scan.gs1Error == nil)
        #expect(!scan.digitalLink)
    }

    @Test func gs1DataMatrixErrorIsReported() {
        let scan = ScannedData.decode("]d2" + "0109506000134353")
        #expect(scan.gs1 == nil)
        #expect(scan.gs1Error == .invalidCheckDigit(ai: "01", expected: 2, found: 3))
    }

    /// EAN-13 / UPC-A / EAN-8 / UPC-E carry a GTIN: exposed as AI 01 padded to 14 digits.
    static let retail: [Case<String, String?>] = [
        Case("EAN-13 GenSpecs 7.9.1 example", "]E06291041500213", "06291041500213"),
        Case("UPC-A as 12 digits", "]E0614141123452", "00614141123452"),
        Case("EAN-8", "]E495012346", "00000095012346"),
        Case("UPC-E 01234565 -> UPC-A 012345000065", "]E001234565", "00012345000065"),
        Case("EAN-13 with add-on", "]E3629104150021312", "06291041500213"),
        Case("bad check digit", "]E06291041500214", nil),
    ]

    @Test(arguments: retail)
    func eanUpcBecomesGTIN(_ vector: Case<String, String?>) {
        let scan = ScannedData.decode(vector.input)
        #expect(scan.gs1?.first?.value == vector.expected)
        #expect(scan.gs1?.first?.ai == (vector.expected == nil ? nil : "01"))
        #expect((scan.gs1Error != nil) == (vector.expected == nil))
    }

    @Test func qrDigitalLink() throws {
        let scan = ScannedData.decode("]Q1https://id.gs1.org/01/09506000134352/10/ABC123?17=261231")
        #expect(scan.digitalLink)
        #expect(scan.symbology == "qr-code")
        #expect(try #require(scan.gs1).map(\.ai) == ["01", "10", "17"])
    }

    @Test func plainURLIsNotGS1() {
        let scan = ScannedData.decode("]Q1https://example.com/hello")
        #expect(!scan.digitalLink)
        #expect(scan.gs1 == nil)
        #expect(scan.gs1Error == nil)
    }

    @Test func digitalLinkWithBadDataReportsError() {
        let scan = ScannedData.decode("https://id.gs1.org/01/09506000134353")
        #expect(scan.digitalLink)
        #expect(scan.symbology == "none")
        #expect(scan.gs1Error == .invalidCheckDigit(ai: "01", expected: 2, found: 3))
    }

    @Test func noAIMRequiresGSOrBrackets() throws {
        #expect(ScannedData.decode("0109506000134352").gs1 == nil)
        #expect(try #require(ScannedData.decode(gs + "0109506000134352").gs1).count == 1)
        #expect(try #require(ScannedData.decode("(01)09506000134352(10)X").gs1).count == 2)
        #expect(ScannedData.decode("]C0ABC").gs1 == nil)
        #expect(ScannedData.decode("]W9(01)09506000134352").symbology == "unknown")
        #expect(ScannedData.decode("]W9(01)09506000134352").aim == "]W9")
    }

    @Test func warningsArePassedThrough() {
        let scan = ScannedData.decode("]C1" + "0109506000134352" + "10ABC|17261231")
        #expect(scan.warnings == [.separatorReplaced("|")])
    }
}
