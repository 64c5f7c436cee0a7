import Dispatch
import Glibc
import IOEngine
import Testing

@Suite("The I/O engine's epoll loop")
struct IOLoopTests {
    /// A pipe whose read end is non-blocking; both ends closed by `close()`.
    struct Pipe {
        let readFD: Int32
        let writeFD: Int32

        init() throws {
            var fds: [Int32] = [0, 0]
            try #require(pipe(&fds) == 0)
            _ = fcntl(fds[0], F_SETFL, O_NONBLOCK)
            readFD = fds[0]
            writeFD = fds[1]
        }

        func close() {
            Glibc.close(readFD)
            Glibc.close(writeFD)
        }
    }

    @Test("a wait on a silent descriptor ends at its deadline, not before")
    func deadline() async throws {
        let loop = try IOLoop.shared()
        let pipe = try Pipe()
        defer { pipe.close() }
        let start = IOLoop.now
        let outcome = await loop.wait(for: .readable, on: pipe.readFD, deadline: start + .milliseconds(50))
        #expect(outcome == .timedOut)
        #expect(IOLoop.now - start >= .milliseconds(50))
        loop.forget(pipe.readFD)
    }

    @Test("a wait ends as soon as the descriptor is readable; a cancelled wait ends with cancelled")
    func readableAndForget() async throws {
        let loop = try IOLoop.shared()
        let pipe = try Pipe()
        defer { pipe.close() }
        let waiting = Task { await loop.wait(for: .readable, on: pipe.readFD, deadline: nil) }
        var byte: UInt8 = 1
        #expect(write(pipe.writeFD, &byte, 1) == 1)
        #expect(await waiting.value == .ready(hangup: false))

        let other = try Pipe()
        defer { other.close() }
        let cancelled = Task { await loop.wait(for: .readable, on: other.readFD, deadline: IOLoop.now + .seconds(30)) }
        cancelled.cancel()
        #expect(await cancelled.value == .cancelled)
        loop.forget(other.readFD)
        loop.forget(pipe.readFD)
    }

    @Test("a deadline earlier than the one the timer is set for ends its wait on time", .timeLimit(.minutes(1)))
    func earlierDeadline() async throws {
        let loop = try IOLoop.shared()
        let late = try Pipe()
        let early = try Pipe()
        defer {
            late.close()
            early.close()
        }
        let lateWait = Task { await loop.wait(for: .readable, on: late.readFD, deadline: IOLoop.now + .seconds(3600)) }
        // The timer is set for an hour; the early wait must set it earlier and end at its own deadline.
        let outcome = await loop.wait(for: .readable, on: early.readFD, deadline: IOLoop.now + .milliseconds(20))
        #expect(outcome == .timedOut)
        lateWait.cancel()
        #expect(await lateWait.value == .cancelled)
        loop.forget(late.readFD)
        loop.forget(early.readFD)
    }

    @Test("a sleep ends at its deadline with timedOut, or with cancelled when its task is cancelled")
    func sleep() async throws {
        let loop = try IOLoop.shared()
        let start = IOLoop.now
        #expect(await loop.sleep(until: start + .milliseconds(20)) == .timedOut)
        #expect(IOLoop.now >= start + .milliseconds(20))
        let sleeping = Task { await loop.sleep(until: IOLoop.now + .seconds(3600)) }
        sleeping.cancel()
        #expect(await sleeping.value == .cancelled)
    }

    /// Counts on whatever thread its caller's task runs.
    actor Counter {
        var count = 0
        func increment(onLoop loop: IOLoop) -> Bool {
            count += 1
            return loop.isCurrentThread
        }
    }

    @Test("a task that prefers the loop runs on its thread: its own code, the actors it calls, its child tasks")
    func taskExecutor() async throws {
        let loop = try IOLoop.shared()
        let counter = Counter()
        let pipe = try Pipe()
        defer { pipe.close() }
        let onLoop = await withTaskExecutorPreference(loop) { () async -> [Bool] in
            var seen = [loop.isCurrentThread, await counter.increment(onLoop: loop)]
            async let child = loop.isCurrentThread
            seen.append(await child)
            // Resumed from a Dispatch thread while the loop sleeps: the job must wake it.
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                DispatchQueue.global().async { continuation.resume() }
            }
            seen.append(loop.isCurrentThread)
            // Resumed by the loop itself when the descriptor is ready.
            var byte: UInt8 = 1
            _ = write(pipe.writeFD, &byte, 1)
            seen.append(await loop.wait(for: .readable, on: pipe.readFD, deadline: nil) == .ready(hangup: false))
            seen.append(loop.isCurrentThread)
            return seen
        }
        loop.forget(pipe.readFD)
        #expect(onLoop == [true, true, true, true, true, true])
        #expect(await Task(executorPreference: loop) { loop.isCurrentThread }.value)
        #expect(!loop.isCurrentThread)
    }

    @Test("the loop's thread is named, so top -H and /proc/PID/task show which thread does the work")
    func threadName() async throws {
        let loop = try IOLoop.shared()
        let name = await Task(executorPreference: loop) { () -> String? in
            guard let file = fopen("/proc/thread-self/comm", "r") else { return nil }
            defer { fclose(file) }
            var buffer = [CChar](repeating: 0, count: 32)
            guard fgets(&buffer, Int32(buffer.count), file) != nil else { return nil }
            return String(cString: buffer).split(separator: "\n").first.map(String.init)
        }.value
        #expect(name == IOLoop.threadName)
        #expect(IOLoop.threadName == "floorlink-loop")
    }

    /// An actor that lives on the loop, as the outbox and the MQTT client do in the daemon.
    actor LoopTally {
        nonisolated let loop: IOLoop
        nonisolated var unownedExecutor: UnownedSerialExecutor { loop.actorExecutor.asUnownedSerialExecutor() }
        var entries: [Int] = []
        var offLoop = 0

        init(loop: IOLoop) { self.loop = loop }

        func add(_ entry: Int) {
            if !loop.isCurrentThread { offLoop += 1 }
            entries.append(entry)
        }

        /// Enters the actor without a hop: only valid on the loop's thread.
        nonisolated func addInPlace(_ entry: Int) {
            assumeIsolated { $0.add(entry) }
        }
    }

    @Test("closures posted to the loop run on its thread in order, isolated to its actors alongside their own jobs")
    func postedClosures() async throws {
        let loop = try IOLoop.shared()
        let tally = LoopTally(loop: loop)
        let closures = 0..<200
        // Posted from a Dispatch thread (as the outbox's sync reports back) while tasks call the actor as usual.
        let posted = Task.detached {
            for entry in closures { loop.actorExecutor.execute { tally.addInPlace(entry) } }
        }
        await withTaskGroup(of: Void.self) { group in
            for entry in 1000..<1100 { group.addTask { await tally.add(entry) } }
        }
        await posted.value
        // A closure posted last runs after the ones before it.
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            loop.actorExecutor.execute { continuation.resume() }
        }
        let entries = await tally.entries
        #expect(entries.count == 300)
        #expect(entries.filter { $0 < 1000 } == Array(closures))
        #expect(await tally.offLoop == 0)
    }

    @Test("code on the loop's thread is isolated to the actors on it; other threads are not")
    func loopThreadIsIsolated() async throws {
        let loop = try IOLoop.shared()
        let tally = LoopTally(loop: loop)
        #expect(!loop.actorExecutor.isCurrent)
        let isolated = await Task(executorPreference: loop) { () -> Bool in
            tally.addInPlace(7)
            return loop.actorExecutor.isCurrent
        }.value
        #expect(isolated)
        #expect(await tally.entries == [7])
        #expect(await Task.detached { loop.actorExecutor.isCurrent }.value == false)
    }
}
