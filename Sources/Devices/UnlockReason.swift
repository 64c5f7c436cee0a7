/// Why a door was unlocked (`locker.open`'s `reason`): decides whether the next close counts as a deposit or
/// a collection, and is reported in `locker.unlocked`.
public struct UnlockReason: RawRepresentable, Hashable, Sendable, ExpressibleByStringLiteral,
    CustomStringConvertible
{
    /// The reason as commands and events spell it.
    public let rawValue: String

    /// Wraps a reason string.
    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    /// Wraps a reason literal.
    public init(stringLiteral value: String) {
        self.rawValue = value
    }

    public var description: String { rawValue }

    /// A courier putting an order in.
    public static let deposit: UnlockReason = "deposit"
    /// Staff handing an order out without the customer's code.
    public static let collect: UnlockReason = "collect"
    /// The customer's pickup code matched (set by the bank itself).
    public static let pickupCode: UnlockReason = "pickup-code"
    /// A technician or an upstream system, with no order flow implied.
    public static let remote: UnlockReason = "remote"

    /// Whether closing the door after this unlock hands a deposited order out.
    var collects: Bool { self == .collect || self == .pickupCode }
}
