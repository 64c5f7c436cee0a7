import Events
import Outbox
import TestSupport
import Testing

/// Expects the outbox's own events in `events` to be valid against `EventType.outboxSchemas` (python3-jsonschema).
func expectMatchingSchemas(_ events: [Event], sourceLocation: SourceLocation = #_sourceLocation) async throws {
    try #require(JSONSchemaValidator.isInstalled, "needs python3-jsonschema", sourceLocation: sourceLocation)
    try #require(!events.isEmpty, "no events to check", sourceLocation: sourceLocation)
    let (status, report) = try await JSONSchemaValidator.validate(
        data: events.map { ($0.type, $0.data) },
        schemas: EventType.outboxSchemas
    )
    #expect(status == 0 && report.isEmpty, "\(report)", sourceLocation: sourceLocation)
}
