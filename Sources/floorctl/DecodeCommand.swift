import Events
import GS1
import Glibc

/// `decode TEXT` / `decode --epc HEX`: what a scan or a tag means, without the daemon.
enum DecodeCommand {
    static var command: Command {
        Command(
            "decode",
            abstract: "Explain a scan (AIM symbology, GS1 AIs) or an RFID tag's EPC.",
            discussion: "Pass the scan as the scanner sends it, AIM prefix included (e.g. ']C1010950...'); write "
                + "the GS separator as \\x1D, <GS> or the character itself. Exits 1 when GS1 data is invalid.",
            arguments: [ArgumentSpec("text", "The scanned text.", optional: true)],
            options: [
                .option("epc", value: "hex", "Decode a 96-bit EPC given in hex instead of a scan."),
                FloorctlCommands.jsonFlag,
            ]
        ) { context in
            let json = context.arguments.flag("json")
            if let hex = context.arguments.option("epc") {
                if context.arguments.argument("text") != nil {
                    throw context.usageError("Pass either <text> or --epc <hex>, not both")
                }
                return try decodeEPC(hex, json: json)
            }
            guard let text = context.arguments.argument("text") else {
                throw context.usageError("Missing expected argument '<text>'")
            }
            return decodeScan(text, json: json)
        }
    }

    // MARK: Scans

    private static func decodeScan(_ text: String, json: Bool) -> ExitCode {
        let scan = ScannedData.decode(unescaped(text))
        let year = currentYear()
        if json {
            Console.line(scanJSON(scan, year: year).jsonText)
        } else {
            Console.out(scanReport(scan, year: year))
        }
        guard let error = scan.gs1Error else { return .success }
        if !json { Console.error("Error: \(error)\n") }
        return .failure
    }

    /// The people output of a decoded scan.
    static func scanReport(_ scan: DecodedScan, year: Int) -> String {
        var summary = KeyValueList()
        summary.append("symbology", scan.symbology)
        summary.append("aim", scan.aim ?? "none")
        summary.append("payload", visible(scan.payload))
        if scan.digitalLink { summary.append("digital link", "yes") }
        if scan.gs1 == nil, scan.gs1Error == nil { summary.append("gs1", "no (not a GS1 element string)") }
        var text = summary.rendered
        if let elements = scan.gs1 {
            var table = TextTable("AI", "TITLE", "VALUE")
            for element in elements {
                let value = interpreted(element, year: year)
                table.append([
                    element.ai, element.title, value == element.value ? value : "\(value)  (\(element.value))",
                ])
            }
            text += "\n" + table.rendered
        }
        for warning in scan.warnings { text += "warning: \(warning)\n" }
        return text
    }

    static func scanJSON(_ scan: DecodedScan, year: Int) -> JSONValue {
        let elements: JSONValue =
            scan.gs1.map { elements in
                .array(
                    elements.map { element in
                        .object([
                            ("ai", .string(element.ai)), ("title", .string(element.title)),
                            ("value", .string(element.value)),
                            ("interpreted", .string(interpreted(element, year: year))),
                        ])
                    }
                )
            } ?? .null
        return .object([
            ("symbology", .string(scan.symbology)), ("aim", scan.aim.map { .string($0) } ?? .null),
            ("payload", .string(scan.payload)), ("digitalLink", .bool(scan.digitalLink)), ("gs1", elements),
            ("warnings", .array(scan.warnings.map { .string($0.description) })),
            ("error", scan.gs1Error.map { .string($0.description) } ?? .null),
        ])
    }

    /// The element's value as a person reads it: ISO dates, decimals with their unit.
    static func interpreted(_ element: Element, year: Int) -> String {
        guard let interpretation = element.interpretation else { return element.value }
        switch interpretation {
        case .date(let date):
            return date.isoString(currentYear: year)
        case .dateTime(let date, let hour, let minute):
            return date.isoString(currentYear: year) + "T" + twoDigits(hour) + ":" + twoDigits(minute)
        case .decimal(let value, let unit):
            return "\(value) \(unit)"
        case .amount(let value, let currency):
            return currency.map { "\(value) (currency \($0))" } ?? value
        case .countries(let countries):
            return "country " + countries.joined(separator: ", ")
        case .postalCode(let country, let code):
            return "\(code) (country \(country))"
        case .keyWithSerial(let key, let serial):
            return serial.map { "\(key) serial \($0)" } ?? key
        }
    }

    // MARK: EPCs

    private static func decodeEPC(_ hex: String, json: Bool) throws -> ExitCode {
        let epc: EPC
        do throws(GS1Error) {
            epc = try EPC.decode(hex: hex)
        } catch {
            if json {
                Console.line(JSONValue.object([("epc", .string(hex)), ("error", .string(error.description))]).jsonText)
                return .failure
            }
            throw CommandFailure(error.description)
        }
        if json {
            Console.line(epcJSON(epc, hex: hex).jsonText)
            return .success
        }
        var list = KeyValueList()
        list.append("scheme", epc.scheme.description)
        list.append("filter", String(epc.filter))
        list.append("partition", String(epc.partition))
        list.append("company prefix", epc.companyPrefix)
        list.append("pure identity", epc.pureIdentityURI)
        list.append("tag URI", epc.tagURI)
        for element in epc.elements { list.append("(\(element.ai)) \(element.title)", element.value) }
        Console.out(list.rendered)
        return .success
    }

    static func epcJSON(_ epc: EPC, hex: String) -> JSONValue {
        .object([
            ("epc", .string(hex)), ("scheme", .string(epc.scheme.description)), ("filter", .int(Int64(epc.filter))),
            ("partition", .int(Int64(epc.partition))), ("companyPrefix", .string(epc.companyPrefix)),
            ("pureIdentityURI", .string(epc.pureIdentityURI)), ("tagURI", .string(epc.tagURI)),
            ("gs1", .object(epc.elements.map { ($0.ai, .string($0.value)) })),
        ])
    }

    // MARK: Helpers

    /// Turns the spellings a shell user can type (`\x1D`, `<GS>`, `{GS}`, `\u001D`) into the GS character.
    static func unescaped(_ text: String) -> String {
        var result = text
        for spelling in ["\\x1D", "\\x1d", "\\u001D", "\\u001d", "<GS>", "{GS}"] {
            result = result.replacing(spelling, with: "\u{1D}")
        }
        return result
    }

    /// Control characters made visible: GS as `<GS>`, others as `\xNN`.
    static func visible(_ text: String) -> String {
        var result = ""
        for scalar in text.unicodeScalars {
            if scalar == "\u{1D}" {
                result += "<GS>"
            } else if scalar.value < 0x20 || scalar.value == 0x7F {
                let hex = String(scalar.value, radix: 16, uppercase: true)
                result += "\\x" + (hex.count < 2 ? "0" + hex : hex)
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    private static func twoDigits(_ value: Int) -> String {
        value < 10 ? "0\(value)" : "\(value)"
    }

    /// The current UTC year, for the GS1 century rule.
    static func currentYear() -> Int {
        var now = time(nil)
        var parts = tm()
        gmtime_r(&now, &parts)
        return Int(parts.tm_year) + 1900
    }
}
