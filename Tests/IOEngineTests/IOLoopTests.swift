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
}
