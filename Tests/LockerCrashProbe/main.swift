import Devices
import Events
import Glibc
import HAL
import HALSimulated

// A locker bank of 16 doors on a simulated chip with its state file in <stateDir>; the crash test kills it with
// SIGKILL at random points and then checks what it acknowledged.
//
//   LockerCrashProbe <stateDir> run <round>   assigns and deposits every empty door, one after the other, writing
//                                             "A door order" once the assignment is acknowledged and
//                                             "D door order" once locker.deposited is out; then idles
//   LockerCrashProbe <stateDir> verify        restores the bank, writes "S door order deposited" per assigned door,
//                                             tries each deposited door's code twice ("O door" when the first try
//                                             opened that door, "X door" when the second was refused as
//                                             wrong-code), releases every door and writes "done"
//
// Each line is one write(2), so a kill never leaves an acknowledgement in a buffer. The pickup code of order
// ORD-<round>-<k> is 9, the round in 4 digits and k in 2: unique among the assigned doors.
let arguments = CommandLine.arguments
guard arguments.count >= 3, arguments[2] == "verify" || (arguments[2] == "run" && arguments.count == 4) else {
    report("usage: LockerCrashProbe <stateDir> run <round> | verify\n", to: 2)
    exit(64)
}
let doors = (0..<16).map { "D\($0 < 10 ? "0" : "")\($0)" }

/// Writes `line` with a single write(2) to descriptor `fd`.
func report(_ line: String, to fd: Int32 = 1) {
    let bytes = Array(line.utf8)
    _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
}

/// The pickup code of an order `ORD-<round>-<k>`.
func code(of order: String) -> String {
    let parts = order.split(separator: "-")
    let round = Int(parts.count == 3 ? parts[1] : "") ?? 0
    let door = Int(parts.count == 3 ? parts[2] : "") ?? 0
    let digits = String(round % 10_000)
    let doorDigits = String(door)
    return "9" + String(repeating: "0", count: 4 - digits.count) + digits
        + String(repeating: "0", count: 2 - doorDigits.count) + doorDigits
}

/// Forwards `locker.deposited` door ids to whoever waits.
final class DepositSink: EventSink {
    let deposits: AsyncStream<String>
    private let continuation: AsyncStream<String>.Continuation

    init() {
        (deposits, continuation) = AsyncStream.makeStream()
    }

    func emit(_ type: EventType, device: String, data: JSONValue) async -> Bool {
        if type == .lockerDeposited, let door = data["door"]?.stringValue { continuation.yield(door) }
        return true
    }
}

let clock = SystemClock()
let chip = SimulatedGPIOChip(
    name: "gpiochip0",
    label: "probe",
    lineNames: doors.flatMap { ["\($0)-lock", "\($0)-door"] },
    clock: clock
)
let sink = DepositSink()
let bank: LockerBank
do {
    let io = try GPIODoorIO(
        wiring: doors.enumerated().map { index, door in
            DoorWiring(
                door: door,
                lock: GPIOPin(chip: chip, offset: 2 * index),
                sensor: GPIOPin(chip: chip, offset: 2 * index + 1)
            )
        },
        clock: clock
    )
    bank = LockerBank(
        configuration: LockerBankConfiguration(
            id: "lockers-P",
            doors: doors,
            pulse: .milliseconds(200),
            maxConcurrentUnlocks: 16,
            debounce: .zero
        ),
        io: io,
        clock: clock,
        events: sink,
        store: LockerStateFile(directory: arguments[1], locker: "lockers-P", clock: clock)
    )
} catch {
    report("E \(error)\n", to: 2)
    exit(1)
}
let running = Task { await bank.run() }

do throws(LockerError) {
    let status = try await bank.status()
    if arguments[2] == "run" {
        let round = Int(arguments[3]) ?? 0
        var deposits = sink.deposits.makeAsyncIterator()
        for (index, door) in doors.enumerated() where status[index].order == nil {
            let order = "ORD-\(round)-\(index)"
            try await bank.assign(door: door, order: order, pickupCode: code(of: order))
            report("A \(door) \(order)\n")
            try await bank.open(door: door, reason: .deposit)
            chip.drive(2 * index + 1, high: true)
            chip.drive(2 * index + 1, high: false)
            while let deposited = await deposits.next(), deposited != door {}
            report("D \(door) \(order)\n")
        }
        while true { try? await Task.sleep(for: .seconds(60)) }
    }
    for door in status where door.order != nil {
        report("S \(door.door) \(door.order ?? "") \(door.deposited ? 1 : 0)\n")
    }
    for door in status where door.deposited {
        let pickup = code(of: door.order ?? "")
        if (try? await bank.submitCode(pickup, keypad: "verify-\(door.door)")) == door.door {
            report("O \(door.door)\n")
        }
        do throws(LockerError) {
            try await bank.submitCode(pickup, keypad: "verify-\(door.door)")
        } catch {
            if error.code == "wrong-code" { report("X \(door.door)\n") }
        }
    }
    for door in status where door.order != nil {
        try await bank.release(door: door.door)
    }
    report("done\n")
} catch {
    report("E \(error)\n", to: 2)
    exit(1)
}
running.cancel()
await running.value
