import Glibc

/// This process's resident memory, CPU time and start time, read from `/proc` as Prometheus's own client
/// libraries do (`process_resident_memory_bytes`, `process_cpu_seconds_total`, `process_start_time_seconds`).
public struct ProcessMetrics: Sendable, Equatable {
    public var residentMemoryBytes: Double
    public var cpuSeconds: Double
    /// Seconds since the Unix epoch.
    public var startTimeSeconds: Double

    /// Reads `/proc/self/stat`, `/proc/self/statm` and the boot time in `/proc/stat`; nil when `/proc` is not there.
    public static func read() -> ProcessMetrics? {
        guard let stat = Self.contents("/proc/self/stat"), let statm = Self.contents("/proc/self/statm"),
            let system = Self.contents("/proc/stat")
        else { return nil }
        // The command name (field 2) is in parentheses and may hold spaces: count fields after its last ')'.
        guard let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // After ')': state is field 3, so field N is fields[N - 3]. utime 14, stime 15, starttime 22.
        guard fields.count > 19, let user = Double(fields[11]), let kernel = Double(fields[12]),
            let started = Double(fields[19])
        else { return nil }
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        let pageSize = Double(sysconf(Int32(_SC_PAGESIZE)))
        let pages = statm.split(separator: " ").dropFirst().first.flatMap { Double($0) } ?? 0
        let bootTime =
            system.split(separator: "\n").first { $0.hasPrefix("btime ") }
            .flatMap { Double($0.dropFirst("btime ".count)) } ?? 0
        guard ticks > 0 else { return nil }
        return ProcessMetrics(
            residentMemoryBytes: pages * pageSize,
            cpuSeconds: (user + kernel) / ticks,
            startTimeSeconds: bootTime + started / ticks
        )
    }

    private static func contents(_ path: String) -> String? {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = fread(&chunk, 1, chunk.count, file)
            if count <= 0 { break }
            bytes += chunk.prefix(count)
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
