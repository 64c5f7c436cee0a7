import Glibc
import Uplink

// Opens MQTT connections to a listener that accepts them and never answers (each client waits for its CONNACK,
// its reader on the I/O loop) and prints the process's thread count with one connection open and with 65, as
// "before after". The transport test runs it as a process of its own: in the test process, other tests' threads
// come and go while it counts. Usage: TransportThreadProbe (no arguments).

/// The threads of this process, from /proc/self/task.
func threadCount() -> Int {
    guard let directory = opendir("/proc/self/task") else { return -1 }
    defer { closedir(directory) }
    var count = 0
    while let entry = readdir(directory) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) {
            String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
        }
        if name != "." && name != ".." { count += 1 }
    }
    return count
}

func fail(_ message: String) -> Never {
    let line = Array("TransportThreadProbe: \(message) (errno \(errno))\n".utf8)
    _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    exit(1)
}

/// A non-blocking listener on 127.0.0.1 with room for every connection, and its port.
func listen() -> (fd: Int32, port: UInt16) {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
    guard fd >= 0 else { fail("socket") }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(fd, $0, length) == 0 && Glibc.listen(fd, 256) == 0 && getsockname(fd, $0, &length) == 0
        }
    }
    guard bound else { fail("bind/listen 127.0.0.1:0") }
    return (fd, UInt16(bigEndian: address.sin_port))
}

/// Accepts until `total` connections are in (`accepted` and new ones), each with its client's CONNECT received (so
/// the client's reader runs); all of them, open.
func accept(until total: Int, from listener: Int32, adding accepted: [Int32] = []) async -> [Int32] {
    var accepted = accepted
    while accepted.count < total {
        let fd = Glibc.accept(listener, nil, nil)
        if fd >= 0 {
            accepted.append(fd)
        } else {
            guard errno == EAGAIN || errno == EINTR else { fail("accept") }
            try? await Task.sleep(for: .milliseconds(2))
        }
    }
    for fd in accepted {
        var byte: UInt8 = 0
        while recv(fd, &byte, 1, Int32(MSG_PEEK)) <= 0 {
            try? await Task.sleep(for: .milliseconds(2))
        }
    }
    return accepted
}

func client(_ index: Int, port: UInt16) -> MQTTClient {
    guard let broker = try? MQTTBrokerURL(parsing: "mqtt://127.0.0.1:\(port)") else { fail("broker URL") }
    var configuration = MQTTClientConfiguration(broker: broker, clientID: "probe-\(index)")
    configuration.connectTimeout = .seconds(300)
    return MQTTClient(configuration: configuration)
}

let (listener, port) = listen()
// The first connection starts the shared I/O loop; count from there.
let clients = (0...64).map { client($0, port: port) }
Task { [first = clients[0]] in await first.run() }
let first = await accept(until: 1, from: listener)
let before = threadCount()
for next in clients.dropFirst() {
    Task { await next.run() }
}
_ = await accept(until: 65, from: listener, adding: first)
let after = threadCount()
let line = Array("\(before) \(after)\n".utf8)
_ = line.withUnsafeBytes { write(1, $0.baseAddress, $0.count) }
exit(0)
