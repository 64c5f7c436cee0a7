/// Which event types `floorctl events --type` (the control socket's `events` `type`) selects, as a technician
/// writes them: an exact type (`scan`, `locker.door.opened`), a prefix ending in `.*` (`locker.*`: every
/// `locker.` type), or a bare leading part of a dotted type (`locker`, `locker.door`: the same as `locker.*`,
/// `locker.door.*`). `*` alone selects every type. Parts match whole: `lock` does not select `locker.unlocked`.
public struct EventTypePattern: Hashable, Sendable, CustomStringConvertible {
    /// The pattern as written.
    public let text: String

    /// A pattern as written on the command line; surrounding whitespace is ignored.
    public init(_ text: String) {
        self.text = text.trimmingWhitespace()
    }

    /// Whether `type` is selected.
    public func matches(_ type: EventType) -> Bool {
        let name = type.rawValue
        if text == "*" { return true }
        if text.hasSuffix(".*") {
            return name.hasPrefix(String(text.dropLast()))
        }
        return name == text || name.hasPrefix(text + ".")
    }

    /// Whether any of `patterns` selects `type`; an empty list selects every type.
    public static func any(_ patterns: [EventTypePattern], match type: EventType) -> Bool {
        patterns.isEmpty || patterns.contains { $0.matches(type) }
    }

    public var description: String { text }
}

extension String {
    fileprivate func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
            let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        return String(scalars[first...last])
    }
}
