import Events
import Testing

@Suite("Event type patterns (floorctl events --type)")
struct EventTypePatternTests {
    /// A pattern, a type, and whether the pattern selects it.
    struct Case: CustomTestStringConvertible, Sendable {
        var pattern: String
        var type: String
        var selected: Bool
        var testDescription: String { "\(pattern) \(selected ? "selects" : "does not select") \(type)" }
    }

    @Test(
        "an exact type, a .* prefix or a bare leading part of a dotted type; parts match whole",
        arguments: [
            Case(pattern: "scan", type: "scan", selected: true),
            Case(pattern: "scan", type: "scanner.x", selected: false),
            Case(pattern: "locker.*", type: "locker.unlocked", selected: true),
            Case(pattern: "locker.*", type: "locker.door.opened", selected: true),
            Case(pattern: "locker.*", type: "lockers.x", selected: false),
            Case(pattern: "locker.*", type: "locker", selected: false),
            Case(pattern: "locker", type: "locker.door.opened", selected: true),
            Case(pattern: "locker.door", type: "locker.door.left-open", selected: true),
            Case(pattern: "locker.door", type: "locker.deposited", selected: false),
            Case(pattern: "lock", type: "locker.unlocked", selected: false),
            Case(pattern: "locker.door.opened", type: "locker.door.opened", selected: true),
            Case(pattern: "device.*", type: "device.fault", selected: true),
            Case(pattern: "*", type: "tag.read", selected: true),
            Case(pattern: " ptl.* ", type: "ptl.lit", selected: true),
        ]
    )
    func matching(_ testCase: Case) {
        #expect(EventTypePattern(testCase.pattern).matches(EventType(rawValue: testCase.type)) == testCase.selected)
    }

    @Test("several patterns select what any of them selects; none selects everything")
    func several() {
        let patterns = [EventTypePattern("scan"), EventTypePattern("locker.*")]
        #expect(EventTypePattern.any(patterns, match: .scan))
        #expect(EventTypePattern.any(patterns, match: .lockerDoorOpened))
        #expect(!EventTypePattern.any(patterns, match: .ptlLit))
        #expect(EventTypePattern.any([], match: .ptlLit))
    }
}
