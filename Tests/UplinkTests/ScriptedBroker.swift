import Glibc
import Locking
import TestSupport

@testable import Uplink

/// Just enough of a broker to watch the client's packets: it records every packet with the connection it came
/// on and answers CONNECT and PINGREQ; it drops the socket on the first PUBLISH it ever receives, unacknowledged
/// (whichever connection that came on: a loaded machine may have reconnected before publishing), and acknowledges
/// every later PUBLISH.
final class ScriptedBroker: Sendable {
    var port: Int { listener.port }
    private typealias State = (packets: [(connection: Int, packet: MQTTPacket)], connections: Int, dropped: Bool)
    private let state = Locked<State>(([], 0, false))
    private let listener: AcceptThread

    init() throws {
        let state = self.state
        listener = try AcceptThread(serve: { client in
            let index = state.withLock { state in
                defer { state.connections += 1 }
                return state.connections
            }
            TestThread.start { Self.serve(client, connection: index, state: state) }
        })
    }

    /// Every packet received so far, with the index of its connection (0 first).
    var packets: [(connection: Int, packet: MQTTPacket)] { state.withLock { $0.packets } }

    func close() {
        listener.close()
    }

    private static func serve(_ fd: Int32, connection: Int, state: Locked<State>) {
        defer { Glibc.close(fd) }
        var decoder = MQTTPacketDecoder()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { return }
            decoder.append(buffer[0..<count])
            while true {
                let decoded: MQTTDecoded?
                do {
                    decoded = try decoder.next()
                } catch {
                    // Bytes that are not MQTT end the connection, loudly for the client, rather than leaving it
                    // waiting for an answer.
                    return
                }
                guard case .packet(let packet)? = decoded else { break }
                let drop = state.withLock { state -> Bool in
                    state.packets.append((connection, packet))
                    guard case .publish = packet, !state.dropped else { return false }
                    state.dropped = true
                    return true
                }
                if drop { return }
                let reply: MQTTPacket?
                switch packet {
                case .connect:
                    reply = .connack(sessionPresent: true, returnCode: .accepted)
                case .publish(let publish):
                    reply = publish.packetID.map { .puback(packetID: $0) }
                case .pingreq:
                    reply = .pingresp
                default:
                    reply = nil
                }
                if let reply, let bytes = try? reply.encoded() { Loopback.writeAll(fd, bytes) }
            }
        }
    }
}
