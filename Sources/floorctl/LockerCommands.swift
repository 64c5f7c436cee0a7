import Events

/// `locker open|status|test|unlock-keypad`: one locker bank's doors and keypads.
enum LockerCommands {
    static var group: Command {
        Command(
            "locker",
            abstract: "Open doors, show door states and test a locker bank.",
            subcommands: [open, status, test, unlockKeypad, LockerProbeCommand.command]
        )
    }

    private static let lockerArgument = ArgumentSpec("locker", "The locker bank's device id (e.g. lockers-A).")

    static var open: Command {
        Command(
            "open",
            abstract: "Unlock one door.",
            arguments: [lockerArgument, ArgumentSpec("door", "The door id (e.g. A1).")],
            options: [DaemonClient.socketOption, FloorctlCommands.jsonFlag]
        ) { context in
            let locker = context.arguments.argument("locker") ?? ""
            let door = context.arguments.argument("door") ?? ""
            let result = try await DaemonClient(context).call(
                "locker.open",
                ["locker": .string(locker), "door": .string(door)]
            )
            Console.line(context.arguments.flag("json") ? result.jsonText : "Unlocked door \(door) of \(locker).")
            return .success
        }
    }

    static var status: Command {
        Command(
            "status",
            abstract: "Show each door: open, locked, assigned order, deposited.",
            discussion: "Then each keypad (code reader) that entered wrong codes: those since its last good code, "
                + "those in the last 24 hours, the end of its lock-out as a UTC time, and whether it is blocked "
                + "until 'floorctl locker unlock-keypad' clears it.",
            arguments: [lockerArgument],
            options: [DaemonClient.socketOption, FloorctlCommands.jsonFlag]
        ) { context in
            let locker = context.arguments.argument("locker") ?? ""
            let result = try await DaemonClient(context).call("locker.status", ["locker": .string(locker)])
            if context.arguments.flag("json") {
                Console.line(result.jsonText)
                return .success
            }
            var table = TextTable("DOOR", "OPEN", "LOCKED", "ORDER", "DEPOSITED")
            for door in result["doors"]?.elements ?? [] {
                table.append([
                    door["door"].display, door["open"].display, door["locked"].display, door["order"].display,
                    door["deposited"].display,
                ])
            }
            var text = table.rendered
            let keypads = result["keypads"]?.elements ?? []
            if !keypads.isEmpty {
                var keypadTable = TextTable("KEYPAD", "WRONG CODES", "LAST 24 H", "LOCKED OUT UNTIL (UTC)", "BLOCKED")
                for pad in keypads {
                    keypadTable.append([
                        pad["keypad"].display, pad["failures"].display, pad["wrongCodes24h"].display,
                        pad["lockedUntil"].display, pad["blocked"].display,
                    ])
                }
                text += "\n" + keypadTable.rendered
            }
            Console.out(text)
            return .success
        }
    }

    static var unlockKeypad: Command {
        Command(
            "unlock-keypad",
            abstract: "Clear a keypad blocked by its wrong-code budget.",
            discussion:
                "A keypad (the bank's code reader) that took wrongCodeBudget wrong pickup codes within 24 hours "
                + "refuses every code until a technician clears it; this forgets its wrong codes. Exits 1 when the "
                + "keypad is not blocked.",
            arguments: [lockerArgument, ArgumentSpec("keypad", "The keypad id (the code reader's device id).")],
            options: [DaemonClient.socketOption, FloorctlCommands.jsonFlag]
        ) { context in
            let locker = context.arguments.argument("locker") ?? ""
            let keypad = context.arguments.argument("keypad") ?? ""
            let result = try await DaemonClient(context).call(
                "locker.unlock-keypad",
                ["locker": .string(locker), "keypad": .string(keypad)]
            )
            Console.line(
                context.arguments.flag("json") ? result.jsonText : "Cleared keypad \(keypad) of \(locker)."
            )
            return .success
        }
    }

    static var test: Command {
        Command(
            "test",
            abstract: "Cycle every lock and check its door sensor.",
            discussion: "Each door is unlocked in turn and passes when its sensor saw it closed before the unlock "
                + "and open after it (a released lock lets its door spring open). A door already open fails without "
                + "being unlocked: close it and test again. Exits 1 when any door fails.",
            arguments: [lockerArgument],
            options: [DaemonClient.socketOption, FloorctlCommands.jsonFlag]
        ) { context in
            let locker = context.arguments.argument("locker") ?? ""
            let result = try await DaemonClient(context).call(
                "locker.test",
                ["locker": .string(locker)],
                timeout: .seconds(120)
            )
            let doors = result["doors"]?.elements ?? []
            let failed = doors.filter { $0["pass"] != .bool(true) }.count
            if context.arguments.flag("json") {
                Console.line(result.jsonText)
            } else {
                var table = TextTable("DOOR", "RESULT", "DETAIL")
                for door in doors {
                    let detail = door["detail"]?.stringValue ?? ""
                    table.append([door["door"].display, door["pass"] == .bool(true) ? "PASS" : "FAIL", detail])
                }
                Console.out(table.rendered + "\n\(doors.count - failed) of \(doors.count) doors passed.\n")
            }
            return failed == 0 ? .success : .failure
        }
    }
}
