extension ScannerFramer {
    /// How the first frame after the port opens is told apart from the tail of a read that a restart, a reload
    /// or an unplug cut in two: such a tail must become a `partial-frame` fault, never a scan.
    public enum FirstFrameCheck: Hashable, Sendable {
        /// Whole only if no byte arrived for at least this long before its first byte (counted from the open).
        case quietGap(Duration)
        /// Whole only if it begins with the configured `prefix`.
        case prefix
        /// Whole only if it begins with an AIM symbology identifier: `]` and two characters.
        case aimIdentifier
    }
}
