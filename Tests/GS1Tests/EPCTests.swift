import Testing

@testable import GS1

struct EPCVector: Sendable, CustomStringConvertible {
    let source: String
    let hex: String
    let scheme: EPC.Scheme
    let filter: Int
    let pureURI: String
    let key: String
    let keyValue: String

    var description: String {
        source
    }
}

struct EPCTests {
    static let vectors: [EPCVector] = [
        // EPC Tag Data Standard (1.x, section 14.5.1 worked example / Appendix E): SGTIN-96 filter 3.
        EPCVector(
            source: "TDS SGTIN-96 example",
            hex: "3074257BF7194E4000001A85",
            scheme: .sgtin96,
            filter: 3,
            pureURI: "urn:epc:id:sgtin:0614141.812345.6789",
            key: "01",
            keyValue: "80614141123458"
        ),
        // jlcout/epctagcoder README example (urn:epc:tag:sscc-96:5.023356789.30200002); fields re-derived by
        // hand: partition 3 -> 30-bit prefix 023356789, 28-bit serial ref 30200002, SSCC check digit 2.
        EPCVector(
            source: "SSCC-96 epctagcoder example",
            hex: "31AC16465751CCD0C2000000",
            scheme: .sscc96,
            filter: 5,
            pureURI: "urn:epc:id:sscc:023356789.30200002",
            key: "00",
            keyValue: "302335678902000022"
        ),
        // GS1 TDT .NET test (sscc=012345678901234560, gcp length 8, filter 0).
        EPCVector(
            source: "SSCC-96 TDT test",
            hex: "31105E30A7055F2CC0000000",
            scheme: .sscc96,
            filter: 0,
            pureURI: "urn:epc:id:sscc:12345678.090123456",
            key: "00",
            keyValue: "012345678901234560"
        ),
        // epcGS1coder Sgln96Test (urn:epc:tag:sgln-96:0.0000567.89012.1); GLN check digit 0 computed by hand.
        EPCVector(
            source: "SGLN-96 epcGS1coder example",
            hex: "32140008DEB7680000000001",
            scheme: .sgln96,
            filter: 0,
            pureURI: "urn:epc:id:sgln:0000567.89012.1",
            key: "414",
            keyValue: "0000567890120"
        ),
        // python epc library SGLN test (urn:epc:id:sgln:000001.000001.0, partition 6).
        EPCVector(
            source: "SGLN-96 partition 6 example",
            hex: "321800004000020000000000",
            scheme: .sgln96,
            filter: 0,
            pureURI: "urn:epc:id:sgln:000001.000001.0",
            key: "414",
            keyValue: "0000010000014"
        ),
        // epcGS1coder Grai96Test (urn:epc:tag:grai-96:0.0234567.89012.1); check digit 9 computed by hand.
        EPCVector(
            source: "GRAI-96 epcGS1coder example",
            hex: "33140E511C56ED0000000001",
            scheme: .grai96,
            filter: 0,
            pureURI: "urn:epc:id:grai:0234567.89012.1",
            key: "8003",
            keyValue: "002345678901291"
        ),
        // Constructed (not published): GRAI-96 partition 0 (12-digit prefix, empty asset type), serial 77;
        // encoded by hand: 0x33 | filter 2 | partition 0 | 614141123452 (40 bits) | 0 (4 bits) | 77 (38 bits).
        EPCVector(
            source: "GRAI-96 constructed partition 0",
            hex: "33423BF6A76DF0000000004D",
            scheme: .grai96,
            filter: 2,
            pureURI: "urn:epc:id:grai:614141123452..77",
            key: "8003",
            keyValue: "0614141123452477"
        ),
        // Constructed (not published): GIAI-96 filter 1, partition 5, prefix 0614141, asset ref 12345400;
        // encoded by hand: 0x34 | 001 | 101 | 614141 (24 bits) | 12345400 (58 bits).
        EPCVector(
            source: "GIAI-96 constructed partition 5",
            hex: "3434257BF400000000BC6038",
            scheme: .giai96,
            filter: 1,
            pureURI: "urn:epc:id:giai:0614141.12345400",
            key: "8004",
            keyValue: "061414112345400"
        ),
        // Constructed (not published): GIAI-96 partition 0 with the largest 42-bit asset ref 4398046511103.
        EPCVector(
            source: "GIAI-96 constructed partition 0 max",
            hex: "340072FA646853FFFFFFFFFF",
            scheme: .giai96,
            filter: 0,
            pureURI: "urn:epc:id:giai:123456789012.4398046511103",
            key: "8004",
            keyValue: "1234567890124398046511103"
        ),
    ]

    @Test(arguments: vectors)
    func decodesVector(_ vector: EPCVector) throws {
        let epc = try EPC.decode(hex: vector.hex)
        #expect(epc.scheme == vector.scheme)
        #expect(epc.filter == vector.filter)
        #expect(epc.pureIdentityURI == vector.pureURI)
        #expect(epc.elements.first { $0.ai == vector.key }?.value == vector.keyValue)
        #expect(try EPC.decode(hex: "0x" + vector.hex.lowercased()) == epc)
    }

    @Test func sgtinExposesGTINAndSerial() throws {
        let epc = try EPC.decode(hex: "3074257BF7194E4000001A85")
        #expect(epc.gtin == "80614141123458")
        #expect(epc.serial == "6789")
        #expect(epc.tagURI == "urn:epc:tag:sgtin-96:3.0614141.812345.6789")
        #expect(epc.partition == 5)
        #expect(epc.companyPrefix == "0614141")
        #expect(CheckDigit.isValid(try #require(epc.gtin)))
    }

    @Test func sglnExposesGLNAndExtension() throws {
        let epc = try EPC.decode(hex: "32140008DEB7680000000001")
        #expect(epc.gln == "0000567890120")
        #expect(epc.glnExtension == "1")
        #expect(try EPC.decode(hex: "321800004000020000000000").glnExtension == nil)
        #expect(try EPC.decode(hex: "31105E30A7055F2CC0000000").sscc == "012345678901234560")
        #expect(try EPC.decode(hex: "33140E511C56ED0000000001").grai == "002345678901291")
        #expect(try EPC.decode(hex: "3434257BF400000000BC6038").giai == "061414112345400")
    }

    @Test func partitionTablesHaveSevenRowsAndFixedTotals() {
        let totals: [(table: [EPCPartition], bits: Int)] = [
            (EPCPartitionTable.sgtin, 44), (EPCPartitionTable.sscc, 58), (EPCPartitionTable.sgln, 41),
            (EPCPartitionTable.grai, 44), (EPCPartitionTable.giai, 82),
        ]
        for entry in totals {
            #expect(entry.table.count == 7)
            for row in entry.table {
                #expect(row.companyPrefixBits + row.referenceBits == entry.bits)
            }
        }
    }

    static let errors: [Case<String, GS1Error>] = [
        Case("unknown header 0xE2", "E2003412012345678901ABCD", .unknownEPCHeader(0xE2)),
        Case("header 0x35 (GID is 0x35, unsupported)", "350000000000000000000000", .unknownEPCHeader(0x35)),
        Case("partition 7", "307C00000000000000000000", .invalidPartition(scheme: "sgtin-96", value: 7)),
        Case("non-hex at position 22", "3074257BF7194E4000001AXZ", .invalidHex(position: 22)),
        Case("non-hex after 0x prefix", "0x30G4", .invalidHex(position: 4)),
        Case("88 bits", "3074257BF7194E4000001A", .invalidEPCLength(bits: 88)),
        Case("odd nibble count", "3074257BF7194E4000001A8", .invalidEPCLength(bits: 92)),
        Case("128 bits", "3074257BF7194E4000001A8500000000", .invalidEPCLength(bits: 128)),
        Case("empty", "", .emptyInput),
        Case(
            "company prefix 16777215 exceeds 7 digits",
            "3017FFFFFC00000000000000",
            .invalidEPCField(scheme: "sgtin-96", field: "company prefix", value: "16777215")
        ),
        Case(
            "SSCC unallocated bits set",
            "31105E30A7055F2CC0000001",
            .invalidEPCField(scheme: "sscc-96", field: "unallocated bits", value: "1")
        ),
    ]

    @Test(arguments: errors)
    func rejectsBadEPC(_ vector: Case<String, GS1Error>) {
        #expect(thrownError { try EPC.decode(hex: vector.input) } == vector.expected)
    }

    @Test func rejectsBadByteInput() {
        #expect(thrownError { try EPC.decode(bytes: []) } == .emptyInput)
        #expect(thrownError { try EPC.decode(bytes: [0x30, 0x74]) } == .invalidEPCLength(bits: 16))
    }

    @Test func bitReaderHandlesWideAndOutOfRangeFields() {
        let reader = BitReader(bytes: Array(repeating: 0xFF, count: 12))
        #expect(reader.read(at: 0, count: 64) == UInt64.max)
        #expect(reader.read(at: 90, count: 10) == 0b1111_1100_00)
        #expect(reader.read(at: 96, count: 8) == 0)
    }
}
