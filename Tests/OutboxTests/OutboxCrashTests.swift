import Events
import Glibc
import TestSupport
import Testing

@testable import Outbox

/// `kill -9` at random points: every seq the probe saw acknowledged is there after reopening, and the seqs
/// are contiguous.
struct OutboxCrashTests {
    static let kills = 24

    /// The complete lines of `path` as seqs (a line cut off by the kill is ignored).
    static func acknowledgedSeqs(_ path: String) throws -> [UInt64] {
        let text = String(decoding: try OutboxFixture.readFile(path), as: UTF8.self)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        lines.removeLast()
        return lines.compactMap { UInt64($0) }
    }

    @Test(.timeLimit(.minutes(5)))  // a hang guard; under ThreadSanitizer the 24 rounds take over a minute
    func everyAcknowledgedEventSurvivesSIGKILL() async throws {
        let directory = try TemporaryDirectory()
        let probe = try BuiltProduct.path("OutboxCrashProbe")
        let data = directory.path + "/data"
        var random = SplitMix64(seed: 0xF100_2026)
        var acknowledged: Set<UInt64> = []
        var lastCount = 0
        for round in 0..<Self.kills {
            let output = directory.path + "/acknowledged-\(round).txt"
            let child = try ChildProcess(
                probe,
                [data, round.isMultiple(of: 3) ? "always" : "group"],
                outputPath: output,
                errorPath: directory.path + "/stderr.txt"
            )
            // The random delay counts from the probe's first acknowledgement (killed before its start, round 0 once
            // found nothing stored).
            let started = await TestFile.waitForCompleteLine(output)
            #expect(started, "round \(round): the probe acknowledged nothing in 30 s")
            try await Task.sleep(for: .milliseconds(40 + Int(random.next() % 160)))
            let status = await child.stopAndWait(signal: SIGKILL)
            #expect(status == 128 + SIGKILL, "round \(round): the probe exited by itself (status \(status))")
            let seqs = try Self.acknowledgedSeqs(output)
            acknowledged.formUnion(seqs)

            // Each round reads from the last record the round before found (it must still be there), the last
            // round every record: reading them all every round was quadratic, and under a sanitizer this one test
            // took a core for 20 s and slowed every test running beside it.
            let after = round == Self.kills - 1 ? 0 : UInt64(max(0, lastCount - 1))
            let outbox = try await OutboxFixture.open(data, segmentBytes: 16 << 10, quotaBytes: 64 << 20)
            let stored = try await OutboxFixture.readAll(outbox, after: after).map(\.seq)
            await outbox.close()
            // A half-open range: an empty outbox is contiguous too, where building 1...0 traps (and took the whole
            // test process down once, when a kill came before the probe's first append).
            let expected = Array((after + 1)..<(after + 1 + UInt64(stored.count)))
            #expect(stored == expected, "round \(round): seqs not contiguous")
            let missing = acknowledged.filter { $0 > after }.subtracting(stored)
            #expect(missing.isEmpty, "round \(round): acknowledged but lost: \(missing.sorted().prefix(10))")
            let count = Int(after) + stored.count
            #expect(count >= lastCount, "round \(round): \(count) records where the round before found \(lastCount)")
            lastCount = count
        }
        #expect(acknowledged.count > Self.kills * 10)
        let errors = String(decoding: try OutboxFixture.readFile(directory.path + "/stderr.txt"), as: UTF8.self)
        #expect(errors.isEmpty)
    }
}
