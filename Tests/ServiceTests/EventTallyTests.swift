import Events
import Testing

@testable import Service

@Suite("Event tally")
struct EventTallyTests {
    static func event(_ seq: Int) -> Event {
        Event(
            id: EventID(high: UInt64(seq), low: 0),
            seq: UInt64(seq),
            site: "s",
            controller: "c",
            device: "scanner-1",
            type: .scan,
            time: EventTime(millisecondsSinceEpoch: 1_800_000_000_000 + Int64(seq)),
            data: ["text": .string("\(seq)")]
        )
    }

    /// Around the capacity and the trim at twice it: the status page always shows the newest events, oldest first,
    /// never more than the capacity, and the counts include every event.
    @Test(arguments: [1, 49, 50, 51, 99, 100, 101, 150, 1_000])
    func recentEventsAreTheNewest(_ count: Int) {
        let tally = EventTally()
        for seq in 1...count { tally.record(Self.event(seq)) }
        let snapshot = tally.snapshot
        let expected = Array(max(1, count - EventTally.recentCapacity + 1)...count).map { UInt64($0) }
        #expect(snapshot.recent.map(\.seq) == expected)
        #expect(snapshot.events[EventTally.Key("scan", "scanner-1")] == count)
    }
}
