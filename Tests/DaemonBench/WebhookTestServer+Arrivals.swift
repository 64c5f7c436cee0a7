import Events
import TestSupport

extension WebhookTestServer {
    /// When each event reached the receiver (`ProcessStats.monotonicNanoseconds`), by seq: the first POST that
    /// carried it, read from the `{"events":[…]}` bodies received so far.
    func arrivalsBySeq() -> [UInt64: Int64] {
        var arrivals: [UInt64: Int64] = [:]
        for request in requests {
            guard case .array(let events) = (try? JSONValue(parsing: request.body))?["events"] else { continue }
            for seq in events.compactMap({ $0["seq"]?.intValue }) where arrivals[UInt64(seq)] == nil {
                arrivals[UInt64(seq)] = request.receivedNanoseconds
            }
        }
        return arrivals
    }
}
