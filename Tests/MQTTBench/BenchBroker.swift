import Glibc
import TestSupport

/// A mosquitto for the benchmark on a free loopback port, started as a `ChildProcess` and stopped with SIGTERM.
struct BenchBroker {
    let port: Int
    let directory: String
    let child: ChildProcess

    static func start() throws -> BenchBroker {
        let port = try freePort()
        var template = Array("/tmp/mqtt-bench-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw BenchError("mkdtemp failed") }
        let directory = String(cString: made)
        let config = """
            user root
            log_dest none
            persistence false
            max_queued_messages 0
            listener \(port) 127.0.0.1
            allow_anonymous true

            """
        guard let file = fopen("\(directory)/mosquitto.conf", "w") else { throw BenchError("cannot write config") }
        fputs(config, file)
        fclose(file)

        let child = try ChildProcess("/usr/sbin/mosquitto", ["-c", "\(directory)/mosquitto.conf"])
        let broker = BenchBroker(port: port, directory: directory, child: child)
        try broker.waitUntilListening()
        return broker
    }

    func stop() {
        child.stop()
        unlink("\(directory)/mosquitto.conf")
        rmdir(directory)
    }

    private func waitUntilListening() throws {
        for _ in 0..<250 {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = Self.loopback(port: port)
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            close(fd)
            if connected == 0 { return }
            usleep(20_000)
        }
        throw BenchError("mosquitto did not listen on port \(port)")
    }

    private static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = loopback(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { throw BenchError("cannot find a free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        return address
    }
}
