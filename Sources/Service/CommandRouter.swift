import Devices
import Events
import Uplink

/// Carries out upstream commands on the devices: `ptl.light`, `ptl.clear`, `locker.assign`, `locker.release`,
/// `locker.open`, `device.reset`; and `events.replay` (device `"controller"`) on the MQTT uplink. Failures carry
/// the device's stable error code.
public struct CommandRouter: CommandTarget {
    /// The device an `events.replay` names: the controller itself, as on its own events.
    public static let controllerDevice = "controller"

    let registry: DeviceRegistry
    let kinds: [String: String]
    let replayer: @Sendable () -> (any EventReplayer)?

    /// A router for the devices of `configuration` in `registry`; `replayer` finds what carries out
    /// `events.replay` (the MQTT uplink, made after the router; nil without one).
    public init(
        registry: DeviceRegistry,
        configuration: SiteConfiguration,
        replayer: @escaping @Sendable () -> (any EventReplayer)? = { nil }
    ) {
        self.registry = registry
        self.replayer = replayer
        kinds = Dictionary(configuration.devices.map { ($0.id, $0.kind) }, uniquingKeysWith: { first, _ in first })
    }

    public func execute(_ command: Command) async -> Result<JSONValue?, CommandFailure> {
        if command.command == .eventsReplay { return await replay(command) }
        guard let kind = kinds[command.device] else {
            return .failure(
                CommandFailure(code: "unknown-device", detail: "no device \"\(command.device)\" on this controller")
            )
        }
        let args = command.args
        func string(_ key: String) -> String? { args[key]?.stringValue }
        // The required arguments come from the table `floorctl schema` prints (`CommandName.arguments`).
        func requireArguments() throws(CommandFailure) {
            for argument in command.command.arguments where argument.requirement == .required {
                guard let value = string(argument.name), !value.isEmpty else {
                    throw CommandFailure(
                        code: "bad-args",
                        detail: "\(command.command.rawValue) needs \"\(argument.name)\""
                    )
                }
            }
        }
        do throws(CommandFailure) {
            switch command.command {
            case .eventsReplay:
                return await replay(command)
            case .deviceReset:
                try requireArguments()
                guard registry.restart(command.device) else {
                    throw CommandFailure(code: "unknown-device", detail: command.device)
                }
                return .success(nil)
            case .ptlLight, .ptlClear:
                guard kind == "pick-to-light" else { throw wrongKind(command, kind) }
                try requireArguments()
                let slot = string("slot") ?? ""
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
                try requireArguments()
                let door = string("door") ?? ""
                let order = string("order") ?? ""
                let code = command.command == .lockerAssign ? try pickupCode(args) : .clear("")
                guard let bank = registry.lockerBank(command.device) else { throw unavailable(command) }
                do throws(LockerError) {
                    switch command.command {
                    case .lockerAssign:
                        switch code {
                        case .clear(let code): try await bank.assign(door: door, order: order, pickupCode: code)
                        case .digest(let digest):
                            try await bank.assign(door: door, order: order, pickupCodeDigest: digest)
                        }
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

    /// `events.replay`: the range is checked first (a stranger's garbage is `bad-args` and changes nothing),
    /// then the device, then the uplink does the work.
    private func replay(_ command: Command) async -> Result<JSONValue?, CommandFailure> {
        do throws(CommandFailure) {
            let range = try EventReplayRange(arguments: command.args)
            guard command.device == Self.controllerDevice else {
                throw CommandFailure(
                    code: "unknown-device",
                    detail: "events.replay addresses the controller itself: send it with \"device\":\"controller\""
                )
            }
            guard let replayer = replayer() else {
                throw CommandFailure(
                    code: "no-mqtt-uplink",
                    detail: "events.replay re-publishes on MQTT, and this controller has no uplinks.mqtt"
                )
            }
            return try await replayer.replay(range).result
        } catch {
            return .failure(error)
        }
    }

    private enum PickupCode {
        case clear(String)
        case digest(String)
    }

    /// `locker.assign` carries exactly one of `pickupCode` (hashed here) and `pickupCodeDigest` (hashed upstream).
    private func pickupCode(_ args: JSONValue) throws(CommandFailure) -> PickupCode {
        switch (args["pickupCode"], args["pickupCodeDigest"]) {
        case (.string(let code)?, nil) where !code.isEmpty: return .clear(code)
        case (nil, .string(let digest)?) where !digest.isEmpty: return .digest(digest)
        case (.some, .some):
            throw CommandFailure(
                code: "bad-args",
                detail: "locker.assign takes pickupCode or pickupCodeDigest, not both"
            )
        default:
            throw CommandFailure(
                code: "bad-args",
                detail: "locker.assign needs \"pickupCode\" or \"pickupCodeDigest\" (a non-empty string)"
            )
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
