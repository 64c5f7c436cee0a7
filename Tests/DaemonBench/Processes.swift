import Glibc
import TestSupport

/// A failure of the benchmark's own setup.
struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A child started with `posix_spawn` (signal mask and handlers reset, so it obeys SIGTERM).
struct Child {
    let pid: pid_t

    init(
        _ path: String,
        _ arguments: [String],
        environment: [String: String] = [:],
        standardError: String = "/dev/null"
    ) throws {
        var variables = Spawn.currentEnvironment
        // The benchmark itself may run under systemd: its notify settings must not reach the daemon.
        for name in ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"] { variables[name] = nil }
        variables.merge(environment) { $1 }
        do throws(HarnessError) {
            pid = try Spawn.start(path, arguments, environment: variables) { actions in
                posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
                posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
                posix_spawn_file_actions_addopen(&actions, 2, standardError, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            }
        } catch {
            throw BenchError(error.description)
        }
    }

    /// Sends `signal` and waits up to `timeout` for the exit (then SIGKILL); the exit status and the time taken.
    @discardableResult
    func stop(signal: Int32 = SIGTERM, timeout: Duration = .seconds(10)) -> (status: Int32, took: Duration) {
        let start = ContinuousClock.now
        kill(pid, signal)
        var status: Int32 = 0
        while true {
            let result = waitpid(pid, &status, WNOHANG)
            if result == pid || (result < 0 && errno != EINTR) { break }
            if ContinuousClock.now - start > timeout {
                kill(pid, SIGKILL)
                while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
                break
            }
            usleep(2000)
        }
        let took = ContinuousClock.now - start
        let killed = status & 0x7f
        return (killed == 0 ? (status >> 8) & 0xff : 128 + killed, took)
    }
}

enum Files {
    static func write(_ path: String, _ text: String) throws {
        guard let file = fopen(path, "w") else { throw BenchError("cannot write \(path): errno \(errno)") }
        fputs(text, file)
        fclose(file)
    }

    static func read(_ path: String) -> String? {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 8192)
        while true {
            let count = fread(&buffer, 1, buffer.count, file)
            bytes += buffer.prefix(count)
            if count < buffer.count { break }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `rm -rf` for the benchmark's flat scratch directory (and its `data` subdirectory).
    static func removeTree(_ path: String) {
        guard let directory = opendir(path) else {
            unlink(path)
            return
        }
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name == "." || name == ".." { continue }
            let child = "\(path)/\(name)"
            var status = stat()
            if lstat(child, &status) == 0, status.st_mode & S_IFMT == S_IFDIR {
                removeTree(child)
            } else {
                unlink(child)
            }
        }
        closedir(directory)
        rmdir(path)
    }
}
