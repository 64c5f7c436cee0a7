import Devices
import Events
import Foundation
import HAL
import HALSimulated
import TestSupport
import Testing

/// A fresh scratch directory for one test's state files.
private func scratchDirectory() -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("locker-state-\(UUID())").path
}

/// The README's worked `pickupCodeDigest` example (the code 483920), read from README.md so that the document
/// and the bank cannot drift apart.
private func readmeDigestExample() throws -> String {
    let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("README.md")
    let text = try String(contentsOf: readme, encoding: .utf8)
    let marker = "\"pickupCodeDigest\":\""
    let start = try #require(text.range(of: marker), "README.md has no pickupCodeDigest example").upperBound
    let end = try #require(text[start...].firstIndex(of: "\""))
    return String(text[start..<end])
}

/// A1 deposited with its door cycled by a courier between 0 and 2 s; actions taken.
private func deposit(_ state: inout LockerBankState, door: String = "A1") {
    try? state.unlock(door: door, reason: .deposit, at: .zero)
    state.door(door, open: true, ms: 100)
    state.door(door, open: false, ms: 1000)
    state.expire(at: at(ms: 2000))
    _ = state.takeActions()
}

@Suite("Pickup-code digests from upstream")
struct PickupCodeDigestTests {
    @Test("the README's worked example opens its door with 483920, once, and no other code does")
    func readmeExample() throws {
        var state = LockerBankState(configuration: lockerConfiguration(), now: .zero)
        try state.assign(door: "A1", order: "ORD-1", pickupCodeDigest: try readmeDigestExample(), at: .zero)
        deposit(&state)
        #expect(throws: LockerError.wrongCode(attempts: 1)) {
            try state.pickupCode("483921", keypad: "k", at: at(ms: 3000))
        }
        #expect(try state.pickupCode("483920", keypad: "k", at: at(ms: 4000)) == "A1")
        #expect(throws: LockerError.wrongCode(attempts: 1)) {
            try state.pickupCode("483920", keypad: "k", at: at(ms: 5000))
        }
    }

    @Test(
        "the README's example is what `openssl kdf` computes for 483920 with that salt and iteration count",
        .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl"), "needs /usr/bin/openssl")
    )
    func readmeExampleMatchesOpenSSL() async throws {
        let fields = try readmeDigestExample().split(separator: "$").map(String.init)
        try #require(fields.count == 4)
        let output = scratchDirectory() + ".out"
        defer { unlink(output) }
        let openssl = try ChildProcess(
            "/usr/bin/openssl",
            [
                "kdf", "-keylen", "32", "-kdfopt", "digest:SHA256", "-kdfopt", "pass:483920", "-kdfopt",
                "hexsalt:\(fields[2])", "-kdfopt", "iter:\(fields[1])", "PBKDF2",
            ],
            outputPath: output
        )
        #expect(await openssl.waitForExit(timeout: .seconds(60)) == 0)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: output))
        let hex = String(decoding: bytes, as: UTF8.self).filter { $0.isHexDigit }.lowercased()
        #expect(hex == fields[3])
    }

    @Test(
        "the bank's own digest text is the format it accepts: a code hashed by the bank round-trips through records"
    )
    func ownDigestRoundTrips() throws {
        var state = LockerBankState(configuration: lockerConfiguration(), now: .zero)
        try state.assign(door: "A2", order: "ORD-2", pickupCode: "777888", at: .zero)
        let digest = try #require(state.records.orders.first?.codeDigest)
        #expect(digest.hasPrefix("pbkdf2-sha256$10000$"))
        var copy = LockerBankState(configuration: lockerConfiguration(), now: .zero)
        try copy.assign(door: "A1", order: "ORD-1", pickupCodeDigest: digest, at: .zero)
        deposit(&copy)
        #expect(try copy.pickupCode("777888", keypad: "k", at: at(ms: 3000)) == "A1")
    }

    struct BadDigest: CustomTestStringConvertible, Sendable {
        var text: String
        var complaint: String
        var testDescription: String { "\(text.prefix(40)) → \(complaint)" }
    }

    static let salt = "000102030405060708090a0b0c0d0e0f"
    static let hash = "c72d60e5f166083908f8f678bdfcab82379845e958f297aa4d1bddd0e6b6d9e5"

    /// Built apart from the `@Test`: string interpolation inside its arguments crashes Swift 6.0.3.
    static let badDigests: [BadDigest] = [
        BadDigest(text: "483920", complaint: "got 1 $-separated fields"),
        BadDigest(text: "sha256$10000$\(salt)$\(hash)", complaint: "the scheme must be pbkdf2-sha256"),
        BadDigest(text: "pbkdf2-sha256$999$\(salt)$\(hash)", complaint: "ITERATIONS must be a decimal number"),
        BadDigest(text: "pbkdf2-sha256$1000000$\(salt)$\(hash)", complaint: "from 10000 to 100000"),
        BadDigest(text: "pbkdf2-sha256$010000$\(salt)$\(hash)", complaint: "ITERATIONS"),
        BadDigest(text: "pbkdf2-sha256$+10000$\(salt)$\(hash)", complaint: "ITERATIONS"),
        BadDigest(text: "pbkdf2-sha256$10000$0001$\(hash)", complaint: "SALT must be 16 to 64 bytes"),
        BadDigest(text: "pbkdf2-sha256$10000$\(salt.uppercased())$\(hash)", complaint: "lower-case hex"),
        BadDigest(text: "pbkdf2-sha256$10000$\(salt)$\(hash.dropLast(2))", complaint: "DIGEST must be 32 bytes"),
        BadDigest(text: "pbkdf2-sha256$10000$\(salt)$\(hash.uppercased())", complaint: "DIGEST"),
        BadDigest(text: "pbkdf2-sha256$10000$\(salt)$\(hash)$", complaint: "got 5 $-separated fields"),
    ]

    @Test(
        "a malformed pickupCodeDigest is refused with bad-code-digest, says what is wrong, and assigns nothing",
        arguments: badDigests
    )
    func malformed(_ example: BadDigest) throws {
        var state = LockerBankState(configuration: lockerConfiguration(), now: .zero)
        do {
            try state.assign(door: "A1", order: "ORD-1", pickupCodeDigest: example.text, at: .zero)
            Issue.record("accepted")
        } catch {
            #expect(error.code == "bad-code-digest")
            #expect(error.description.contains(example.complaint), "\(error.description)")
        }
        #expect(state.records.orders.isEmpty)
    }
}

@Suite("LockerStateFile: the bank's records on disk")
struct LockerStateFileTests {
    /// Records with a deposited order, a used code and a blocked keypad, on a clock at `now`.
    private func sampleRecords(now: ClockInstant) throws -> LockerRecords {
        var state = LockerBankState(configuration: lockerConfiguration(), now: now)
        try state.assign(door: "A1", order: "ORD-1", pickupCode: "123456", at: now)
        try state.assign(door: "A3", order: "ORD-3", pickupCode: "654321", expiresAt: now + .seconds(3600), at: now)
        var records = state.records
        records.orders[0].deposited = true
        records.keypads = [
            LockerRecords.Keypad(
                keypad: "scanner-2",
                failures: 4,
                lockedUntil: now + .seconds(60),
                recentWrongCodes: [now - .seconds(10), now - .seconds(5)],
                blocked: true
            )
        ]
        return records
    }

    @Test("records survive a restart: instants are kept in wall time and come back on the new clock's timeline")
    func roundTripAcrossRestart() async throws {
        let directory = scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // Before: the monotonic clock reads 5000 s while the wall clock reads 1 000 000 s.
        let before = ManualClock(now: .zero + .seconds(5000))
        let file = LockerStateFile(directory: directory, locker: "lockers-A", clock: before) { 1_000_000_000 }
        let records = try sampleRecords(now: before.now)
        try await file.save(records)
        // After a reboot 100 s later: the monotonic clock restarted at 20 s.
        let after = ManualClock(now: .zero + .seconds(20))
        let reopened = LockerStateFile(directory: directory, locker: "lockers-A", clock: after) { 1_000_100_000 }
        let loaded = try reopened.load()
        let shift = Duration.seconds(20) - .seconds(5100)
        #expect(loaded.orders.map(\.order) == ["ORD-1", "ORD-3"])
        #expect(loaded.orders.map(\.codeDigest) == records.orders.map(\.codeDigest))
        #expect(loaded.orders.map(\.deposited) == [true, false])
        #expect(loaded.orders[1].expiresAt == records.orders[1].expiresAt + shift)
        #expect(loaded.keypads[0].lockedUntil == records.keypads[0].lockedUntil.map { $0 + shift })
        #expect(loaded.keypads[0].recentWrongCodes == records.keypads[0].recentWrongCodes.map { $0 + shift })
        #expect(loaded.keypads[0].blocked)
        #expect(
            try LockerStateFile.storedOrders(directory: directory, locker: "lockers-A").map(\.order) == [
                "ORD-1", "ORD-3",
            ]
        )
        #expect(LockerStateFile.lockers(in: directory) == ["lockers-A"])
    }

    @Test("no file yet means no records")
    func missingFile() throws {
        let file = LockerStateFile(directory: scratchDirectory(), locker: "lockers-A", clock: ManualClock())
        #expect(try file.load() == LockerRecords())
    }

    enum Damage: String, CaseIterable, Sendable {
        case flippedPayloadByte, truncated, emptied, trailingBytes, wrongHeader
    }

    @Test("a damaged file is refused as state-unreadable, never read as empty", arguments: Damage.allCases)
    func damaged(_ damage: Damage) async throws {
        let directory = scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let clock = ManualClock()
        let file = LockerStateFile(directory: directory, locker: "lockers-A", clock: clock) { 0 }
        try await file.save(try sampleRecords(now: clock.now))
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: file.path)))
        switch damage {
        case .flippedPayloadByte: bytes[bytes.count - 10] ^= 0x01
        case .truncated: bytes.removeLast(7)
        case .emptied: bytes = []
        case .trailingBytes: bytes += [0x0A]
        case .wrongHeader: bytes[0] = UInt8(ascii: "X")
        }
        try TestFile.write(bytes, to: file.path)
        #expect {
            try file.load()
        } throws: { error in
            guard let error = error as? LockerError, case .stateUnreadable(let detail) = error else { return false }
            return detail.contains(file.path)
        }
    }
}

/// A store that fails on demand, as a full or failing disk would.
private final class FailingStore: LockerStateStore, @unchecked Sendable {
    // @unchecked: `failing` is set by the test only while the bank is idle (between awaited commands).
    let inner: LockerStateFile
    var failing = false

    init(_ inner: LockerStateFile) { self.inner = inner }

    func load() throws(LockerError) -> LockerRecords { try inner.load() }

    func save(_ records: LockerRecords) async throws(LockerError) {
        if failing { throw .stateNotStored("write: No space left on device") }
        try await inner.save(records)
    }
}

@Suite("LockerBank with a state file", .timeLimit(.minutes(1)))
struct LockerBankPersistenceTests {
    private struct Bank {
        let clock: ManualClock
        let chip: SimulatedGPIOChip
        let sink = EventRecorder()
        let bank: LockerBank
        let runner: Task<Void, Never>

        /// Doors A1 (lines 0/1) and A2 (2/3) over `store`, running.
        init(store: any LockerStateStore, clock: ManualClock, doors: [String] = ["A1", "A2"]) async throws {
            self.clock = clock
            let chip = SimulatedGPIOChip(
                name: "gpiochip0",
                label: "sim",
                lineNames: ["l0", "s0", "l1", "s1"],
                clock: clock
            )
            self.chip = chip
            let wiring = doors.enumerated().map { index, door in
                DoorWiring(
                    door: door,
                    lock: GPIOPin(chip: chip, offset: 2 * index),
                    sensor: GPIOPin(chip: chip, offset: 2 * index + 1)
                )
            }
            let bank = LockerBank(
                configuration: lockerConfiguration(doors: doors),
                io: try GPIODoorIO(wiring: wiring, clock: clock),
                clock: clock,
                events: sink,
                store: store
            )
            self.bank = bank
            runner = Task { await bank.run() }
        }

        /// The courier opens and closes `sensor`'s door after an unlock for deposit.
        func deposit(door: String, sensor: Int) async throws {
            try await bank.open(door: door, reason: .deposit)
            clock.advance(by: .milliseconds(100))
            chip.drive(sensor, high: true)
            clock.advance(by: .seconds(1))
            chip.drive(sensor, high: false)
            clock.advance(by: .milliseconds(100))
            _ = await sink.next(.lockerDeposited)
        }

        func stop() async {
            runner.cancel()
            await runner.value
        }
    }

    @Test("assign and deposit, stop, start again: the code opens the door exactly once")
    func restartKeepsDepositedOrder() async throws {
        let directory = scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let clock = ManualClock()
        let file = LockerStateFile(directory: directory, locker: "lockers-A", clock: clock) { 1_700_000_000_000 }
        let first = try await Bank(store: file, clock: clock)
        try await first.bank.assign(door: "A2", order: "ORD-2", pickupCode: "246810")
        try await first.deposit(door: "A2", sensor: 3)
        await first.stop()

        let second = try await Bank(store: file, clock: clock)
        #expect(try await second.bank.status().map(\.order) == [nil, "ORD-2"])
        #expect(try await second.bank.status()[1].deposited)
        #expect(try await second.bank.submitCode("246810", keypad: "k") == "A2")
        await #expect(throws: LockerError.wrongCode(attempts: 1)) {
            try await second.bank.submitCode("246810", keypad: "k")
        }
        await second.stop()
        // The used code is stored too: a third start does not bring it back.
        let third = try await Bank(store: file, clock: clock)
        await #expect(throws: LockerError.wrongCode(attempts: 2)) {
            try await third.bank.submitCode("246810", keypad: "k")
        }
        await third.stop()
    }

    @Test("a change that cannot be stored is refused with state-not-stored and not made")
    func storeFailureRefuses() async throws {
        let directory = scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let clock = ManualClock()
        let store = FailingStore(LockerStateFile(directory: directory, locker: "lockers-A", clock: clock) { 0 })
        let running = try await Bank(store: store, clock: clock)
        try await running.bank.assign(door: "A1", order: "ORD-1", pickupCode: "135790")
        store.failing = true
        await #expect(throws: LockerError.stateNotStored("write: No space left on device")) {
            try await running.bank.assign(door: "A2", order: "ORD-2", pickupCode: "975310")
        }
        await #expect(throws: LockerError.stateNotStored("write: No space left on device")) {
            try await running.bank.release(door: "A1")
        }
        #expect(try await running.bank.status().map(\.order) == ["ORD-1", nil])
        store.failing = false
        await running.stop()
        #expect(try store.load().orders.map(\.order) == ["ORD-1"])
    }

    @Test("a state file with an order on a door the bank no longer has keeps the bank down with a device.fault")
    func orderOnRemovedDoor() async throws {
        let directory = scratchDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let clock = ManualClock()
        let file = LockerStateFile(directory: directory, locker: "lockers-A", clock: clock) { 0 }
        let first = try await Bank(store: file, clock: clock)
        try await first.bank.assign(door: "A2", order: "ORD-2", pickupCode: "246810")
        await first.stop()
        let shrunk = try await Bank(store: file, clock: clock, doors: ["A1"])
        let fault = await shrunk.sink.next(.deviceFault)
        #expect(fault.data["reason"] == "order-on-removed-door")
        #expect(fault.data["detail"] == "door A2 holds order ORD-2 but is not in the configuration")
        await shrunk.runner.value
        await #expect(throws: LockerError.notRunning) { try await shrunk.bank.status() }
        #expect(try file.load().orders.map(\.order) == ["ORD-2"])
    }
}
