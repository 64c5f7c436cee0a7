/// The fuzzer's bytes, read front to back: small choices (a mode, a split point) first, then the payload.
public struct FuzzInput {
    public let bytes: [UInt8]
    private var index = 0

    /// Copies `size` bytes at `data` (libFuzzer reuses the buffer after the call returns).
    public init(_ data: UnsafePointer<UInt8>, _ size: Int) {
        bytes = Array(UnsafeBufferPointer(start: data, count: size))
    }

    /// Bytes not yet consumed.
    public var remaining: ArraySlice<UInt8> { bytes[index...] }

    /// The next byte, or 0 once the input is used up.
    public mutating func byte() -> UInt8 {
        guard index < bytes.count else { return 0 }
        defer { index += 1 }
        return bytes[index]
    }

    /// A big-endian 16-bit value from the next two bytes.
    public mutating func uint16() -> Int {
        Int(byte()) << 8 | Int(byte())
    }

    /// Everything not yet consumed, as an array.
    public mutating func rest() -> [UInt8] {
        defer { index = bytes.count }
        return Array(bytes[index...])
    }
}

/// Traps with `message` when a property fails: libFuzzer reports the trap as a crash and saves the input.
public func require(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError("fuzz property violated: \(message())") }
}

/// Splits `bytes` into two parts at `point` (taken modulo `bytes.count + 1`).
public func split(_ bytes: [UInt8], at point: Int) -> (ArraySlice<UInt8>, ArraySlice<UInt8>) {
    let cut = point % (bytes.count + 1)
    return (bytes[..<cut], bytes[cut...])
}
