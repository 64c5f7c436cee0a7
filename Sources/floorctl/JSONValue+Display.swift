import Events

/// Reading daemon results for people: numbers, flags and text with a `-` for what is missing.
extension JSONValue {
    /// An integer or floating-point number.
    var number: Double? {
        switch self {
        case .int(let value): return Double(value)
        case .double(let value): return value
        default: return nil
        }
    }

    /// The elements, if this is an array; empty otherwise.
    var elements: [JSONValue] {
        if case .array(let values) = self { return values }
        return []
    }

    /// The value as a table cell: text as is, numbers plainly, booleans as yes/no, null as `-`.
    var display: String {
        switch self {
        case .null: return "-"
        case .bool(let value): return value ? "yes" : "no"
        case .int(let value): return String(value)
        case .double(let value):
            return value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
        case .string(let value): return value.isEmpty ? "-" : value
        case .array(let values): return values.isEmpty ? "-" : values.map(\.display).joined(separator: ", ")
        case .object: return jsonText
        }
    }
}

/// Member lookup that treats a missing member as `null`, so display code reads straight through.
extension Optional where Wrapped == JSONValue {
    /// The member's display text, `-` when absent.
    var display: String { self?.display ?? "-" }
}

/// Durations and sizes as people read them.
enum Quantity {
    /// `45s`, `3m 5s`, `3h 12m`, `2d 4h`.
    static func duration(seconds: Double) -> String {
        let total = Int(seconds.rounded(.down))
        guard total >= 60 else { return "\(max(total, 0))s" }
        let days = total / 86_400
        let hours = total % 86_400 / 3600
        let minutes = total % 3600 / 60
        if days > 0 { return "\(days)d \(hours)h" }
        if hours > 0 { return "\(hours)h \(minutes)m" }
        return "\(minutes)m \(total % 60)s"
    }

    /// `512 B`, `1.2 KiB`, `64.0 MiB`.
    static func bytes(_ count: Double) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = count
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        if unit == 0 { return "\(Int(value)) B" }
        let tenths = Int((value * 10).rounded())
        return "\(tenths / 10).\(tenths % 10) \(units[unit])"
    }
}
