import Glibc
import TestSupport

/// A mosquitto for the benchmark on a free loopback port, started as a `ChildProcess` and stopped with SIGTERM.
struct BenchBroker {
    let port: Int
    let directory: String
    let child: ChildProcess

    static func start() throws -> BenchBroker {
        let port = try Loopback.freePort()
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
        try Loopback.waitForListener(port: port)
        return broker
    }

    func stop() {
        child.stop()
        unlink("\(directory)/mosquitto.conf")
        rmdir(directory)
    }
}
