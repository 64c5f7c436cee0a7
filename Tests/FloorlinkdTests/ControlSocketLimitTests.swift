import Events
import Foundation
import Glibc
import Service
import TestSupport
import Testing

/// Idle control-socket clients must not use up the daemon's descriptors: 1,007 of them once made `accept` fail
/// with EMFILE and the daemon stopped everything and exited 1.
@Suite("floorlinkd under descriptor exhaustion", .timeLimit(.minutes(3)))
struct ControlSocketLimitTests {
    /// `maxConnections` nil: the default cap of 64 keeps the daemon below its 256 descriptors. 1000: more than
    /// the descriptors allow (this once crashed the daemon inside libdispatch at EMFILE): the daemon caps it.
    @Test(
        "2,000 idle control connections with a soft limit of 256: scanning goes on and status answers",
        arguments: [nil, 1000] as [Int?]
    )
    func idleConnectionsDoNotStopTheDaemon(maxConnections: Int?) async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let socket = scratch.path("control.sock")
        var site = try Sites.demo(scratch, mqtt: nil)
        if let maxConnections {
            site = site.setting("control", ["socket": .string(socket), "maxConnections": .int(Int64(maxConnections))])
        }
        let config = try scratch.write("site.json", json: site)
        let daemon = try Floorlinkd(config: config, socket: socket, scratch: scratch, softFileLimit: 256)
        defer { daemon.stop() }
        let before = try await daemon.waitUntilServing()
        let seqBefore = try #require(before["outbox"]?["lastSeq"]?.intValue)

        // The 2,000 connections come on top of what the tests running alongside use.
        try Self.raiseOwnFileLimit(to: 2_000 + 8_192, atLeast: 2_200)
        let opened = await Self.connectIdleClients(2_000, to: socket)
        defer { for fd in opened.descriptors { close(fd) } }
        if let error = opened.error {
            // Whether the daemon is gone (and how) tells a refused connect from a dead daemon apart.
            let exit = await daemon.child.waitForExit(timeout: .seconds(2))
            Issue.record(
                """
                connection \(opened.descriptors.count): \(error); daemon \(exit.map { "exited with \($0)" } ?? "still running"); \
                stderr:\n\(daemon.standardError)
                """
            )
            return
        }
        #expect(daemon.child.isRunning, "stderr:\n\(daemon.standardError)")

        // The daemon still answers and the simulated scanners' events are still being stored.
        let after = await eventually(within: .seconds(30)) { () -> JSONValue? in
            guard let reply = try? await Control.request(socket, op: "status"), let result = reply["result"],
                let seq = result["outbox"]?["lastSeq"]?.intValue, seq > seqBefore
            else { return nil }
            return result
        }
        #expect(after != nil, "status did not answer with new events; stderr:\n\(daemon.standardError)")
        #expect(daemon.child.isRunning)
        if maxConnections != nil {
            // 1000 clients would need more than the 256 descriptors: the cap in force is a quarter of them.
            #expect(
                daemon.standardError.contains("control.maxConnections lowered to a quarter of the descriptor limit")
            )
            #expect(daemon.standardError.contains("inForce=64"))
        }

        daemon.child.send(SIGTERM)
        let status = await daemon.child.waitForExit(timeout: .seconds(30))
        #expect(status == 0, "stderr:\n\(daemon.standardError)")
    }

    /// The daemon's soft limit is lowered, once it serves, to the descriptors it holds plus two: the 40 idle
    /// clients cannot fit, so `accept` fails with EMFILE whatever the timing and however many descriptors the
    /// daemon needs in this build (about 17: a fixed limit of 40 left room for the clients when closing evicted
    /// ones kept pace, and the CI's thread-sanitized run never saw EMFILE). The backoff sleeps on the I/O loop's
    /// timer, which needs no new descriptor.
    @Test("out of descriptors, accepting control clients backs off and the daemon lives on; status answers after")
    func acceptBackoffOutOfDescriptors() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let socket = scratch.path("control.sock")
        let config = try scratch.write("site.json", json: try Sites.demo(scratch, mqtt: nil))
        let daemon = try Floorlinkd(config: config, socket: socket, scratch: scratch, softFileLimit: 40)
        defer { daemon.stop() }
        _ = try await daemon.waitUntilServing()
        let held = try Self.openDescriptors(of: daemon.child.pid)
        try await Self.setSoftFileLimit(of: daemon.child.pid, to: held + 2)

        // Within the listen backlog (64): every connect completes whether or not the daemon accepts.
        let opened = await Self.connectIdleClients(40, to: socket)
        if let error = opened.error { Issue.record("connection \(opened.descriptors.count): \(error)") }
        let backedOff = await eventually(within: .seconds(30)) { () -> Bool? in
            daemon.standardError.contains("cannot accept control clients; backing off") ? true : nil
        }
        for fd in opened.descriptors { close(fd) }
        #expect(backedOff != nil, "accept never failed; stderr:\n\(daemon.standardError)")
        // A few more backoff rounds while the clients go.
        let answered = await eventually(within: .seconds(30)) { () -> JSONValue? in
            try? await Control.request(socket, op: "status")["result"]
        }
        #expect(answered != nil, "status did not answer; stderr:\n\(daemon.standardError)")
        let exit = await daemon.child.waitForExit(timeout: .milliseconds(1))
        #expect(exit == nil, "the daemon exited with \(exit ?? 0); stderr:\n\(daemon.standardError)")

        daemon.child.send(SIGTERM)
        let status = await daemon.child.waitForExit(timeout: .seconds(30))
        #expect(status == 0, "stderr:\n\(daemon.standardError)")
    }

    /// The descriptor limits above count the daemon's own descriptors only. A descriptor the test process holds
    /// without close-on-exec (the CI runner left some) once reached the daemon started with 40, which then failed
    /// before serving (EMFILE opening its outbox, or its sanitizer runtime dying): children start with 0, 1, 2 only.
    @Test("a process the tests start holds only stdin, stdout and stderr, not the test's descriptors")
    func childrenInheritNoDescriptors() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let held = open("/dev/null", O_RDONLY)  // no O_CLOEXEC: as a CI runner may leave them
        try #require(held >= 0)
        defer { close(held) }
        let high = fcntl(held, F_DUPFD, 200)
        try #require(high >= 200, "F_DUPFD: errno \(errno)")
        defer { close(high) }

        let listing = try ChildProcess(
            "/bin/ls",
            ["-1", "/proc/self/fd"],
            outputPath: scratch.path("fds"),
            truncating: true
        )
        #expect(await listing.waitForExit(timeout: .seconds(30)) == 0)
        // 0, 1, 2 and the directory `ls` itself reads.
        let descriptors = scratch.read("fds").split(separator: "\n").compactMap { Int32($0) }
        #expect(descriptors.count == 4 && descriptors.allSatisfy { $0 <= 3 }, "the child held \(descriptors)")
    }

    /// How many descriptors process `pid` has open, from `/proc/PID/fd`.
    static func openDescriptors(of pid: pid_t) throws -> Int {
        try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count
    }

    /// Sets the soft descriptor limit of the running process `pid` (util-linux's prlimit: Glibc's `prlimit` is
    /// not visible to Swift).
    static func setSoftFileLimit(of pid: pid_t, to count: Int) async throws {
        let status = try await ChildProcess.run(
            "/usr/bin/prlimit",
            ["--pid", "\(pid)", "--nofile=\(count):"],
            timeout: .seconds(30)
        )
        guard status == 0 else { throw HarnessError("prlimit --pid \(pid) --nofile=\(count): exit \(status)") }
    }

    /// Opens `count` idle connections to `path` with blocking connects on a thread of their own (while the daemon's
    /// backlog is full a connect waits for it to accept: seconds under a sanitizer, which must hold neither one of
    /// the cooperative threads nor one of Dispatch's global queue, whose two threads the name lookups of the tests
    /// alongside wait for); the descriptors opened, and the error that stopped it.
    static func connectIdleClients(_ count: Int, to path: String) async -> (descriptors: [Int32], error: Error?) {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                var descriptors: [Int32] = []
                do {
                    for _ in 0..<count { descriptors.append(try connectBlocking(path)) }
                    continuation.resume(returning: (descriptors, nil))
                } catch {
                    continuation.resume(returning: (descriptors, error))
                }
            }
        }
    }

    /// A plain blocking connect: while the daemon's backlog is full it waits for the daemon to accept.
    static func connectBlocking(_ path: String) throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw HarnessError("socket: errno \(errno)") }
        let result = try UnixSocketAddress.with(path) { address, length in connect(fd, address, length) }
        guard result == 0 else {
            let code = errno
            close(fd)
            throw HarnessError("connect \(path): errno \(code)")
        }
        return fd
    }

    /// Raises this test process's soft descriptor limit towards `count` (never lowers it); throws when the hard
    /// limit does not allow `needed`.
    static func raiseOwnFileLimit(to count: Int, atLeast needed: Int) throws {
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 else {
            throw HarnessError("getrlimit: errno \(errno)")
        }
        guard limit.rlim_cur < rlim_t(count) else { return }
        guard limit.rlim_max >= rlim_t(needed) else {
            throw HarnessError("the hard descriptor limit \(limit.rlim_max) is below the \(needed) the test needs")
        }
        limit.rlim_cur = min(limit.rlim_max, rlim_t(count))
        guard setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 else {
            throw HarnessError("setrlimit: errno \(errno)")
        }
    }
}
