import HAL

/// What a serial reader link remembers of who was behind its port: the USB identity of the first open, which
/// every reopen must match. A port first opened without a USB identity (a built-in UART, a pseudo-terminal)
/// has nothing to compare, so whatever opens at its path later is read (`--check-config` warns for
/// `/dev/pts/n`).
struct PortIdentityWatch: Sendable {
    private enum First: Sendable {
        case unseen
        case seen(SerialPortIdentity?)
    }

    private var first = First.unseen

    /// Records `identity` if this is the first open; returns the identity expected instead when it differs
    /// from the first one.
    mutating func mismatch(_ identity: SerialPortIdentity?) -> SerialPortIdentity? {
        switch first {
        case .unseen:
            first = .seen(identity)
            return nil
        case .seen(let expected):
            guard let expected, expected != identity else { return nil }
            return expected
        }
    }
}
