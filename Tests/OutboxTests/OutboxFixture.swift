import Events
import Glibc

@testable import Outbox

/// Shared steps of the outbox tests: opening an outbox in a temporary directory, reading everything back,
/// and poking at segment files directly.
enum OutboxFixture {
    static let site = "ams-1"
    static let controller = "dock-03"

    /// Opens the outbox in `directory` with test-sized defaults (`.always` so each append is synced at once).
    static func open(
        _ directory: String,
        uplinks: [String] = ["mqtt"],
        policy: FsyncPolicy = .always,
        segmentBytes: Int = 8 << 20,
        quotaBytes: Int = 256 << 20
    ) async throws -> Outbox {
        try await Outbox.open(
            directory: directory,
            site: site,
            controller: controller,
            uplinks: uplinks,
            policy: policy,
            segmentBytes: segmentBytes,
            quotaBytes: quotaBytes
        )
    }

    /// Typical scan data, numbered.
    static func scanData(_ number: Int) -> JSONValue {
        [
            "symbology": "gs1-128",
            "aim": "]C1",
            "text": .string("01095060001343521726123110LOT\(number)"),
            "number": .int(Int64(number)),
        ]
    }

    /// Every durable event after `first` (all by default), oldest first, without waiting (reads past damage like an
    /// uplink would).
    static func readAll(_ outbox: Outbox, after first: UInt64 = 0) async throws -> [Event] {
        var events: [Event] = []
        var after = first
        while true {
            let batch = try await outbox.readEvents(after: after, limit: 1000, reportDamage: true)
            guard let last = batch.last else { return events }
            events += batch
            after = last.seq
        }
    }

    /// Segment file names in `<directory>/outbox`, ascending.
    static func segmentFiles(_ directory: String) throws -> [String] {
        try FileSystem.listDirectory(directory + "/outbox").filter { Segment.firstSeq(fromFileName: $0) != nil }
            .sorted()
    }

    static func readFile(_ path: String) throws -> [UInt8] {
        let descriptor = try FileSystem.openFile(path, flags: O_RDONLY)
        defer { FileSystem.closeFile(descriptor) }
        return try FileSystem.read(
            descriptor,
            offset: 0,
            count: try FileSystem.size(descriptor, path: path),
            path: path
        )
    }

    static func writeFile(_ path: String, _ bytes: [UInt8]) throws {
        let descriptor = try FileSystem.openFile(path, flags: O_WRONLY | O_CREAT | O_TRUNC)
        defer { FileSystem.closeFile(descriptor) }
        try FileSystem.writeAll(descriptor, bytes, path: path)
    }

    /// The start offset of each record in a segment's bytes (trusting the length fields).
    static func recordOffsets(_ bytes: [UInt8]) -> [Int] {
        var offsets: [Int] = []
        var offset = 0
        while offset + RecordFormat.headerBytes <= bytes.count {
            offsets.append(offset)
            let length = Int(RecordFormat.littleEndianUInt32(bytes[...], at: offset))
            offset += RecordFormat.headerBytes + length
        }
        return offsets
    }
}
