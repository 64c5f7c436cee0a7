import Events

/// One controller as its retained `floorlink/{site}/{controller}/status` tells it: what `floorctl fleet` lists.
/// The consumer's side of `MQTTUplink.onlineStatus` and `offlineStatus`.
public struct ControllerStatus: Hashable, Sendable {
    public var site: String
    public var controller: String
    /// True for `online`; false for `offline` (stopped cleanly, or the broker published its last will).
    public var isOnline: Bool
    public var version: String?
    public var started: EventTime?
    /// Stored events the broker had not acknowledged at the last refresh.
    public var backlog: UInt64?
    /// When the controller's newest stored event happened, at the last refresh.
    public var lastEvent: EventTime?
    /// The controller's newest stored seq at the last refresh: seqs up to it that a consumer has not seen are a gap.
    public var lastSeq: UInt64?

    /// The status topics of every controller (`floorlink/+/+/status`), or of `site`'s.
    public static func topicFilter(site: String?) -> String {
        "floorlink/\(site ?? "+")/+/status"
    }

    /// The site and controller of a status topic (`floorlink/{site}/{controller}/status`); nil for any other topic.
    public static func controller(ofTopic topic: String) -> (site: String, controller: String)? {
        let levels = topic.split(separator: "/", omittingEmptySubsequences: false)
        guard levels.count == 4, levels[0] == "floorlink", levels[3] == "status" else { return nil }
        return (String(levels[1]), String(levels[2]))
    }

    /// Reads a retained status message; nil when `topic` is no status topic. A payload that is not a status (not
    /// JSON, no `state`, or a state other than online/offline) is an error naming the topic, so a fleet view shows
    /// a broken controller instead of hiding it.
    public init?(topic: String, payload: [UInt8]) throws(ControllerStatusError) {
        guard let (site, controller) = Self.controller(ofTopic: topic) else { return nil }
        self.site = site
        self.controller = controller
        let text = String(decoding: payload, as: UTF8.self)
        guard let json = try? JSONValue(parsing: text), case .object = json else {
            throw ControllerStatusError(topic: topic, reason: "the payload is not a JSON object")
        }
        switch json["state"]?.stringValue {
        case "online": isOnline = true
        case "offline": isOnline = false
        default: throw ControllerStatusError(topic: topic, reason: "\"state\" is neither online nor offline")
        }
        version = json["version"]?.stringValue
        started = json["started"]?.stringValue.flatMap(EventTime.init(parsing:))
        backlog = json["backlog"]?.intValue.flatMap { UInt64(exactly: $0) }
        lastEvent = json["lastEvent"]?.stringValue.flatMap(EventTime.init(parsing:))
        lastSeq = json["lastSeq"]?.intValue.flatMap { UInt64(exactly: $0) }
    }
}

/// A retained status that could not be read.
public struct ControllerStatusError: Error, Hashable, Sendable, CustomStringConvertible {
    public var topic: String
    public var reason: String

    public init(topic: String, reason: String) {
        self.topic = topic
        self.reason = reason
    }

    public var description: String { "\(topic): \(reason)" }
}
