import Events

/// `status`, `devices`, `events` and `outbox`: what the daemon is doing.
enum DaemonCommands {
    static var status: Command {
        Command(
            "status",
            abstract: "Show the controller, its devices, the outbox and the uplinks.",
            options: [DaemonClient.socketOption, FloorctlCommands.jsonFlag]
        ) { context in
            let result = try await DaemonClient(context).call("status")
            if context.arguments.flag("json") {
                Console.line(result.jsonText)
            } else {
                Console.out(statusReport(result))
            }
            return .success
        }
    }

    /// The people output of `status`.
    static func statusReport(_ result: JSONValue) -> String {
        var header = KeyValueList()
        let hardware = result["hardware"].map { ", hardware \($0.display)" } ?? ""
        header.append(
            "controller",
            "\(result["site"].display)/\(result["controller"].display) "
                + "(floorlinkd \(result["version"].display)\(hardware))"
        )
        header.append("uptime", result["uptimeS"]?.number.map { Quantity.duration(seconds: $0) } ?? "-")
        if let gpio = result["gpio"]?.stringValue { header.append("gpio", gpio) }
        var devices = TextTable("DEVICE", "KIND", "STATE", "DETAIL")
        for device in result["devices"]?.elements ?? [] {
            devices.append([device["id"].display, device["kind"].display, device["state"].display, detail(device)])
        }
        var footer = KeyValueList()
        footer.append("outbox", outboxSummary(result["outbox"] ?? .null))
        let uplinks = result["uplinks"]?.elements ?? []
        if uplinks.isEmpty { footer.append("uplinks", "none configured (events stay in the outbox)") }
        for uplink in uplinks {
            var line = "\(uplink["name"].display) \(uplink["state"].display), lag \(uplink["lag"].display)"
            if let error = uplink["lastError"]?.stringValue, !error.isEmpty { line += ", last error: \(error)" }
            footer.append("uplink", line)
        }
        return header.rendered + "\n" + devices.rendered + "\n" + footer.rendered
    }

    private static func detail(_ device: JSONValue) -> String {
        guard let detail = device["detail"], detail != .null else { return "" }
        return detail.display == "-" ? "" : detail.display
    }

    /// `12 undelivered, oldest 4s, 1.2 MiB of 64.0 MiB, last seq 1234`.
    static func outboxSummary(_ outbox: JSONValue) -> String {
        var parts = ["\(outbox["depth"].display) undelivered"]
        if let age = outbox["oldestUndeliveredAgeS"]?.number {
            parts.append("oldest \(Quantity.duration(seconds: age))")
        }
        if let used = outbox["usedBytes"]?.number {
            let quota = outbox["quotaBytes"]?.number.map { " of \(Quantity.bytes($0))" } ?? ""
            parts.append("\(Quantity.bytes(used))\(quota)")
        }
        parts.append("last seq \(outbox["lastSeq"].display)")
        return parts.joined(separator: ", ")
    }

    static var devices: Command {
        Command(
            "devices",
            abstract: "List devices with kind, port or pins, state and counters.",
            options: [DaemonClient.socketOption, FloorctlCommands.jsonFlag]
        ) { context in
            let result = try await DaemonClient(context).call("devices")
            if context.arguments.flag("json") {
                Console.line(result.jsonText)
                return .success
            }
            var table = TextTable("DEVICE", "KIND", "PORT/PINS", "STATE", "EVENTS", "FAULTS")
            for device in result["devices"]?.elements ?? [] {
                let wiring = device["port"]?.display ?? device["pins"].display
                table.append([
                    device["id"].display, device["kind"].display, wiring, device["state"].display,
                    device["events"].display, device["faults"].display,
                ])
            }
            Console.out(table.rendered)
            return .success
        }
    }

    static var events: Command {
        Command(
            "events",
            abstract: "Print events, one JSON object per line.",
            discussion: "Without --follow, prints the most recent events (newest last) and exits; with --follow, "
                + "keeps printing new events until interrupted. When the daemon stops or reloads, --follow says "
                + "so on stderr, waits for it and resumes after the last event shown, like journalctl -f. A --type "
                + "is an event type (scan, locker.door.opened) or a prefix: locker.* (or locker) is every locker "
                + "event; repeat --type for several, an event matching any of them is shown.",
            options: [
                .flag("follow", short: "f", "Keep printing new events as they happen."),
                .flag("no-wait", "With --follow, exit (status 69) when the daemon stops instead of waiting for it."),
                .repeatable(
                    "type",
                    "Only events of this type or prefix (e.g. scan, tag.read, locker.*); may be repeated."
                ),
                .option("device", "Only events from this device."),
                .option(
                    "last",
                    short: "n",
                    value: "n",
                    kind: .integer(1...10_000),
                    "Print the last n events (20 by default); with --follow, first."
                ),
                DaemonClient.socketOption,
                .flag("json", "Accepted for symmetry; events are always JSON lines."),
            ]
        ) { context in
            let arguments = context.arguments
            var args: [(String, JSONValue)] = [("follow", .bool(arguments.flag("follow")))]
            let types = arguments.values("type")
            if types.count == 1 {
                args.append(("type", .string(types[0])))
            } else if types.count > 1 {
                args.append(("type", .array(types.map(JSONValue.string))))
            }
            if let device = arguments.option("device") { args.append(("device", .string(device))) }
            if let last = arguments.integer("last") { args.append(("last", .int(Int64(last)))) }
            let client = DaemonClient(context)
            if arguments.flag("follow") {
                try await client.followEvents(.object(args), wait: !arguments.flag("no-wait")) {
                    Console.line($0.jsonText)
                }
                return .success
            }
            let result = try await client.call("events", .object(args))
            for event in result["events"]?.elements ?? [] { Console.line(event.jsonText) }
            return .success
        }
    }

    static var outbox: Command {
        Command(
            "outbox",
            abstract: "Show the outbox: depth, oldest undelivered age, bytes used and each uplink's cursor.",
            options: [DaemonClient.socketOption, FloorctlCommands.jsonFlag]
        ) { context in
            let result = try await DaemonClient(context).call("outbox")
            if context.arguments.flag("json") {
                Console.line(result.jsonText)
                return .success
            }
            var summary = KeyValueList()
            summary.append("depth", "\(result["depth"].display) undelivered")
            summary.append(
                "oldest undelivered",
                result["oldestUndeliveredAgeS"]?.number.map { Quantity.duration(seconds: $0) } ?? "-"
            )
            if let used = result["usedBytes"]?.number {
                var text = Quantity.bytes(used)
                if let quota = result["quotaBytes"]?.number, quota > 0 {
                    text += " of \(Quantity.bytes(quota)) (\(Int((used / quota * 100).rounded()))%)"
                }
                summary.append("used", text)
            }
            summary.append("last seq", result["lastSeq"].display)
            var output = summary.rendered
            if case .object(let cursors)? = result["cursors"], !cursors.isEmpty {
                var table = TextTable("UPLINK", "CURSOR", "BEHIND")
                for (uplink, cursor) in cursors {
                    let behind = zip(result["lastSeq"]?.number, cursor.number).map { String(Int64($0 - $1)) }
                    table.append([uplink, cursor.display, behind ?? "-"])
                }
                output += "\n" + table.rendered
            }
            Console.out(output)
            return .success
        }
    }
}

/// Both values, when both are present.
private func zip<A, B>(_ a: A?, _ b: B?) -> (A, B)? {
    guard let a, let b else { return nil }
    return (a, b)
}
