import Events

/// Prometheus text exposition format 0.0.4, written family by family: `# HELP`, `# TYPE`, then the samples,
/// label values escaped (`\\`, `\"`, `\n`) and numbers in Go's float syntax (`+Inf`, `NaN`).
public struct PrometheusExposition: Sendable {
    /// The metric types used here.
    public enum MetricType: String, Sendable {
        case counter
        case gauge
        case histogram
    }

    /// The text so far.
    public private(set) var text = ""

    /// The content type scrapers expect for this format.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    public init() {}

    /// Starts a family: its help line and type. Every family is written once, its samples right after.
    public mutating func family(_ name: String, _ type: MetricType, help: String) {
        var escapedHelp = ""
        for character in help {
            switch character {
            case "\\": escapedHelp += "\\\\"
            case "\n": escapedHelp += "\\n"
            default: escapedHelp.append(character)
            }
        }
        text += "# HELP \(name) \(escapedHelp)\n# TYPE \(name) \(type.rawValue)\n"
    }

    /// One sample: `name{labels} value`.
    public mutating func sample(_ name: String, _ labels: [(String, String)] = [], _ value: Double) {
        text += name
        if !labels.isEmpty {
            text += "{" + labels.map { "\($0.0)=\"\(Self.escapeLabelValue($0.1))\"" }.joined(separator: ",") + "}"
        }
        text += " " + Self.format(value) + "\n"
    }

    /// A whole family with one sample.
    public mutating func single(_ name: String, _ type: MetricType, help: String, _ value: Double) {
        family(name, type, help: help)
        sample(name, [], value)
    }

    /// The `_bucket`, `_sum` and `_count` samples of a histogram (family already started).
    public mutating func histogram(_ name: String, _ labels: [(String, String)], _ histogram: LatencyHistogram) {
        var cumulative = 0
        for (bound, count) in zip(histogram.bounds, histogram.counts) {
            cumulative += count
            sample(name + "_bucket", labels + [("le", Self.format(bound))], Double(cumulative))
        }
        sample(name + "_bucket", labels + [("le", "+Inf")], Double(histogram.count))
        sample(name + "_sum", labels, histogram.sum)
        sample(name + "_count", labels, Double(histogram.count))
    }

    /// A label value with `\`, `"` and newlines escaped.
    public static func escapeLabelValue(_ value: String) -> String {
        var escaped = ""
        for character in value {
            switch character {
            case "\\": escaped += "\\\\"
            case "\"": escaped += "\\\""
            case "\n": escaped += "\\n"
            default: escaped.append(character)
            }
        }
        return escaped
    }

    /// A sample value: integers without a fraction, `+Inf`, `-Inf`, `NaN`.
    public static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }
}
