/// One header field of an HTTP message, as sent or received (names compare case-insensitively via `matches`).
public struct HTTPHeader: Hashable, Sendable {
    public var name: String
    public var value: String

    /// A field `name: value`.
    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }

    /// True when this field's name is `name`, ignoring ASCII case.
    public func matches(_ name: String) -> Bool {
        self.name.utf8.count == name.utf8.count
            && zip(self.name.utf8, name.utf8).allSatisfy { HTTPHeader.lowercased($0) == HTTPHeader.lowercased($1) }
    }

    static func lowercased(_ byte: UInt8) -> UInt8 {
        (0x41...0x5A).contains(byte) ? byte | 0x20 : byte
    }
}

extension [HTTPHeader] {
    /// The value of the first field named `name` (ASCII case ignored), or nil.
    public func first(_ name: String) -> String? {
        first { $0.matches(name) }?.value
    }

    /// Every value of the fields named `name`, in order.
    func all(_ name: String) -> [String] {
        filter { $0.matches(name) }.map(\.value)
    }
}
