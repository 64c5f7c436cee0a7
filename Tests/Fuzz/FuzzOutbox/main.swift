// The outbox segment reader and crash recovery, through the public API: the input becomes the only segment file
// of a fresh outbox directory, which is then opened (recovery), read, appended to, closed and opened again.
//
// Input: a mode byte (bit 0: cut the payload at 0xFF bytes into records with correct length and CRC32C, so the
// fuzzer reaches the JSON and seq handling behind the checksum; bit 1: keep the last piece as raw bytes, a torn
// tail), a byte choosing the segment's first seq, then the payload. Properties: nothing traps or hangs; every
// event read back is in ascending seq order; an append after recovery succeeds, reads back, and survives a reopen.
// Reads go through `readEvents`, the outbox's non-waiting read (`package` for this target).
import Dispatch
import Events
import FuzzSupport
import Glibc
import Outbox

/// The segment file's bytes for `payload` under `mode`.
private func segmentBytes(mode: UInt8, payload: [UInt8]) -> [UInt8] {
    guard mode & 0b1 != 0 else { return payload }
    let pieces = payload.split(separator: 0xFF, omittingEmptySubsequences: false)
    var file: [UInt8] = []
    for (index, piece) in pieces.enumerated() {
        if mode & 0b10 != 0, index == pieces.count - 1 {
            file += piece
            continue
        }
        for value in [UInt32(piece.count), CRC32C.checksum(piece)] {
            for shift in stride(from: 0, to: 32, by: 8) {
                file.append(UInt8(truncatingIfNeeded: value >> UInt32(shift)))
            }
        }
        file += piece
    }
    return file
}

/// The first seq of the segment: small, around the Int64 limit, or near the end of UInt64.
private func firstSeq(_ choice: UInt8) -> UInt64 {
    switch choice % 4 {
    case 0: UInt64(choice / 4) + 1
    case 1: UInt64(Int64.max) - UInt64(choice / 4)
    case 2: UInt64.max - UInt64(choice / 4)
    default: 1
    }
}

private func write(_ bytes: [UInt8], to path: String) {
    let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    require(descriptor >= 0, "cannot create \(path): errno \(errno)")
    var written = 0
    while written < bytes.count {
        let count = bytes[written...].withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
        require(count > 0, "cannot write \(path): errno \(errno)")
        written += count
    }
    close(descriptor)
}

/// Removes `path` and everything under it (the outbox directory holds only files).
private func removeTree(_ path: String) {
    if let directory = opendir(path) {
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name == "." || name == ".." { continue }
            let child = path + "/" + name
            if unlink(child) != 0 { removeTree(child) }
        }
        closedir(directory)
    }
    rmdir(path)
}

/// Opens, reads, appends, closes and reopens; returns a property violation, if any.
private func exercise(directory: String) async -> String? {
    let outbox: Outbox
    do {
        outbox = try await Outbox.open(
            directory: directory,
            site: "ams-1",
            controller: "dock-03",
            uplinks: ["mqtt"],
            policy: .always
        )
    } catch {
        return nil  // A refusal (e.g. a seq space used up) is an answer, not a crash.
    }
    let before = await outbox.status.lastSeq
    // `readEvents` rather than the public `events(after:limit:)`, which waits (for good, once the seq space is
    // used up) when every record after the cursor is damaged.
    var previous: UInt64?
    for event in (try? await outbox.readEvents(after: 0, limit: 256, reportDamage: true)) ?? [] {
        if let previous, event.seq <= previous { return "seq \(event.seq) read after \(previous)" }
        previous = event.seq
    }
    let appended: Event
    do {
        appended = try await outbox.append("scan", device: "scanner-1", data: ["text": "fuzz"])
    } catch {
        await outbox.close()
        return nil
    }
    if appended.seq <= before { return "appended seq \(appended.seq) not after \(before)" }
    let after = (try? await outbox.readEvents(after: appended.seq - 1, limit: 1, reportDamage: true)) ?? []
    if after.first != appended { return "appended event \(appended.seq) reads back as \(after)" }
    await outbox.close()

    guard
        let reopened = try? await Outbox.open(
            directory: directory,
            site: "ams-1",
            controller: "dock-03",
            uplinks: ["mqtt"]
        )
    else { return "reopening after a clean close failed" }
    let lastSeq = await reopened.status.lastSeq
    await reopened.close()
    return lastSeq >= appended.seq ? nil : "after reopening, last seq \(lastSeq) is before the appended \(appended.seq)"
}

private final class Outcome: @unchecked Sendable {
    var violation: String?
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let mode = input.byte()
    let seqChoice = input.byte()
    let file = segmentBytes(mode: mode, payload: input.rest())

    let base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp"
    let directory = "\(base)/floorlink-fuzz-outbox-\(getpid())"
    removeTree(directory)
    let outboxPath = directory + "/outbox"
    require(mkdir(directory, 0o700) == 0 && mkdir(outboxPath, 0o700) == 0, "cannot create \(outboxPath)")
    let first = String(firstSeq(seqChoice))
    let name = "seg-" + String(repeating: "0", count: 20 - first.count) + first + ".log"
    write(file, to: outboxPath + "/" + name)

    let outcome = Outcome()
    let done = DispatchSemaphore(value: 0)
    Task {
        outcome.violation = await exercise(directory: directory)
        done.signal()
    }
    require(done.wait(timeout: .now() + .seconds(20)) == .success, "the outbox hung on a \(file.count)-byte segment")
    removeTree(directory)
    if let violation = outcome.violation { require(false, violation) }
    return 0
}

/// The entry point SwiftPM links as `main`: hands the command line to libFuzzer.
@_cdecl("FuzzOutbox_main")
public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runLibFuzzer(argc, argv) { data, size in
        guard let data else {
            var empty: UInt8 = 0
            return fuzz(&empty, 0)
        }
        return fuzz(data, size)
    }
}
