import Glibc

/// CPU time and memory of a process, from /proc: what the benchmarks print.
public enum ProcessStats {
    /// utime + stime in seconds (fields 14 and 15 of /proc/PID/stat, after the command name).
    public static func cpuSeconds(_ pid: pid_t) -> Double {
        guard let text = read("/proc/\(pid)/stat"), let close = text.lastIndex(of: ")") else { return 0 }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // After ")": state is field 3, so utime (14) and stime (15) are at offsets 11 and 12.
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// Each live thread's CPU time in nanoseconds, by thread id, with its name (`/proc/PID/task/TID/schedstat`,
    /// the scheduler's exact runtime, and `comm`). A thread that exited between two readings is missing from the
    /// second: use it for where the CPU goes, and `cpuSeconds` for how much.
    public static func threadCPU(_ pid: pid_t) -> [pid_t: (name: String, nanoseconds: Int64)] {
        guard let directory = opendir("/proc/\(pid)/task") else { return [:] }
        defer { closedir(directory) }
        var threads: [pid_t: (name: String, nanoseconds: Int64)] = [:]
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) {
                String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard let tid = pid_t(name),
                let schedstat = read("/proc/\(pid)/task/\(tid)/schedstat"),
                let runtime = schedstat.split(separator: " ").first.flatMap({ Int64($0) })
            else { continue }
            let comm = read("/proc/\(pid)/task/\(tid)/comm")?.split(separator: "\n").first.map(String.init) ?? "?"
            threads[tid] = (comm, runtime)
        }
        return threads
    }

    /// A `kB` line of /proc/PID/status (`VmRSS`, `VmHWM`) in MiB.
    public static func memoryMiB(_ pid: pid_t, _ key: String) -> Double {
        guard let text = read("/proc/\(pid)/status") else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix(key + ":") {
            let digits = line.dropFirst(key.count + 1).filter(\.isNumber)
            return (Double(String(digits)) ?? 0) / 1024
        }
        return 0
    }

    public static var monotonicNanoseconds: Int64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec)
    }

    private static func read(_ path: String) -> String? {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = fread(&buffer, 1, buffer.count, file)
            bytes += buffer.prefix(count)
            if count < buffer.count { break }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
