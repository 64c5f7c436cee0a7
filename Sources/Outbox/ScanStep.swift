/// What `RecordScanner.next()` found at its position.
enum ScanStep {
    /// A whole record whose checksum matches.
    case record(offset: Int, payload: ArraySlice<UInt8>)
    /// `byteCount` bytes starting at `offset` that are not a valid record (torn, bad length or checksum);
    /// `resumed` tells whether a valid record follows them.
    case damaged(offset: Int, byteCount: Int, resumed: Bool)
    /// The end of the scanned range.
    case end
}
