import Devices
import Events
import Uplink

/// Carries out upstream commands on the devices: `ptl.light`, `ptl.clear`, `locker.assign`, `locker.release`,
/// `locker.open`, `device.reset`. Failures carry the device's stable error code.
public struct CommandRouter: CommandTarget {
    let registry: DeviceRegistry
    let kinds: [String: String]

    public init(registry: DeviceRegistry, configuration: SiteConfiguration) {
        self.registry = registry
        kinds = Dictionary(configuration.devices.map { ($0.id, $0.kind) }, uniquingKeysWith: { first, _ in first })
    }

    public func execute(_ command: Command) async -> Result<JSONValue?, CommandFailure> {
        guard let kind = kinds[command.device] else {
            return .failure(
                CommandFailure(code: "unknown-device", detail: "no device \"\(command.device)\" on this controller")
            )
        }
        let args = command.args
        func string(_ key: String) -> String? { args[key]?.stringValue }
        func require(_ key: String) throws(CommandFailure) -> String {
            guard let value = string(key), !value.isEmpty else {
                throw CommandFailure(code: "bad-args", detail: "\(command.command.rawValue) needs \"\(key)\"")
            }
            return value
        }
        do throws(CommandFailure) {
            switch command.command {
            case .deviceReset:
                guard registry.restart(command.device) else {
                    throw CommandFailure(code: "unknown-device", detail: command.device)
                }
                return .success(nil)
            case .ptlLight, .ptlClear:
                guard kind == "pick-to-light" else { throw wrongKind(command, kind) }
                let slot = command.command == .ptlLight ? try require("slot") : ""
                guard let module = registry.pickToLight(command.device) else { throw unavailable(command) }
                do throws(PickToLightError) {
                    if command.command == .ptlLight {
                        try await module.light(slot: slot, color: string("color") ?? "green", task: string("task"))
                    } else {
                        try await module.clear(slot: string("slot"))
                    }
                } catch {
                    throw CommandFailure(code: error.code, detail: error.description)
                }
                return .success(nil)
            case .lockerAssign, .lockerRelease, .lockerOpen:
                guard kind == "locker-bank" else { throw wrongKind(command, kind) }
                let door = try require("door")
                let order = command.command == .lockerAssign ? try require("order") : ""
                let pickupCode = command.command == .lockerAssign ? try require("pickupCode") : ""
                guard let bank = registry.lockerBank(command.device) else { throw unavailable(command) }
                do throws(LockerError) {
                    switch command.command {
                    case .lockerAssign:
                        try await bank.assign(door: door, order: order, pickupCode: pickupCode)
                    case .lockerRelease:
                        try await bank.release(door: door)
                    default:
                        let reason = string("reason").map(UnlockReason.init(rawValue:)) ?? .remote
                        try await bank.open(door: door, reason: reason)
                    }
                } catch {
                    throw CommandFailure(code: error.code, detail: error.description)
                }
                return .success(nil)
            }
        } catch {
            return .failure(error)
        }
    }

    private func wrongKind(_ command: Command, _ kind: String) -> CommandFailure {
        CommandFailure(
            code: "wrong-device-kind",
            detail: "\(command.command.rawValue) does not apply to \(command.device), a \(kind)"
        )
    }

    private func unavailable(_ command: Command) -> CommandFailure {
        CommandFailure(code: "device-unavailable", detail: "\(command.device) is not running (see floorctl status)")
    }
}
