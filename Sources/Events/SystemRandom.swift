/// The system's random numbers (`SystemRandomNumberGenerator`) in a generator that has storage.
///
/// Pass this, not `SystemRandomNumberGenerator`, `inout` to generic code such as `EventID(time:sequence:using:)`:
/// ThreadSanitizer builds instrument the generic `inout` access with the generator's address, which for an empty
/// struct is meaningless, and the TSan runtime crashes on it (swiftlang/swift#66099, open in Swift 6.3.1).
public struct SystemRandom: RandomNumberGenerator, Sendable {
    /// Never read: it only gives the value an address.
    private var storage: UInt8 = 0

    public init() {}

    public mutating func next() -> UInt64 {
        var system = SystemRandomNumberGenerator()
        return system.next()
    }
}
