import Devices
import Events
import Glibc
import HAL
import HALLinux
import Service

/// `doctor`'s bus checks: each bus's port, and each configured board answering. With the daemon running, its own
/// view of the bus (it holds the port); without it, one status request per board straight on the port.
extension DoctorChecks {
    func busFindings(
        _ configuration: SiteConfiguration,
        daemonRunning: Bool,
        socketPath: String
    ) async -> [DoctorFinding] {
        var findings: [DoctorFinding] = []
        let present = configuration.buses.isEmpty ? [] : NumberedPortPath.presentPorts(configuration)
        for bus in configuration.buses {
            if let numbered = NumberedPortPath.finding(device: bus.id, port: bus.port, ports: present) {
                findings.append(.warn("bus \(bus.id)", numbered.problem, hint: numbered.remedy))
            }
            if daemonRunning {
                findings += await daemonBusFindings(bus, socketPath: socketPath)
            } else if configuration.hardware == .linux {
                findings += await directBusFindings(bus)
            }
        }
        return findings
    }

    private static let boardHint =
        "check the board's power, its address switches, the A/B wiring and the termination; "
        + "'floorctl locker probe BUS' lists the addresses that answer"

    private func daemonBusFindings(_ bus: BusSettings, socketPath: String) async -> [DoctorFinding] {
        let subject = "bus \(bus.id)"
        let entry: JSONValue
        do throws(CommandFailure) {
            let result = try await DaemonClient(socketPath: socketPath).call("bus.status", ["bus": .string(bus.id)])
            entry = result["buses"]?.elements.first ?? .null
        } catch {
            return [.fail(subject, "floorlinkd did not report the bus: \(error.message)", hint: "floorctl status")]
        }
        guard entry["connected"] == .bool(true) else {
            return [
                .fail(
                    subject,
                    "\(bus.port) is not open in floorlinkd (\(entry["state"].display))",
                    hint: "check the USB-RS485 adapter; 'floorctl serial list' shows the ports present"
                )
            ]
        }
        var findings: [DoctorFinding] = [.pass(subject, "\(bus.port) open at \(bus.serial), \(bus.protocolName)")]
        for board in entry["boards"]?.elements ?? [] {
            let name = "\(subject) board \(board["address"].display)"
            switch board["state"]?.stringValue {
            case "online":
                findings.append(.pass(name, "answers (\(board["faults"].display) faults since start)"))
            case "offline":
                findings.append(
                    .fail(
                        name,
                        "does not answer: \(board["lastFault"]?.stringValue ?? "no reply")",
                        hint: Self.boardHint
                    )
                )
            default:
                findings.append(.warn(name, "not polled yet", hint: "run doctor again in a few seconds"))
            }
        }
        return findings
    }

    private func directBusFindings(_ bus: BusSettings) async -> [DoctorFinding] {
        let subject = "bus \(bus.id)"
        guard access(bus.port, F_OK) == 0 else {
            return [
                .fail(
                    subject,
                    "\(bus.port) not found",
                    hint: "check the USB-RS485 adapter; 'floorctl serial list' shows the ports present"
                )
            ]
        }
        let clock = SystemClock()
        let port: any SerialPort
        do throws(HALError) {
            port = try await LinuxSerialBackend().open(path: bus.port, configuration: bus.serial)
        } catch {
            return [.fail(subject, error.description, hint: "find a holder with 'fuser -v \(bus.port)'")]
        }
        defer { port.close() }
        var findings: [DoctorFinding] = [.pass(subject, "\(bus.port) present and openable at \(bus.serial)")]
        var line = BusLine(
            port: port,
            boardProtocol: bus.boardProtocol,
            serial: bus.serial,
            clock: clock,
            settling: bus.boards.map(\.timeout).max() ?? .zero
        )
        for board in bus.boards {
            let name = "\(subject) board \(board.address)"
            do throws(HALError) {
                let request = bus.boardProtocol.statusRequest(address: board.address)
                switch try await line.transact(request, timeout: board.timeout) {
                case .reply, .sent: findings.append(.pass(name, "answers its status request"))
                case .fault(let fault): findings.append(.fail(name, fault.description, hint: Self.boardHint))
                }
            } catch {
                findings.append(.fail(name, error.description, hint: "check the adapter"))
                break
            }
        }
        return findings
    }
}
