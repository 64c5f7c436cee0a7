import TestSupport
import Testing

@testable import GS1

/// Garbage must never trap: every entry point returns a value or throws GS1Error, and what it returns holds the
/// properties a caller relies on (checked by `exercise` on every input).
struct RobustnessTests {
    static let validSamples = [
        "]C10109506000134352" + "10ABC123" + gs + "17261231" + "3103000123",
        "(01)09506000134352(17)261231(10)ABC123",
        "https://id.gs1.org/01/09506000134352/10/ABC123?17=261231&3103=000123",
        "3074257BF7194E4000001A85",
        "]E06291041500213",
        "800300614141123452SER1" + gs + "421840123" + gs + "8006095060001343520102",
    ]

    @Test(arguments: validSamples)
    func everyPrefixIsSafe(_ sample: String) {
        var prefix = ""
        var decoded = 0
        for character in sample {
            prefix.append(character)
            decoded += exercise(prefix)
        }
        decoded += exercise(String(sample.dropFirst(3)))
        // Each sample is valid in full under at least one of the decoders.
        #expect(exercise(sample) > 0, "\(sample)")
        #expect(decoded > 0)
    }

    @Test func randomByteSoupIsSafe() {
        var generator = SplitMix64(seed: 0x5EED_1234)
        var decoded = 0
        let alphabet = Array("0123456789" + gs + "()|^ <GS>{}%/?=&ABCxyz]Cde:h.")
        for round in 0..<3000 {
            let length = Int(generator.next() % 48)
            let bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            _ = try? ElementString.parse(bytes)
            _ = try? EPC.decode(bytes: bytes)
            var text = ""
            for _ in 0..<length {
                text.append(alphabet[Int(generator.next() % UInt64(alphabet.count))])
            }
            if round % 3 == 0 {
                text = "01" + text
            }
            decoded += exercise(text)
        }
        // Some soup decodes, so the properties in `exercise` were checked on real results, not only on errors.
        #expect(decoded > 0)
    }

    @Test func randomHexIsSafe() throws {
        var generator = SplitMix64(seed: 42)
        var decoded = 0
        for _ in 0..<2000 {
            var hex = ""
            let header = ["30", "31", "32", "33", "34"][Int(generator.next() % 5)]
            hex += header
            for _ in 0..<22 {
                hex.append(Array("0123456789ABCDEF")[Int(generator.next() % 16)])
            }
            if let epc = try? EPC.decode(hex: hex) {
                decoded += 1
                #expect(epc.pureIdentityURI.hasPrefix("urn:epc:id:"))
            }
        }
        #expect(decoded > 0)
    }

    /// Runs every decoder on `text`, checks what each returns, and counts the decoders that accepted it.
    @discardableResult
    private func exercise(_ text: String) -> Int {
        var accepted = 0
        if let parsed = try? ElementString.parse(text) {
            accepted += 1
            #expect(!parsed.elements.isEmpty, "\(text)")
            // The human-readable form reads back to the same elements, unless a value itself holds a parenthesis.
            if !parsed.elements.contains(where: { $0.value.contains("(") || $0.value.contains(")") }) {
                let again = try? ElementString.parseHumanReadable(parsed.humanReadable)
                #expect(
                    again?.elements.map { "\($0.ai)=\($0.value)" } == parsed.elements.map { "\($0.ai)=\($0.value)" },
                    "\(text) → \(parsed.humanReadable)"
                )
            }
        }
        if (try? ElementString.parseHumanReadable(text)) != nil { accepted += 1 }
        if let link = try? DigitalLink.parse(text) {
            accepted += 1
            #expect(link.elements.contains { $0.ai == link.primaryKey }, "\(text)")
        }
        if (try? EPC.decode(hex: text)) != nil { accepted += 1 }
        let scan = ScannedData.decode(text)
        #expect(scan.gs1 == nil || scan.gs1Error == nil, "\(text)")
        if scan.aim != nil, scan.gs1Error == nil { accepted += 1 }
        if let symbology = SymbologyIdentifier.parse(text) {
            #expect(text.hasPrefix(symbology.aim), "\(text)")
        }
        if let digit = CheckDigit.compute(text) {
            #expect((0...9).contains(digit), "\(text)")
        }
        return accepted
    }
}
