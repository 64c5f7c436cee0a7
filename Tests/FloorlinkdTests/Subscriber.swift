import Events
import Glibc
import Service
import TestSupport
import Testing

/// One message a subscriber received.
struct ReceivedMessage: Sendable {
    var topic: String
    var payload: String

    /// The payload as JSON (events and the retained status are JSON objects).
    var json: JSONValue? { try? JSONValue(parsing: payload) }
}

/// `mosquitto_sub -v -t 'floorlink/#'` writing to a file: a real subscriber outside the daemon's process.
final class Subscriber: Sendable {
    let child: ChildProcess
    let output: String

    /// Subscribes to `filters` (which must cover `floorlink/_probe/#`) and returns once the subscription is active
    /// (a retained probe published before it has arrived).
    init(broker: Mosquitto, scratch: Scratch, filters: [String] = ["floorlink/#"]) async throws {
        output = scratch.path("subscriber.txt")
        let probe = "floorlink/_probe/\(getpid())"
        let arguments = ["-h", "127.0.0.1", "-p", "\(broker.port)", "-q", "1"]
        let status = try await ChildProcess.run(
            Mosquitto.publisherPath,
            arguments + ["-t", probe, "-r", "-m", "probe"],
            timeout: .seconds(30)
        )
        guard status == 0 else { throw HarnessError("mosquitto_pub exited \(status)") }
        child = try ChildProcess(
            Mosquitto.subscriberPath,
            arguments + ["-v"] + filters.flatMap { ["-t", $0] },
            outputPath: output,
            truncating: true
        )
        let subscribed = await eventually(within: .seconds(30)) { [self] in
            messages().first { $0.topic == probe }
        }
        guard subscribed != nil else {
            child.stop(signal: SIGKILL)
            throw HarnessError("mosquitto_sub did not receive the retained probe")
        }
    }

    /// Everything received so far, in order (`-v`: the topic, a space, the payload, one message a line).
    func messages() -> [ReceivedMessage] {
        let lines: [Substring] = Scratch.contents(ofFile: output).split(separator: "\n")
        return lines.compactMap { (line: Substring) -> ReceivedMessage? in
            guard let space = line.firstIndex(of: " ") else { return nil }
            return ReceivedMessage(topic: String(line[..<space]), payload: String(line[space...].dropFirst()))
        }
    }

    /// The first message matching `predicate`, waiting up to `timeout`.
    func first(
        within timeout: Duration,
        where predicate: (ReceivedMessage) -> Bool
    ) async -> ReceivedMessage? {
        await eventually(within: timeout) { messages().first(where: predicate) }
    }

    /// The first event of `type` on `prefix/events/type`, waiting up to `timeout`.
    func event(
        _ type: String,
        prefix: String,
        within timeout: Duration,
        where predicate: (JSONValue) -> Bool = { _ in true }
    ) async -> JSONValue? {
        await first(within: timeout) { message in
            guard message.topic == "\(prefix)/events/\(type)", let json = message.json else { return false }
            return predicate(json)
        }?.json
    }

    func stop() { child.stop() }

    /// Expects every message the daemon published so far (events, the status, command results: not the commands
    /// a test sent, which may be invalid on purpose) to be valid against `floorctl schema`'s contract, checked by
    /// python3-jsonschema; a topic without a schema is a failure too.
    func expectMatchesContract(scratch: Scratch, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        try #require(JSONSchemaValidator.isInstalled, "needs python3-jsonschema", sourceLocation: sourceLocation)
        let published = messages().compactMap { message -> JSONSchemaValidator.Message? in
            let levels = message.topic.split(separator: "/", maxSplits: 3, omittingEmptySubsequences: false)
            guard levels.count == 4, levels[0] == "floorlink", levels[1] != "_probe", levels[3] != "commands" else {
                return nil
            }
            return JSONSchemaValidator.Message(topic: String(levels[3]), payload: message.payload)
        }
        let (status, report) = try await JSONSchemaValidator.validate(
            published,
            against: ContractSchema.asyncAPI,
            directory: scratch.directory
        )
        #expect(
            status == 0 && report.isEmpty,
            "\(published.count) messages:\n\(report)",
            sourceLocation: sourceLocation
        )
    }
}
