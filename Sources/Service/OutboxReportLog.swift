import Events
import Outbox

/// Logs the outbox's own events at their severity, so a technician reading the journal sees a filling disk, a
/// recovered crash or damaged records without subscribing to the event stream: `outbox.quota` at warning (80 %)
/// or error (95 %, full), `outbox.recovered` at warning, `outbox.corrupt` at error.
struct OutboxReportLog: Sendable {
    let logger: Logger

    func record(_ type: EventType, _ data: JSONValue) {
        var metadata: [String: String] = [:]
        if case .object(let members) = data {
            for (key, value) in members { metadata[key] = value.stringValue ?? value.jsonText }
        }
        switch type {
        case .outboxQuota:
            let level = data["level"]?.stringValue ?? ""
            let message = level == "full" ? "outbox full: events are refused" : "outbox quota \(level)"
            logger.log(level == "warning" ? .warning : .error, message, metadata)
        case .outboxRecovered:
            logger.warning("outbox recovered from damage", metadata)
        case .outboxCorrupt:
            logger.error("outbox record damaged", metadata)
        default:
            logger.info("outbox report \(type.rawValue)", metadata)
        }
    }
}
