/// One row of an EPC partition table: how the bits after the partition are split between company prefix
/// and the scheme's reference field, and how many decimal digits each holds.
public struct EPCPartition: Sendable, Hashable {
    /// Bits holding the GS1 Company Prefix.
    public let companyPrefixBits: Int
    /// Decimal digits of the GS1 Company Prefix.
    public let companyPrefixDigits: Int
    /// Bits holding the reference (item reference, serial reference, location reference, asset type, …).
    public let referenceBits: Int
    /// Decimal digits of the reference (0 means the field must be zero and prints as empty).
    public let referenceDigits: Int
}

/// The per-scheme partition tables of the EPC Tag Data Standard (TDS section 14.5; cross-checked with the
/// GS1 Tag Data Translation files SGTIN-96, SSCC-96, SGLN-96, GRAI-96, GIAI-96 at ref.gs1.org/standards/tdt).
///
/// Each scheme has its own table; the index is the 3-bit partition value 0-6 (7 is invalid).
public enum EPCPartitionTable {
    private static func table(
        _ referenceBits: [Int],
        _ referenceDigits: [Int]
    ) -> [EPCPartition] {
        let prefixBits = [40, 37, 34, 30, 27, 24, 20]
        return (0..<7).map { row in
            EPCPartition(
                companyPrefixBits: prefixBits[row],
                companyPrefixDigits: 12 - row,
                referenceBits: referenceBits[row],
                referenceDigits: referenceDigits[row]
            )
        }
    }

    /// SGTIN: company prefix + indicator/item reference (44 bits, 13 digits together).
    public static let sgtin = table([4, 7, 10, 14, 17, 20, 24], [1, 2, 3, 4, 5, 6, 7])
    /// SSCC: company prefix + extension digit/serial reference (58 bits, 17 digits together).
    public static let sscc = table([18, 21, 24, 28, 31, 34, 38], [5, 6, 7, 8, 9, 10, 11])
    /// SGLN: company prefix + location reference (41 bits, 12 digits together).
    public static let sgln = table([1, 4, 7, 11, 14, 17, 21], [0, 1, 2, 3, 4, 5, 6])
    /// GRAI: company prefix + asset type (44 bits, 12 digits together).
    public static let grai = table([4, 7, 10, 14, 17, 20, 24], [0, 1, 2, 3, 4, 5, 6])
    /// GIAI: company prefix + individual asset reference (82 bits, up to 25 digits together).
    public static let giai = table([42, 45, 48, 52, 55, 58, 62], [13, 14, 15, 16, 17, 18, 19])
}
