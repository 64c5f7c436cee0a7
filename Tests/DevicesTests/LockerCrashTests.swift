import Foundation
import Glibc
import TestSupport
import Testing

/// `kill -9` at random points while a locker bank assigns and deposits (the outbox crash test's method, with
/// Tests/LockerCrashProbe): after each kill the bank restarts from its state file, every acknowledged assignment is
/// still there, and every deposited order's code opens its door exactly once.
@Suite("Locker state survives SIGKILL")
struct LockerCrashTests {
    static let kills = 16

    /// The built probe, beside the test bundle.
    static func probePath() throws -> String {
        try BuiltProduct.path("LockerCrashProbe")
    }

    /// The complete lines of `path`, split into words (a line cut off by the kill is ignored).
    static func lines(_ path: String) throws -> [[String]] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        lines.removeLast()
        return lines.map { $0.split(separator: " ").map(String.init) }
    }

    @Test(.timeLimit(.minutes(3)))
    func acknowledgedOrdersSurviveSIGKILL() async throws {
        let probe = try Self.probePath()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("locker-crash-\(UUID())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let state = directory + "/state"
        var random = SplitMix64(seed: 0x10C4_2026)
        var deposited = 0
        for round in 0..<Self.kills {
            let output = directory + "/run-\(round).txt"
            let errors = directory + "/stderr.txt"
            let child = try ChildProcess(probe, [state, "run", "\(round)"], outputPath: output, errorPath: errors)
            // The random delay counts from the probe's first acknowledgement (killed before any work, it once left
            // 12 deposits in 16 rounds).
            let started = await TestFile.waitForCompleteLine(output)
            #expect(started, "round \(round): the probe acknowledged nothing in 30 s")
            try await Task.sleep(for: .milliseconds(5 + Int(random.next() % 400)))
            let status = await child.stopAndWait(signal: SIGKILL)
            #expect(status == 128 + SIGKILL, "round \(round): the probe exited by itself (status \(status))")
            let acknowledged = try Self.lines(output)

            let check = directory + "/verify-\(round).txt"
            let verifier = try ChildProcess(probe, [state, "verify"], outputPath: check, errorPath: errors)
            #expect(await verifier.waitForExit() == 0, "round \(round): the bank did not restart from its state file")
            let found = try Self.lines(check)
            #expect(found.last == ["done"], "round \(round): verify did not finish: \(found.suffix(3))")
            let stored = Dictionary(
                found.filter { $0.count == 4 && $0[0] == "S" }.map { ($0[1], (order: $0[2], deposited: $0[3] == "1")) },
                uniquingKeysWith: { first, _ in first }
            )
            let opened = Set(found.filter { $0.first == "O" }.map { $0[1] })
            let refusedAgain = Set(found.filter { $0.first == "X" }.map { $0[1] })
            for line in acknowledged where line.count == 3 {
                let (kind, door, order) = (line[0], line[1], line[2])
                #expect(stored[door]?.order == order, "round \(round): \(kind) \(door) \(order) acknowledged, lost")
                if kind == "D" {
                    #expect(stored[door]?.deposited == true, "round \(round): deposit of \(order) lost")
                }
            }
            // Every deposited order, acknowledged or stored just before the kill: its code opens its door once.
            for (door, entry) in stored where entry.deposited {
                #expect(opened.contains(door), "round \(round): \(entry.order)'s code did not open \(door)")
                #expect(refusedAgain.contains(door), "round \(round): \(entry.order)'s code opened \(door) twice")
                deposited += 1
            }
        }
        #expect(deposited > Self.kills, "too few deposits reached the state file to mean anything")
        let errors = (try? String(contentsOfFile: directory + "/stderr.txt", encoding: .utf8)) ?? ""
        #expect(errors.isEmpty)
    }
}
