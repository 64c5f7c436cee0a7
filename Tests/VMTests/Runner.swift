import Glibc

/// Why a check failed: the message printed after `FAIL name:`.
struct CheckFailure: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}

/// Fails the running check with `message` unless `condition` holds.
func expect(_ condition: Bool, _ message: @autoclosure () -> String) throws {
    if !condition { throw CheckFailure(message()) }
}

/// The value, or a failure with `message` when there is none.
func require<Value>(_ value: Value?, _ message: @autoclosure () -> String) throws -> Value {
    guard let value else { throw CheckFailure(message()) }
    return value
}

/// Runs `body`, failing with "`what`: nothing within `limit`" when it has not finished in time; `body` is
/// cancelled then (HALLinux waits end on cancellation).
func within<Value: Sendable>(
    _ limit: Duration,
    _ what: String,
    _ body: @escaping @Sendable () async throws -> Value
) async throws -> Value {
    // Each child yields an optional: the body's value, or nil from the timer.
    try await withThrowingTaskGroup(of: Optional<Value>.self) { group in
        group.addTask { .some(try await body()) }
        group.addTask {
            try? await Task.sleep(for: limit)
            return .none
        }
        defer { group.cancelAll() }
        guard case .some(.some(let value)) = try await group.next() else {
            throw CheckFailure("\(what): nothing within \(limit)")
        }
        return value
    }
}

/// One in-VM check: a name printed as `PASS name` or `FAIL name: why`, and its body.
struct Check: Sendable {
    let name: String
    /// A check still running after this long fails the run at once (a hang must not eat the VM's budget).
    let limit: Duration
    let body: @Sendable () async throws -> Void

    init(_ name: String, limit: Duration = .seconds(30), _ body: @escaping @Sendable () async throws -> Void) {
        self.name = name
        self.limit = limit
        self.body = body
    }
}

/// Runs checks one after another and prints one line per check on stdout (the VM's console).
struct Runner {
    private(set) var passed = 0
    private(set) var failed: [String] = []

    static func run(_ checks: [Check]) async -> Runner {
        var runner = Runner()
        await runner.runEach(checks)
        return runner
    }

    private mutating func runEach(_ checks: [Check]) async {
        for check in checks {
            let started = monotonicNanoseconds()
            let watchdog = Task {
                try await Task.sleep(for: check.limit)
                say("FAIL \(check.name): still running after \(check.limit); giving up on the run")
                exit(2)
            }
            do {
                try await check.body()
                passed += 1
                say("PASS \(check.name) (\((monotonicNanoseconds() - started) / 1_000_000) ms)")
            } catch {
                failed.append(check.name)
                say("FAIL \(check.name): \(error)")
            }
            watchdog.cancel()
        }
    }
}

/// Prints a line and flushes it, so the host sees it at once (the host waits for ready lines).
func say(_ line: String) {
    var text = line + "\n"
    text.withUTF8 { bytes in
        var offset = 0
        while offset < bytes.count {
            let written = write(1, bytes.baseAddress.map { $0 + offset }, bytes.count - offset)
            if written <= 0 { return }
            offset += written
        }
    }
}

/// `CLOCK_MONOTONIC` in nanoseconds: the timeline of the kernel's GPIO edge timestamps.
func monotonicNanoseconds() -> Int64 {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec)
}
