import Devices
import Events
import HAL

/// The control socket's bus operations: `locker.probe` (each address's raw bits) and `bus.status` (each board's
/// health), and the buses' lines in `status` and `devices`.
extension SiteControl {
    /// Probe addresses up to this on a Modbus bus unless asked for more: a full scan of 247 units takes long.
    static let modbusProbeLimit = 32

    func probe(_ request: ControlRequest) async throws(ControlError) -> JSONValue {
        let id = try request.string("bus")
        guard let settings = site.configuration.bus(id), let bus = site.registry.bus(id) else {
            let known = site.configuration.buses.map(\.id)
            throw ControlError(
                code: "unknown-device",
                message: "no bus \"\(id)\"" + (known.isEmpty ? "" : "; buses are " + known.joined(separator: ", "))
            )
        }
        let addresses = settings.boardProtocol.addresses
        let defaultLast = settings.protocolName == "modbus-rtu" ? Self.modbusProbeLimit : addresses.upperBound
        let first = Int(request.args["from"]?.intValue ?? Int64(addresses.lowerBound))
        let last = Int(request.args["to"]?.intValue ?? Int64(defaultLast))
        guard addresses.contains(first), addresses.contains(last), first <= last else {
            throw ControlError(
                code: "bad-request",
                message: "addresses \(first)...\(last) are not within \(settings.protocolName)'s "
                    + "\(addresses.lowerBound)...\(addresses.upperBound)"
            )
        }
        let timeoutMs = Int(request.args["timeoutMs"]?.intValue ?? 100)
        guard (10...5000).contains(timeoutMs) else {
            throw ControlError(code: "bad-request", message: "timeoutMs must be 10...5000")
        }
        let configured = Set(settings.boards.map { Int($0.address) })
        var boards: [JSONValue] = []
        for address in first...last {
            let answer: BoardProbe
            do throws(HALError) {
                answer = try await bus.probe(address: UInt8(address), timeout: .milliseconds(timeoutMs))
            } catch {
                throw ControlError(code: "bus-unavailable", message: "bus \(id): \(error)")
            }
            guard answer.sensorBits != nil || configured.contains(address) else { continue }
            boards.append([
                "address": .int(Int64(address)), "configured": .bool(configured.contains(address)),
                "answered": .bool(answer.sensorBits != nil),
                "locks": answer.lockBits.map { .string(Self.bitText($0)) } ?? .null,
                "sensors": answer.sensorBits.map { .string(Self.bitText($0)) } ?? .null,
                "fault": answer.fault.map { .string($0.description) } ?? .null,
            ])
        }
        return [
            "bus": .string(id), "protocol": .string(settings.protocolName), "port": .string(settings.port),
            "profile": settings.profileName.map { .string($0) } ?? .null,
            "lockReleasedWhenSet": .bool(settings.boardProtocol.lockReleasedWhenSet),
            "sensorOpenWhenSet": .bool(settings.boardProtocol.sensorOpenWhenSet),
            "from": .int(Int64(first)), "to": .int(Int64(last)), "boards": .array(boards),
        ]
    }

    /// `1` and `0` per channel, channel 1 first.
    static func bitText(_ bits: [Bool]) -> String {
        String(bits.map { $0 ? "1" : "0" })
    }

    func busStatus(_ request: ControlRequest) async throws(ControlError) -> JSONValue {
        let only = request.optionalString("bus")
        if let only, site.configuration.bus(only) == nil {
            throw ControlError(code: "unknown-device", message: "no bus \"\(only)\"")
        }
        var buses: [JSONValue] = []
        for settings in site.configuration.buses where only == nil || settings.id == only {
            buses.append(await busEntry(settings))
        }
        return ["buses": .array(buses)]
    }

    /// The bus and each of its boards as `status` lists devices: the state their events last gave.
    func busStatusLines(_ settings: BusSettings) -> [JSONValue] {
        let ids = [settings.id] + settings.boards.map { "\(settings.id)/\($0.address)" }
        return ids.enumerated().map { index, id in
            let state = site.hub.state(of: id)
            return [
                "id": .string(id), "kind": .string(index == 0 ? "lock-bus" : "lock-board"),
                "state": .string(state.state), "detail": .string(state.detail),
            ]
        }
    }

    /// One bus with its boards' health, as `bus.status` and `devices` show it.
    func busEntry(_ settings: BusSettings) async -> JSONValue {
        let state = site.hub.state(of: settings.id)
        let bus = site.registry.bus(settings.id)
        let health = await bus?.health() ?? []
        let boards = health.map { board -> JSONValue in
            [
                "address": .int(Int64(board.address)), "state": .string(board.state.rawValue),
                "faults": .int(Int64(board.faults)), "lastFault": board.lastFault.map { .string($0) } ?? .null,
            ]
        }
        return [
            "id": .string(settings.id), "kind": "lock-bus", "protocol": .string(settings.protocolName),
            "port": .string(settings.port), "connected": .bool(await bus?.isConnected ?? false),
            "state": .string(state.state), "events": .int(Int64(state.events)), "faults": .int(Int64(state.faults)),
            "boards": .array(boards),
        ]
    }
}
