import HAL

/// Repeated sightings of one tag on one antenna within a de-duplication window, folded into one event.
public struct TagRead: Hashable, Sendable {
    /// The tag's EPC bytes.
    public var epc: [UInt8]
    /// The antenna port that saw the tag.
    public var antenna: Int
    /// When the first sighting in this window arrived; the window opened then.
    public var firstSeen: ClockInstant
    /// When the latest sighting in this window arrived.
    public var lastSeen: ClockInstant
    /// How many sightings were folded into this read (at least 1).
    public var count: Int
    /// The strongest RSSI among the sightings, in dBm.
    public var peakRSSI: Int

    /// Creates a read.
    public init(
        epc: [UInt8],
        antenna: Int,
        firstSeen: ClockInstant,
        lastSeen: ClockInstant,
        count: Int,
        peakRSSI: Int
    ) {
        self.epc = epc
        self.antenna = antenna
        self.firstSeen = firstSeen
        self.lastSeen = lastSeen
        self.count = count
        self.peakRSSI = peakRSSI
    }
}
