/// One sighting of a UHF tag as reported by a reader, before any de-duplication.
public struct TagObservation: Hashable, Sendable {
    /// The tag's EPC bytes, most significant first.
    public var epc: [UInt8]
    /// The Gen2 protocol-control word read with the EPC (bits 15...11 give the EPC length in words).
    public var pc: UInt16
    /// Received signal strength in dBm (negative for real readings).
    public var rssi: Int
    /// The reader antenna port that saw the tag.
    public var antenna: Int
    /// The tag's own CRC-16 over PC and EPC as reported by the reader, when the reader reports it.
    public var crc: UInt16?

    /// Creates an observation.
    public init(epc: [UInt8], pc: UInt16, rssi: Int, antenna: Int, crc: UInt16?) {
        self.epc = epc
        self.pc = pc
        self.rssi = rssi
        self.antenna = antenna
        self.crc = crc
    }
}
