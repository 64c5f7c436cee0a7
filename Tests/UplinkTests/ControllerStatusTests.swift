import Events
import Testing
import Uplink

/// Reading the retained status a fleet view lists: what the uplink publishes reads back, other topics are not
/// statuses, and a payload that is no status is an error naming its topic.
@Suite("Controller status")
struct ControllerStatusTests {
    static let started = EventTime(millisecondsSinceEpoch: 1_795_000_000_123)
    static let lastEvent = EventTime(millisecondsSinceEpoch: 1_795_000_456_789)

    @Test("what the uplink publishes reads back", arguments: [false, true])
    func roundTrip(refreshed: Bool) throws {
        let text = MQTTUplink.onlineStatus(
            version: "1.2.3",
            started: Self.started,
            backlog: refreshed ? 42 : nil,
            lastEvent: refreshed ? Self.lastEvent : nil,
            lastSeq: refreshed ? 48_211 : nil
        )
        let status = try #require(
            try ControllerStatus(topic: "floorlink/ams-1/dock-03/status", payload: Array(text.utf8))
        )
        #expect(status.site == "ams-1" && status.controller == "dock-03")
        #expect(status.isOnline)
        #expect(status.version == "1.2.3")
        #expect(status.started == Self.started)
        #expect(status.backlog == (refreshed ? 42 : nil))
        #expect(status.lastEvent == (refreshed ? Self.lastEvent : nil))
        #expect(status.lastSeq == (refreshed ? 48_211 : nil))
    }

    @Test("the last will reads as offline, with nothing else known")
    func offline() throws {
        let payload = Array(MQTTUplink.offlineStatus.utf8)
        let status = try #require(try ControllerStatus(topic: "floorlink/ams-1/dock-03/status", payload: payload))
        #expect(!status.isOnline)
        #expect(status.version == nil && status.started == nil && status.backlog == nil && status.lastEvent == nil)
        #expect(status.lastSeq == nil)
    }

    @Test(
        "a topic that is no controller status is not read",
        arguments: ["floorlink/ams-1/dock-03/events/scan", "floorlink/ams-1/status", "other/ams-1/dock-03/status"]
    )
    func notAStatusTopic(topic: String) throws {
        #expect(try ControllerStatus(topic: topic, payload: Array(MQTTUplink.offlineStatus.utf8)) == nil)
        #expect(ControllerStatus.controller(ofTopic: topic) == nil)
    }

    @Test("a status topic names its site and controller, the key an empty retained message clears")
    func controllerOfTopic() throws {
        let named = try #require(ControllerStatus.controller(ofTopic: "floorlink/ams-1/dock-03/status"))
        #expect(named.site == "ams-1" && named.controller == "dock-03")
    }

    @Test(
        "a payload that is no status is an error naming the topic",
        arguments: [
            ("not json", "the payload is not a JSON object"), ("[1,2]", "the payload is not a JSON object"),
            (#"{"version":"1"}"#, "\"state\" is neither online nor offline"),
            (#"{"state":"sleeping"}"#, "\"state\" is neither online nor offline"),
        ]
    )
    func badPayload(payload: String, reason: String) {
        let topic = "floorlink/ams-1/dock-03/status"
        #expect(throws: ControllerStatusError(topic: topic, reason: reason)) {
            try ControllerStatus(topic: topic, payload: Array(payload.utf8))
        }
    }

    @Test("the topic filter covers every site, or one")
    func topicFilter() {
        #expect(ControllerStatus.topicFilter(site: nil) == "floorlink/+/+/status")
        #expect(ControllerStatus.topicFilter(site: "ams-1") == "floorlink/ams-1/+/status")
    }
}
