/// The GS1 Application Identifier table (GS1 General Specifications section 3) as data, in one place.
public enum AITable {
    /// Two-digit AI prefixes whose element strings have a predefined length and never need a separator
    /// (GS1 General Specifications figure 7.8.4-2 in Release 18; 5.10.1-2 in the brief's numbering).
    public static let predefinedLengthPrefixes: Set<String> = [
        "00", "01", "02", "03", "04", "11", "12", "13", "14", "15", "16", "17", "18", "19", "20",
        "31", "32", "33", "34", "35", "36", "41",
    ]

    /// Every supported AI definition, keyed by AI.
    public static let definitions: [String: AIDefinition] = {
        var table: [String: AIDefinition] = [:]
        for definition in fixedRows + measureRows + amountRows + internalRows {
            table[definition.ai] = definition
        }
        return table
    }()

    /// Looks up the definition of `ai` (e.g. "3103"); nil if the AI is not in the table.
    public static func definition(for ai: String) -> AIDefinition? {
        definitions[ai]
    }

    /// Finds the AI that starts `bytes` at `index` (AIs are prefix-free, so at most one of 2, 3, 4 digits fits).
    static func lookup(_ bytes: [UInt8], at index: Int, end: Int) -> AIDefinition? {
        var number = 0
        var cursor = index
        while cursor < end, cursor - index < 4 {
            let byte = bytes[cursor]
            guard byte >= 0x30, byte <= 0x39 else {
                return nil
            }
            number = number * 10 + Int(byte - 0x30)
            cursor += 1
            if cursor - index >= 2, let definition = definitionsByCode[code(number, digits: cursor - index)] {
                return definition
            }
        }
        return nil
    }

    /// The definitions keyed by `code(_:digits:)`: the parser looks an AI up by its digits for every element, and an
    /// integer key spares it building and hashing a string for each of the two to four lengths it tries.
    private static let definitionsByCode: [Int: AIDefinition] = {
        var table: [Int: AIDefinition] = [:]
        for (ai, definition) in definitions {
            if let number = Int(ai) { table[code(number, digits: ai.utf8.count)] = definition }
        }
        return table
    }()

    /// One integer per AI: "01" and "001" differ, so the digit count is part of it.
    private static func code(_ number: Int, digits: Int) -> Int {
        digits * 10_000 + number
    }

    // MARK: - Component shorthands

    private static func n(_ count: Int, cd: Bool = false) -> AIComponent {
        AIComponent(kind: .numeric, length: .fixed(count), hasCheckDigit: cd)
    }

    private static func nv(_ max: Int, optional: Bool = false) -> AIComponent {
        AIComponent(kind: .numeric, length: .variable(min: optional ? 0 : 1, max: max), isOptional: optional)
    }

    private static func xv(_ max: Int, optional: Bool = false) -> AIComponent {
        AIComponent(kind: .alphanumeric, length: .variable(min: optional ? 0 : 1, max: max), isOptional: optional)
    }

    private static let date = AIComponent(kind: .date(allowsDay00: true), length: .fixed(6))
    private static let exactDate = AIComponent(kind: .date(allowsDay00: false), length: .fixed(6))
    private static let time = AIComponent(kind: .time, length: .fixed(4))
    private static let country = AIComponent(kind: .countryCode, length: .fixed(3))
    private static let currency = AIComponent(kind: .currencyCode, length: .fixed(3))

    private static func row(_ ai: String, _ title: String, _ components: [AIComponent]) -> AIDefinition {
        AIDefinition(ai: ai, title: title, components: components)
    }

    // MARK: - Rows

    /// AIs with a single fixed definition (GS1 General Specifications section 3.2, figure 3.2-1).
    private static let fixedRows: [AIDefinition] = [
        row("00", "SSCC", [n(18, cd: true)]),
        row("01", "GTIN", [n(14, cd: true)]),
        row("02", "CONTENT", [n(14, cd: true)]),
        row("10", "BATCH/LOT", [xv(20)]),
        row("11", "PROD DATE", [date]),
        row("12", "DUE DATE", [date]),
        row("13", "PACK DATE", [date]),
        row("15", "BEST BEFORE or BEST BY", [date]),
        row("16", "SELL BY", [date]),
        row("17", "USE BY OR EXPIRY", [date]),
        row("20", "VARIANT", [n(2)]),
        row("21", "SERIAL", [xv(20)]),
        row("22", "CPV", [xv(20)]),
        row("235", "TPX", [xv(28)]),
        row("240", "ADDITIONAL ID", [xv(30)]),
        row("241", "CUST. PART No.", [xv(30)]),
        row("242", "MTO VARIANT", [nv(6)]),
        row("243", "PCN", [xv(20)]),
        row("250", "SECONDARY SERIAL", [xv(30)]),
        row("251", "REF. TO SOURCE", [xv(30)]),
        row("253", "GDTI", [n(13, cd: true), xv(17, optional: true)]),
        row("254", "GLN EXTENSION COMPONENT", [xv(20)]),
        row("255", "GCN", [n(13, cd: true), nv(12, optional: true)]),
        row("30", "VAR. COUNT", [nv(8)]),
        row("37", "COUNT", [nv(8)]),
        row("400", "ORDER NUMBER", [xv(30)]),
        row("401", "GINC", [xv(30)]),
        row("402", "GSIN", [n(17, cd: true)]),
        row("403", "ROUTE", [xv(30)]),
        row("410", "SHIP TO LOC", [n(13, cd: true)]),
        row("411", "BILL TO", [n(13, cd: true)]),
        row("412", "PURCHASE FROM", [n(13, cd: true)]),
        row("413", "SHIP FOR LOC", [n(13, cd: true)]),
        row("414", "LOC No.", [n(13, cd: true)]),
        row("415", "PAY TO", [n(13, cd: true)]),
        row("416", "PROD/SERV LOC", [n(13, cd: true)]),
        row("417", "PARTY", [n(13, cd: true)]),
        row("420", "SHIP TO POST", [xv(20)]),
        row("421", "SHIP TO POST", [country, xv(9)]),
        row("422", "ORIGIN", [country]),
        row(
            "423",
            "COUNTRY - INITIAL PROCESS.",
            [AIComponent(kind: .countryCodeList, length: .variable(min: 3, max: 15))]
        ),
        row("424", "COUNTRY - PROCESS.", [country]),
        row(
            "425",
            "COUNTRY - DISASSEMBLY",
            [AIComponent(kind: .countryCodeList, length: .variable(min: 3, max: 15))]
        ),
        row("426", "COUNTRY - FULL PROCESS", [country]),
        row("7001", "NSN", [n(13)]),
        row("7002", "MEAT CUT", [xv(30)]),
        row("7003", "EXPIRY TIME", [exactDate, time]),
        row("8001", "DIMENSIONS", [n(14)]),
        row("8002", "CMT No.", [xv(20)]),
        row("8003", "GRAI", [n(14, cd: true), xv(16, optional: true)]),
        row("8004", "GIAI", [xv(30)]),
        row("8005", "PRICE PER UNIT", [n(6)]),
        row("8006", "ITIP", [n(14, cd: true), n(2), n(2)]),
        row("8007", "IBAN", [xv(34)]),
        row("8008", "PROD TIME", [exactDate, n(2), nv(4, optional: true)]),
        row("8010", "CPID", [AIComponent(kind: .alphanumeric39, length: .variable(min: 1, max: 30))]),
        row("8011", "CPID SERIAL", [nv(12)]),
        row("8012", "VERSION", [xv(20)]),
        row("8013", "GMN", [xv(25)]),
        row("8017", "GSRN - PROVIDER", [n(18, cd: true)]),
        row("8018", "GSRN - RECIPIENT", [n(18, cd: true)]),
        row("8019", "SRIN", [nv(10)]),
        row("8020", "REF No.", [xv(25)]),
        row("8200", "PRODUCT URL", [xv(70)]),
    ]

    /// Measure AIs 310n-369n: three-digit prefix, title and unit; n (0-5) is the number of decimal places
    /// (GS1 General Specifications sections 3.6.2-3.6.9). 338n, 339n, 358n, 359n do not exist.
    private static let measurePrefixes: [(prefix: String, title: String, unit: String)] = [
        ("310", "NET WEIGHT (kg)", "kg"), ("311", "LENGTH (m)", "m"), ("312", "WIDTH (m)", "m"),
        ("313", "HEIGHT (m)", "m"), ("314", "AREA (m2)", "m2"), ("315", "NET VOLUME (l)", "l"),
        ("316", "NET VOLUME (m3)", "m3"), ("320", "NET WEIGHT (lb)", "lb"), ("321", "LENGTH (in)", "in"),
        ("322", "LENGTH (ft)", "ft"), ("323", "LENGTH (yd)", "yd"), ("324", "WIDTH (in)", "in"),
        ("325", "WIDTH (ft)", "ft"), ("326", "WIDTH (yd)", "yd"), ("327", "HEIGHT (in)", "in"),
        ("328", "HEIGHT (ft)", "ft"), ("329", "HEIGHT (yd)", "yd"), ("330", "GROSS WEIGHT (kg)", "kg"),
        ("331", "LENGTH (m), log", "m"), ("332", "WIDTH (m), log", "m"), ("333", "HEIGHT (m), log", "m"),
        ("334", "AREA (m2), log", "m2"), ("335", "VOLUME (l), log", "l"), ("336", "VOLUME (m3), log", "m3"),
        ("337", "KG PER m2", "kg/m2"), ("340", "GROSS WEIGHT (lb)", "lb"), ("341", "LENGTH (in), log", "in"),
        ("342", "LENGTH (ft), log", "ft"), ("343", "LENGTH (yd), log", "yd"), ("344", "WIDTH (in), log", "in"),
        ("345", "WIDTH (ft), log", "ft"), ("346", "WIDTH (yd), log", "yd"), ("347", "HEIGHT (in), log", "in"),
        ("348", "HEIGHT (ft), log", "ft"), ("349", "HEIGHT (yd), log", "yd"), ("350", "AREA (in2)", "in2"),
        ("351", "AREA (ft2)", "ft2"), ("352", "AREA (yd2)", "yd2"), ("353", "AREA (in2), log", "in2"),
        ("354", "AREA (ft2), log", "ft2"), ("355", "AREA (yd2), log", "yd2"), ("356", "NET WEIGHT (t oz)", "t oz"),
        ("357", "NET VOLUME (oz)", "oz"), ("360", "NET VOLUME (qt)", "qt"), ("361", "NET VOLUME (gal.)", "gal"),
        ("362", "VOLUME (qt), log", "qt"), ("363", "VOLUME (gal.), log", "gal"), ("364", "VOLUME (in3)", "in3"),
        ("365", "VOLUME (ft3)", "ft3"), ("366", "VOLUME (yd3)", "yd3"), ("367", "VOLUME (in3), log", "in3"),
        ("368", "VOLUME (ft3), log", "ft3"), ("369", "VOLUME (yd3), log", "yd3"),
    ]

    private static let measureRows: [AIDefinition] = measurePrefixes.flatMap { entry in
        (0...5).map { places in
            AIDefinition(
                ai: entry.prefix + String(places),
                title: entry.title,
                components: [AIComponent(kind: .decimal(places: places), length: .fixed(6))],
                unit: entry.unit
            )
        }
    }

    /// Amount, price and percentage AIs 390n-394n; n is the number of decimal places (section 3.6.10-3.6.13).
    private static let amountRows: [AIDefinition] = (0...9).flatMap { places -> [AIDefinition] in
        let digits = String(places)
        let amount = AIComponent(kind: .decimal(places: places), length: .variable(min: 1, max: 15))
        var rows = [
            row("390" + digits, "AMOUNT", [amount]),
            row("391" + digits, "AMOUNT", [currency, amount]),
            row("392" + digits, "PRICE", [amount]),
            row("393" + digits, "PRICE", [currency, amount]),
        ]
        if places <= 3 {
            rows.append(
                AIDefinition(
                    ai: "394" + digits,
                    title: "PRCNT OFF",
                    components: [AIComponent(kind: .decimal(places: places), length: .fixed(4))],
                    unit: "%"
                )
            )
        }
        return rows
    }

    /// Company-internal AIs 90 (X..30) and 91-99 (X..90).
    private static let internalRows: [AIDefinition] =
        [row("90", "INTERNAL", [xv(30)])] + (91...99).map { row(String($0), "INTERNAL", [xv(90)]) }
}
