import Events
import Testing

@testable import Outbox

/// CRC-32C against the RFC 3720 (iSCSI) appendix B.4 check values.
struct CRC32CTests {
    /// (bytes, check value). Built apart from the `@Test`: closures inside its arguments crash Swift 6.0.3.
    static let checkCases: [([UInt8], UInt32)] = [
        (Array("123456789".utf8), 0xE306_9283),
        ([], 0),
        ([UInt8](repeating: 0x00, count: 32), 0x8A91_36AA),
        ([UInt8](repeating: 0xFF, count: 32), 0x62A8_AB43),
        ((0..<32).map { UInt8($0) }, 0x46DD_794E),
        ((0..<32).map { UInt8(31 - $0) }, 0x113F_DB5C),
    ]

    @Test(arguments: checkCases)
    func checkValues(bytes: [UInt8], expected: UInt32) {
        #expect(CRC32C.checksum(bytes) == expected)
        #expect(CRC32C.checksum(bytes[...]) == expected)
    }

    @Test func recordHeaderHoldsLengthAndChecksum() {
        let payload = Array(#"{"v":1}"#.utf8)
        let record = RecordFormat.encode(payload: payload)
        #expect(record.count == 8 + payload.count)
        #expect(RecordFormat.littleEndianUInt32(record[...], at: 0) == UInt32(payload.count))
        #expect(RecordFormat.littleEndianUInt32(record[...], at: 4) == CRC32C.checksum(payload))
        #expect(Array(record[8...]) == payload)
    }

    @Test(arguments: [
        (#"{"v":1,"id":"0193a1c2-0000-7000-8000-000000000000","seq":1042,"site":"a"}"#, UInt64?(1042)),
        (#"{"v":1,"seq":0}"#, UInt64?(0)),
        (#"{"v":1,"id":"x"}"#, UInt64?.none),
        (#"{"v":1,"seq":-3}"#, UInt64?.none),
    ])
    func sequenceNumberIsReadWithoutParsing(payload: String, expected: UInt64?) {
        #expect(RecordFormat.sequenceNumber(inPayload: Array(payload.utf8)[...]) == expected)
    }
}
