extension Duration {
    /// Whole milliseconds, rounded down: for event data, wall-clock arithmetic on `EventTime` and messages.
    public var wholeMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
