import Devices
import Events
import Glibc
import HALLinux
import HALSimulated
import IOEngine
import Outbox
import Uplink

/// The daemon's answers on the control socket (`floorctl`): status, devices, events, outbox, locker and
/// pick-to-light operations, device resets, and input simulation on a simulated site.
struct SiteControl: ControlHandler {
    let site: Site

    func handle(_ request: ControlRequest) async -> ControlReply {
        do throws(ControlError) {
            switch request.op {
            case "status": return .result(await status())
            case "devices": return .result(await devices())
            case "outbox": return .result(await outbox())
            case "events": return try await events(request)
            case "locker.open", "locker.status", "locker.test", "locker.unlock-keypad":
                return .result(try await locker(request))
            case "locker.probe": return .result(try await probe(request))
            case "bus.status": return .result(try await busStatus(request))
            case "ptl.light", "ptl.clear", "ptl.test", "ptl.status": return .result(try await pickToLight(request))
            case "simulate.scan", "simulate.tag", "simulate.press", "simulate.door":
                return .result(try await simulate(request))
            case "device.reset":
                // Unsigned on purpose: the control socket is local and its peers are vetted by SO_PEERCRED.
                let id = try request.string("device")
                guard site.registry.restart(id) else {
                    throw ControlError(code: "unknown-device", message: "no running device \"\(id)\"")
                }
                return .result(["device": .string(id), "restarted": true])
            case "command":
                guard let command = request.args["command"] else {
                    throw ControlError(code: "bad-request", message: "command needs \"command\" (the command object)")
                }
                let result = await site.runCommand(Array(command.jsonText.utf8))
                return .result(result.eventData)
            default:
                throw ControlError(code: "unknown-op", message: "no operation \"\(request.op)\"")
            }
        } catch {
            return .failure(error)
        }
    }

    private func status() async -> JSONValue {
        let outbox = await self.outbox()
        var uplinks: [JSONValue] = []
        let head = await site.outbox.status.lastSeq
        if let mqtt = site.mqtt {
            let status = await mqtt.status()
            uplinks.append([
                "name": "mqtt", "state": .string("\(status.state)"),
                "lag": .int(Int64(clamping: status.lag(outboxHead: head))),
                "lastError": status.lastError.map { .string($0) } ?? .null,
            ])
        }
        if let webhook = site.webhook {
            let status = await webhook.status
            uplinks.append([
                "name": "webhook", "state": .string("\(status.state)"),
                "lag": .int(Int64(clamping: head &- min(head, status.acknowledgedSeq))),
                "lastError": status.lastError.map { .string($0) } ?? .null,
            ])
        }
        let devices = site.configuration.devices.map { device -> JSONValue in
            let state = site.hub.state(of: device.id)
            return [
                "id": .string(device.id), "kind": .string(device.kind), "state": .string(state.state),
                "detail": .string(state.detail),
            ]
        }
        let buses = site.configuration.buses.flatMap(busStatusLines)
        return [
            "site": .string(site.configuration.site),
            "controller": .string(site.configuration.controller),
            "version": .string(FloorlinkVersion.current),
            "hardware": .string(site.configuration.hardware.rawValue),
            "config": .string(Self.absolutePath(site.configuration.sourcePath)),
            "gpio": .string(gpioLibrary),
            "uptimeS": .int((EventTime.now().millisecondsSinceEpoch - site.started.millisecondsSinceEpoch) / 1000),
            "devices": .array(devices + buses),
            "outbox": outbox,
            "uplinks": .array(uplinks),
        ]
    }

    /// `path` resolved against the daemon's working directory, so that `floorctl doctor` run elsewhere finds it.
    static func absolutePath(_ path: String) -> String {
        guard !path.isEmpty, let resolved = realpath(path, nil) else { return path }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// The libgpiod in use (`libgpiod 2.2.1 (v2 API)`), or why there is none; `simulated` on simulated hardware.
    private var gpioLibrary: String {
        guard site.configuration.hardware != .simulated else { return "simulated" }
        switch LinuxGPIOBackend().library {
        case .success(let library): return library.description
        case .failure(let error): return "none: \(error)"
        }
    }

    private func devices() async -> JSONValue {
        let list = site.configuration.devices.map { device -> JSONValue in
            let state = site.hub.state(of: device.id)
            var members: [(String, JSONValue)] = [("id", .string(device.id)), ("kind", .string(device.kind))]
            switch device {
            case .barcodeScanner(let settings): members.append(("port", .string(settings.port)))
            case .rfidReader(let settings): members.append(("port", .string(settings.port)))
            case .lockerBank(let bank) where !bank.busDoors.isEmpty:
                let buses = bank.busDoors.reduce(into: [String]()) { if !$0.contains($1.bus) { $0.append($1.bus) } }
                members.append(("port", .string(buses.joined(separator: ", "))))
                members.append(
                    ("doors", .array(bank.busDoors.map { .string("\($0.id)=\($0.bus)/\($0.board):\($0.channel)") }))
                )
            case .lockerBank(let bank):
                members.append(
                    ("pins", .array(bank.doors.flatMap { [.string($0.lock.name), .string($0.sensor.name)] }))
                )
            case .pickToLight(let module):
                members.append(
                    (
                        "pins",
                        .array(
                            module.slots.flatMap { slot in
                                slot.lights.values.map { JSONValue.string($0.name) } + [.string(slot.button.name)]
                            }
                        )
                    )
                )
            }
            members += [
                ("state", .string(state.state)), ("events", .int(Int64(state.events))),
                ("faults", .int(Int64(state.faults))),
            ]
            return .object(members)
        }
        var buses: [JSONValue] = []
        for bus in site.configuration.buses { buses.append(await busEntry(bus)) }
        return ["devices": .array(list + buses)]
    }

    private func outbox() async -> JSONValue {
        let status = await site.outbox.status
        let age = status.oldestUndeliveredTime.map {
            (EventTime.now().millisecondsSinceEpoch - $0.millisecondsSinceEpoch) / 1000
        }
        return [
            "depth": .int(Int64(clamping: status.depth)),
            "oldestUndeliveredAgeS": age.map { .int($0) } ?? .null,
            "usedBytes": .int(Int64(status.usedBytes)),
            "quotaBytes": .int(Int64(status.quotaBytes)),
            "lastSeq": .int(Int64(clamping: status.lastSeq)),
            "cursors": .object(
                status.cursors.keys.sorted().map { ($0, .int(Int64(clamping: status.cursors[$0] ?? 0))) }
            ),
            "refused": .int(Int64(site.hub.refusedCount)),
        ]
    }

    private func events(_ request: ControlRequest) async throws(ControlError) -> ControlReply {
        let types = try Self.typePatterns(request)
        let device = request.optionalString("device")
        let matches = { (event: Event) in
            EventTypePattern.any(types, match: event.type) && (device == nil || event.device == device)
        }
        let last = try Self.lastCount(request)
        if case .bool(true) = request.args["follow"] ?? .null {
            // Subscribed before the replay is read, so nothing falls between the stored events and the live ones.
            let live = await site.outbox.subscribe()
            // A resumed follow starts after what it showed; `last` (`events --follow -n N`) with the N newest
            // matches, as `journalctl -n N -f` does; else with what comes next.
            var after = try followStart(request)
            if after == nil, let last {
                let head = await site.outbox.status.lastSeq
                after =
                    (await recentMatches(last, head: head, matches: matches, filtered: !types.isEmpty || device != nil)
                    .first).map { $0.seq - 1 } ?? head
            }
            let outbox = site.outbox
            let (stream, continuation) = AsyncStream<JSONValue>.makeStream(bufferingPolicy: .bufferingNewest(1024))
            let forward = Task {
                var shown = after ?? 0
                if after != nil {
                    let head = await outbox.status.lastSeq
                    while shown < head {
                        let page = (try? await outbox.events(after: shown, limit: 1000)) ?? []
                        guard let last = page.last else { break }
                        for event in page where event.seq <= head && matches(event) {
                            if case .terminated = continuation.yield(event.json) { return }
                        }
                        shown = min(last.seq, head)
                    }
                }
                for await event in live where event.seq > shown && matches(event) {
                    if case .terminated = continuation.yield(event.json) { return }
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in forward.cancel() }
            return .stream(stream)
        }
        let head = await site.outbox.status.lastSeq
        let recent = await recentMatches(
            last ?? 20,
            head: head,
            matches: matches,
            filtered: !types.isEmpty || device != nil
        )
        return .result(["events": .array(recent.map(\.json))])
    }

    /// The `last` argument of `events`: 1...10000, nil when absent.
    static func lastCount(_ request: ControlRequest) throws(ControlError) -> Int? {
        guard let value = request.args["last"], value != .null else { return nil }
        guard let last = value.intValue, last > 0, last <= 10_000 else {
            throw ControlError(code: "bad-request", message: "\"last\" must be 1...10000")
        }
        return Int(last)
    }

    /// The newest `count` stored events up to `head` that `matches`, oldest first; a `filtered` search looks back
    /// 10,000 events to find them.
    private func recentMatches(
        _ count: Int,
        head: UInt64,
        matches: (Event) -> Bool,
        filtered: Bool
    ) async -> [Event] {
        let window = UInt64(filtered ? 10_000 : count)
        guard head > 0 else { return [] }
        let from = head > window ? head - window : 0
        let recent = (try? await site.outbox.events(after: from, limit: Int(window))) ?? []
        return Array(recent.filter { $0.seq <= head && matches($0) }.suffix(count))
    }

    /// The `after` of a resumed `events --follow`: the stored events after this seq are sent before the live ones.
    private func followStart(_ request: ControlRequest) throws(ControlError) -> UInt64? {
        guard let value = request.args["after"], value != .null else { return nil }
        guard let after = value.intValue, after >= 0 else {
            throw ControlError(code: "bad-request", message: "\"after\" must be a seq (a whole number, 0 or more)")
        }
        return UInt64(after)
    }

    /// The `type` argument of `events`: one pattern (a string) or several (an array of strings; an event matching
    /// any is shown); none selects every type.
    static func typePatterns(_ request: ControlRequest) throws(ControlError) -> [EventTypePattern] {
        let refusal = ControlError(
            code: "bad-request",
            message: "\"type\" must be an event type or prefix (scan, locker.*), or an array of them"
        )
        let texts: [String]
        switch request.args["type"] {
        case nil, .null?: return []
        case .string(let text)?: texts = [text]
        case .array(let items)?:
            texts = try items.map { item throws(ControlError) in
                guard let text = item.stringValue else { throw refusal }
                return text
            }
        default: throw refusal
        }
        let patterns = texts.map(EventTypePattern.init)
        guard !patterns.contains(where: { $0.text.isEmpty }) else { throw refusal }
        return patterns
    }

    private func locker(_ request: ControlRequest) async throws(ControlError) -> JSONValue {
        let id = try request.string("locker")
        guard let bank = site.registry.lockerBank(id) else {
            throw notRunning(id, kind: "locker-bank", for: request.op)
        }
        do {
            switch request.op {
            case "locker.open":
                let door = try request.string("door")
                try await bank.open(door: door, reason: "technician")
                return ["locker": .string(id), "door": .string(door)]
            case "locker.status":
                let doors = try await bank.status().map { door -> JSONValue in
                    [
                        "door": .string(door.door), "open": .bool(door.open), "locked": .bool(!door.energised),
                        "order": door.order.map { .string($0) } ?? .null, "deposited": .bool(door.deposited),
                    ]
                }
                let keypads = try await bank.keypads().map { pad -> JSONValue in
                    [
                        "keypad": .string(pad.keypad), "failures": .int(Int64(pad.failures)),
                        "wrongCodes24h": .int(Int64(pad.recentWrongCodes)),
                        "lockedUntil": pad.lockedUntil.map { .string($0.description) } ?? .null,
                        "blocked": .bool(pad.blocked),
                    ]
                }
                return ["doors": .array(doors), "keypads": .array(keypads)]
            case "locker.unlock-keypad":
                let keypad = try request.string("keypad")
                try await bank.unblockKeypad(keypad)
                site.logger.notice("keypad cleared by a technician", ["locker": id, "keypad": keypad])
                return ["locker": .string(id), "keypad": .string(keypad), "unblocked": true]
            default:
                return try await lockerTest(bank)
            }
        } catch let error as LockerError {
            throw ControlError(code: error.code, message: error.description)
        } catch {
            throw Self.controlError(error)
        }
    }

    /// Why `op` found no running device `id` of `kind`: `unknown-device` when the site has no device by that id,
    /// `wrong-device-kind` when it is another kind (`locker open ptl-1 A1`), `device-unavailable` when it is
    /// configured but not running now.
    private func notRunning(_ id: String, kind: String, for op: String) -> ControlError {
        guard let device = site.configuration.devices.first(where: { $0.id == id }) else {
            let known = site.configuration.devices.filter { $0.kind == kind }.map(\.id)
            let hint = known.isEmpty ? "this site has no \(kind)" : "\(kind) devices: \(known.joined(separator: ", "))"
            return ControlError(code: "unknown-device", message: "no device \"\(id)\" (\(hint))")
        }
        guard device.kind == kind else {
            return ControlError(
                code: "wrong-device-kind",
                message: "\(op) does not apply to \(id), a \(device.kind) (it needs a \(kind))"
            )
        }
        return ControlError(code: "device-unavailable", message: "\(id) is not running (see floorctl status)")
    }

    /// The error as a control-socket failure (argument errors pass through unchanged).
    static func controlError(_ error: any Error) -> ControlError {
        (error as? ControlError) ?? ControlError(code: "internal", message: "\(error)")
    }

    /// Pulses every lock in turn and checks the door sensor saw the door go from closed to open, the way a
    /// technician would: a door already open before its unlock fails without being unlocked (its sensor could not
    /// tell a working lock from a stuck one), and so does one whose sensor never reports it open.
    private func lockerTest(_ bank: LockerBank) async throws(LockerError) -> JSONValue {
        var results: [JSONValue] = []
        for door in try await bank.status() {
            let outcome: (pass: Bool, detail: String)
            if try await bank.status().first(where: { $0.door == door.door })?.open == true {
                outcome = (
                    false,
                    "door open before the test: a stuck sensor or an unlatched door; close it and test again"
                )
            } else {
                try await bank.open(door: door.door, reason: "technician")
                var opened = false
                for _ in 0..<30 {
                    await IOLoop.sleep(for: .milliseconds(100))
                    if try await bank.status().first(where: { $0.door == door.door })?.open == true {
                        opened = true
                        break
                    }
                }
                outcome =
                    opened
                    ? (true, "lock released and the door sensor saw it go from closed to open")
                    : (false, "no door-open seen within 3 s of the unlock: check the lock and sensor wiring")
            }
            results.append(["door": .string(door.door), "pass": .bool(outcome.pass), "detail": .string(outcome.detail)])
        }
        return ["doors": .array(results)]
    }

    private func pickToLight(_ request: ControlRequest) async throws(ControlError) -> JSONValue {
        let id = try request.string("device")
        guard let module = site.registry.pickToLight(id) else {
            throw notRunning(id, kind: "pick-to-light", for: request.op)
        }
        do {
            switch request.op {
            case "ptl.light":
                try await module.light(
                    slot: try request.string("slot"),
                    color: request.optionalString("color") ?? "green",
                    task: request.optionalString("task")
                )
            case "ptl.clear":
                try await module.clear(slot: request.optionalString("slot"))
            case "ptl.status":
                return Self.pickToLightStatus(await module.status())
            default:
                return try await pickToLightTest(module, request)
            }
        } catch let error as PickToLightError {
            throw ControlError(code: error.code, message: error.description)
        } catch {
            throw Self.controlError(error)
        }
        return ["device": .string(id)]
    }

    /// The longest a button test waits for one slot's button (`timeoutMs`, 10 s by default).
    static let buttonTestTimeouts = 100...600_000

    /// `ptl.test`: with `lightsOnly`, the lamp cycle; else each slot lit in turn until its button is pressed or
    /// `timeoutMs` passes, with a pass or fail per slot.
    private func pickToLightTest(
        _ module: PickToLight,
        _ request: ControlRequest
    ) async throws(ControlError) -> JSONValue {
        let id = module.configuration.id
        if case .bool(true) = request.args["lightsOnly"] ?? .null {
            await module.test()
            return ["device": .string(id), "tested": true, "lightsOnly": true]
        }
        var timeoutMs = 10_000
        if let given = request.args["timeoutMs"] {
            guard let value = given.intValue.map(Int.init), Self.buttonTestTimeouts.contains(value) else {
                throw ControlError(code: "bad-request", message: "\"timeoutMs\" must be 100...600000")
            }
            timeoutMs = value
        }
        let results = await module.testButtons(timeout: .milliseconds(timeoutMs))
        let slots = results.map { result -> JSONValue in
            ["slot": .string(result.slot), "pass": .bool(result.passed), "detail": .string(result.detail)]
        }
        return ["device": .string(id), "timeoutMs": .int(Int64(timeoutMs)), "slots": .array(slots)]
    }

    /// `ptl.status`: each slot lit or dark, with its task and colour, and whether a test is running.
    static func pickToLightStatus(_ status: PickToLightStatus) -> JSONValue {
        let slots = status.slots.map { slot -> JSONValue in
            [
                "slot": .string(slot.id), "lit": .bool(slot.lit), "task": slot.task.map { .string($0) } ?? .null,
                "color": slot.color.map { .string($0) } ?? .null,
                "outputs": .array(slot.outputs.map { .string($0) }),
            ]
        }
        return [
            "device": .string(status.id), "running": .bool(status.running), "testing": .bool(status.testing),
            "testingSlot": status.testingSlot.map { .string($0) } ?? .null, "slots": .array(slots),
        ]
    }

    private func simulate(_ request: ControlRequest) async throws(ControlError) -> JSONValue {
        guard let hardware = site.simulated else {
            throw ControlError(code: "not-simulated", message: "this site runs real hardware (\"hardware\": \"linux\")")
        }
        let input = SimulatedInput(configuration: site.configuration, hardware: hardware)
        do {
            switch request.op {
            case "simulate.scan": try input.scan(device: try request.string("device"), text: try request.string("text"))
            case "simulate.tag": try input.tag(device: try request.string("device"), epcHex: try request.string("epc"))
            case "simulate.press":
                try await input.press(device: try request.string("device"), slot: try request.string("slot"))
            default:
                let state = try request.string("state")
                guard state == "open" || state == "closed" else {
                    throw ControlError(code: "bad-request", message: "state must be \"open\" or \"closed\"")
                }
                try input.door(
                    locker: try request.string("locker"),
                    door: try request.string("door"),
                    open: state == "open"
                )
            }
        } catch let error as SimulatedInput.Failure {
            throw ControlError(code: error.code, message: error.message)
        } catch {
            throw Self.controlError(error)
        }
        return ["simulated": .string(request.op)]
    }
}
