/// How a slot's lamp shows a colour: steady on, or blinking with equal on and off times.
///
/// A module with one lamp per slot (output key `default`) cannot show colours, so each colour of the palette
/// is a pattern on that lamp; a module with an output per colour shows every colour it wires steady.
///
/// | colour | single-lamp pattern |
/// |---|---|
/// | green | steady |
/// | red | fast blink: 250 ms on, 250 ms off |
/// | blue, yellow, white | slow blink: 500 ms on, 500 ms off |
///
/// A blink starts "on" at the instant the slot is lit and keeps that grid (no drift).
public enum LightPattern: Hashable, Sendable {
    /// On for as long as the slot is lit.
    case steady
    /// On for `half`, off for `half`, repeating.
    case blinking(half: Duration)

    /// The output key of a slot's single lamp.
    public static let singleLampKey = "default"

    /// The colour a command means when it names none.
    public static let defaultColor = "green"

    /// The colours a single-lamp slot accepts, with their patterns, in documentation order.
    public static let palette: [(color: String, pattern: LightPattern)] = [
        ("green", .steady),
        ("red", .blinking(half: .milliseconds(250))),
        ("blue", .blinking(half: .milliseconds(500))),
        ("yellow", .blinking(half: .milliseconds(500))),
        ("white", .blinking(half: .milliseconds(500))),
    ]

    /// The single-lamp pattern for `color`, or nil when the palette lacks it.
    public static func singleLamp(_ color: String) -> LightPattern? {
        palette.first { $0.color == color }?.pattern
    }
}
