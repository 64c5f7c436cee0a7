/// A snapshot of a pick-to-light module for `floorctl status`, `floorctl devices` and the control socket.
public struct PickToLightStatus: Hashable, Sendable {
    /// One slot: dark, or lit for a task.
    public struct Slot: Hashable, Sendable {
        /// The slot id.
        public var id: String
        /// The task shown, when lit for one.
        public var task: String?
        /// The colour shown, nil when dark.
        public var color: String?
        /// The lamp output keys wired.
        public var outputs: [String]

        /// Whether the slot shows a task.
        public var lit: Bool { color != nil }
    }

    /// The device id.
    public var id: String
    /// Whether `run()` holds the GPIO lines.
    public var running: Bool
    /// Whether a lamp or button test is in progress.
    public var testing: Bool
    /// The slot a button test has lit, waiting for its button.
    public var testingSlot: String?
    /// Button edges received since start (a diagnostics counter).
    public var edgesSeen: Int
    /// Faults reported, by reason code.
    public var faults: [String: Int]
    /// Every slot in configuration order.
    public var slots: [Slot]
}
