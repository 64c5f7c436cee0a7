import Events
import Foundation
import Testing

@testable import Service

/// `events --follow` with `after`: what `floorctl` asks for when it resumes after a reload or restart. The stored
/// events after that seq come first, then the live ones, each once and in order. With `last` (`events --follow -n N`)
/// the N newest matches come first, as `journalctl -n N -f` shows them.
@Suite("events --follow resumes after a seq")
struct EventsFollowResumeTests {
    struct Resume: Sendable, CustomTestStringConvertible {
        var after: Int64?
        var last: Int64? = nil
        var type: String?
        /// The seqs expected from the stored events (1...6: scans at odd seqs, tag reads at even ones).
        var replayed: [Int64]
        var testDescription: String {
            (after.map { "after \($0)" } ?? "") + (last.map { " -n \($0)" } ?? "")
                + (type.map { " --type \($0)" } ?? "")
        }
    }

    /// A site in `directory` without devices running or demo traffic: the test emits its events itself.
    static func site(in directory: String) async throws -> Site {
        try await Site.open(
            configuration: try SiteLifetimeTests.configuration(in: directory),
            logger: Logger(label: "test", handler: MemoryLogHandler()),
            simulate: false
        )
    }

    @Test(
        "the stored events after `after` (or the `last` newest) come first, then the live ones, none twice",
        arguments: [
            Resume(after: 2, type: nil, replayed: [3, 4, 5, 6]),
            Resume(after: 0, type: nil, replayed: [1, 2, 3, 4, 5, 6]),
            Resume(after: 6, type: nil, replayed: []),
            Resume(after: 1, type: "scan", replayed: [3, 5]),
            Resume(after: nil, last: 2, type: nil, replayed: [5, 6]),
            Resume(after: nil, last: 10, type: nil, replayed: [1, 2, 3, 4, 5, 6]),
            Resume(after: nil, last: 2, type: "scan", replayed: [3, 5]),
            Resume(after: nil, type: nil, replayed: []),
            // A resume goes on from where it was: its `after` wins over `last`.
            Resume(after: 4, last: 6, type: nil, replayed: [5, 6]),
        ]
    )
    func resumes(_ resume: Resume) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("follow-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let site = try await Self.site(in: directory)
        for number in 1...6 {
            let stored = await site.hub.emit(
                number % 2 == 1 ? .scan : .tagRead,
                device: number % 2 == 1 ? "scanner-1" : "rfid-1",
                data: ["n": .int(Int64(number))]
            )
            try #require(stored)
        }
        var args: [(String, JSONValue)] = [("follow", true)]
        if let after = resume.after { args.append(("after", .int(after))) }
        if let last = resume.last { args.append(("last", .int(last))) }
        if let type = resume.type { args.append(("type", .string(type))) }
        let reply = await SiteControl(site: site).handle(ControlRequest(op: "events", args: .object(args)))
        guard case .stream(let stream) = reply else {
            Issue.record("not a stream: \(reply)")
            return
        }
        var iterator = stream.makeAsyncIterator()
        var seqs: [Int64] = []
        for _ in resume.replayed {
            if let seq = await iterator.next()?["seq"]?.intValue { seqs.append(seq) }
        }
        #expect(seqs == resume.replayed)
        // A live event follows the replay directly.
        try #require(await site.hub.emit(.scan, device: "scanner-1", data: ["n": 7]))
        #expect(await iterator.next()?["seq"]?.intValue == 7)
        await site.outbox.close()
    }

    @Test(
        "a bad `last`, followed or not, is a bad request",
        arguments: [true, false]
    )
    func badLast(follow: Bool) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("follow-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let site = try await Self.site(in: directory)
        for last: JSONValue in [0, -3, 10_001, "five"] {
            let reply = await SiteControl(site: site).handle(
                ControlRequest(op: "events", args: ["follow": .bool(follow), "last": last])
            )
            guard case .failure(let error) = reply else {
                Issue.record("accepted last \(last)")
                continue
            }
            #expect(error.code == "bad-request" && error.message.contains("last"))
        }
        await site.outbox.close()
    }

    @Test("a negative or non-numeric `after` is a bad request")
    func badAfter() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("follow-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let site = try await Self.site(in: directory)
        for after: JSONValue in [-1, "five"] {
            let reply = await SiteControl(site: site).handle(
                ControlRequest(op: "events", args: ["follow": true, "after": after])
            )
            guard case .failure(let error) = reply else {
                Issue.record("accepted after \(after)")
                continue
            }
            #expect(error.code == "bad-request")
        }
        await site.outbox.close()
    }
}
