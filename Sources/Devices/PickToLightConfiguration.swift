import HAL

/// The wiring of one pick-to-light module: its slots' lamps and buttons, already resolved to GPIO lines by the
/// config loader, plus the timing the driver uses.
public struct PickToLightConfiguration: Sendable {
    /// One slot (a shelf position): its lamp outputs and buttons.
    public struct SlotWiring: Sendable {
        /// The slot id commands and events use (`S1`).
        public var id: String
        /// Lamp outputs keyed by colour; a module with a single lamp uses the key `default` and shows colours
        /// as blink patterns (see `LightPattern`).
        public var lights: [String: GPIOPin]
        /// The confirm button.
        public var button: GPIOPin
        /// Buttons pull the line to ground when pressed (the usual wiring, with the internal pull-up enabled).
        public var buttonActiveLow: Bool
        /// An optional second button that reports a shortage instead of confirming.
        public var shortageButton: GPIOPin?

        /// Describes a slot; buttons are active-low unless told otherwise.
        public init(
            id: String,
            lights: [String: GPIOPin],
            button: GPIOPin,
            buttonActiveLow: Bool = true,
            shortageButton: GPIOPin? = nil
        ) {
            self.id = id
            self.lights = lights
            self.button = button
            self.buttonActiveLow = buttonActiveLow
            self.shortageButton = shortageButton
        }

        /// The lamp output keys in a stable order (sorted), the order outputs are driven and tested in.
        public var outputKeys: [String] { lights.keys.sorted() }
    }

    /// The device id events carry (`ptl-1`).
    public var id: String
    /// How long a button level must hold before it counts (contact bounce is shorter).
    public var debounce: Duration
    /// How long each lamp stays on during `floorctl ptl test`.
    public var testStep: Duration
    /// The slots, in the order status and tests list them.
    public var slots: [SlotWiring]

    /// Describes a module; a 30 ms debounce suits ordinary tactile and arcade buttons.
    public init(
        id: String,
        debounce: Duration = .milliseconds(30),
        testStep: Duration = .milliseconds(250),
        slots: [SlotWiring]
    ) {
        self.id = id
        self.debounce = debounce
        self.testStep = testStep
        self.slots = slots
    }
}
