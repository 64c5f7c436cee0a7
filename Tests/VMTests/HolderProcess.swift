import Glibc

/// This binary started again as `vm-tests hold LABEL OFFSET` with pipes on its stdin and stdout: another
/// process holding a GPIO line, released when its stdin closes.
final class HolderProcess {
    private let pid: pid_t
    private var toChild: Int32
    private let fromChild: Int32

    init(label: String, offset: Int) throws {
        var input: [Int32] = [-1, -1]
        var output: [Int32] = [-1, -1]
        try expect(pipe(&input) == 0 && pipe(&output) == 0, "pipe: errno \(errno)")
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, input[0], 0)
        posix_spawn_file_actions_adddup2(&actions, output[1], 1)
        for fd in input + output { posix_spawn_file_actions_addclose(&actions, fd) }
        let arguments = [CommandLine.arguments[0], "hold", label, String(offset)]
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var child: pid_t = 0
        let status = posix_spawn(&child, arguments[0], &actions, nil, &argv, environ)
        close(input[0])
        close(output[1])
        guard status == 0 else {
            close(input[1])
            close(output[0])
            throw CheckFailure("posix_spawn \(arguments[0]): \(status)")
        }
        pid = child
        toChild = input[1]
        fromChild = output[0]
    }

    /// The first line the child prints, waiting up to `timeoutMilliseconds` with poll(2).
    func readLine(timeoutMilliseconds: Int32) throws -> String {
        var bytes: [UInt8] = []
        let deadline = monotonicNanoseconds() + Int64(timeoutMilliseconds) * 1_000_000
        while !bytes.contains(UInt8(ascii: "\n")) {
            let left = Int32(max(0, (deadline - monotonicNanoseconds()) / 1_000_000))
            var descriptor = pollfd(fd: fromChild, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, left) > 0 else { throw CheckFailure("the holder said nothing in time") }
            var chunk = [UInt8](repeating: 0, count: 256)
            let count = chunk.withUnsafeMutableBytes { read(fromChild, $0.baseAddress, $0.count) }
            guard count > 0 else { break }
            bytes += chunk.prefix(count)
        }
        return String(decoding: bytes.prefix { $0 != UInt8(ascii: "\n") }, as: UTF8.self)
    }

    /// Closes the child's stdin (it releases the line and exits) and reaps it. Harmless twice.
    func finish() {
        guard toChild >= 0 else { return }
        close(toChild)
        toChild = -1
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        close(fromChild)
    }
}
