import TestSupport
import Testing

@testable import GS1

/// Garbage must never trap: every entry point returns a value or throws GS1Error.
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
        for character in sample {
            prefix.append(character)
            exercise(prefix)
        }
        exercise(String(sample.dropFirst(3)))
    }

    @Test func randomByteSoupIsSafe() {
        var generator = SplitMix64(seed: 0x5EED_1234)
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
            exercise(text)
        }
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

    private func exercise(_ text: String) {
        _ = try? ElementString.parse(text)
        _ = try? ElementString.parseHumanReadable(text)
        _ = try? DigitalLink.parse(text)
        _ = try? EPC.decode(hex: text)
        _ = ScannedData.decode(text)
        _ = SymbologyIdentifier.parse(text)
        _ = CheckDigit.compute(text)
    }
}
