import Testing

@testable import GS1

struct SeparatorRecoveryTests {
    static let substitutes = [" ", "|", "^", "<GS>", "{GS}", "[GS]", "\\x1D", "^]"]

    @Test(arguments: substitutes)
    func acceptsReplacedSeparator(_ substitute: String) throws {
        let parsed = try ElementString.parse("0109506000134352" + "10ABC123" + substitute + "17261231")
        #expect(parsed.elements.map(\.ai) == ["01", "10", "17"])
        #expect(parsed.value(for: "10") == "ABC123")
        #expect(parsed.warnings == [.separatorReplaced(substitute)])
    }

    @Test func acceptsRealGSWithoutWarning() throws {
        let parsed = try ElementString.parse("0109506000134352" + "10ABC123" + gs + "17261231")
        #expect(parsed.elements.count == 3)
        #expect(parsed.warnings.isEmpty)
    }

    /// A serial at its 20-character maximum ending in letters: only one split leaves a valid (17) date.
    @Test func recoversMissingSeparatorAfterFullLengthVariableField() throws {
        let parsed = try ElementString.parse("0109506000134352" + "21ABCDEFGHIJKLMNOPQRST" + "17261231")
        #expect(parsed.elements.map(\.ai) == ["01", "21", "17"])
        #expect(parsed.value(for: "21") == "ABCDEFGHIJKLMNOPQRST")
        #expect(parsed.warnings == [.separatorMissing(afterAI: "21")])
    }

    /// (30) is numeric N..8; "1217261231" is too long, and only a split at 2 leaves a predefined-length AI.
    @Test func recoversMissingSeparatorAfterNumericVariableField() throws {
        let parsed = try ElementString.parse("3012" + "17261231")
        #expect(parsed.elements.map(\.value) == ["12", "261231"])
        #expect(parsed.warnings == [.separatorMissing(afterAI: "30")])
    }

    /// (8006) is fixed length but not in the predefined table, so its length still delimits it.
    @Test func toleratesMissingSeparatorAfterNonPredefinedFixedField() throws {
        let parsed = try ElementString.parse("8006095060001343520102" + "10LOT")
        #expect(parsed.elements.map(\.ai) == ["8006", "10"])
        #expect(parsed.warnings == [.separatorMissing(afterAI: "8006")])
    }

    /// Two splits both leave valid predefined-length data: (37)5 + (20)11 (11)111111, or (37)52011 + (11)111111.
    @Test func ambiguousSplitNamesTheAI() {
        #expect(
            thrownError { try ElementString.parse("37" + "5201111111111") } == .cannotDelimit(ai: "37", position: 2)
        )
    }

    /// (30)12 then (10)ABC without a separator: the next AI is variable, so no safe split exists.
    @Test func missingSeparatorBeforeVariableAIIsAnError() {
        #expect(thrownError { try ElementString.parse("3012" + "10ABC") } == .cannotDelimit(ai: "30", position: 2))
    }

    /// A variable field that is simply valid is taken whole: a missing GS there is undetectable by design.
    @Test func validVariableFieldIsTakenWhole() throws {
        let parsed = try ElementString.parse("10ABC" + "17261231")
        #expect(parsed.value(for: "10") == "ABC17261231")
        #expect(parsed.warnings.isEmpty)
    }
}
