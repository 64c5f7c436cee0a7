import Events
import Outbox

/// Numbered barcode reads of one fixed length (`]C0KILL-00042` + CR LF), for counting which reads a daemon
/// stored, which it never took from the port, and which it lost in between.
public enum NumberedScans {
    /// The scanner's bytes for read `number` (0 ..< 100,000).
    public static func bytes(_ number: Int) -> [UInt8] {
        let digits = String(number)
        return Array(("]C0KILL-" + String(repeating: "0", count: max(0, 5 - digits.count)) + digits + "\r\n").utf8)
    }

    /// Bytes per read.
    public static let frameLength = bytes(0).count

    /// The number in a stored scan's text (`]C0KILL-00042` → 42), nil for any other text.
    public static func number(inText text: String) -> Int? {
        guard text.hasPrefix("]C0KILL-"), text.count == frameLength - 2 else { return nil }
        return Int(text.dropFirst(8))
    }

    /// The reads left whole in `unread`, the bytes no one took from the port (a cut read at its start is not whole).
    public static func wholeReads(in unread: [UInt8]) -> Set<Int> {
        var numbers: Set<Int> = []
        for piece in unread.split(separator: UInt8(ascii: "\n")) {
            guard piece.last == UInt8(ascii: "\r"), piece.count == frameLength - 1 else { continue }
            if let number = number(inText: String(decoding: piece.dropLast(), as: UTF8.self)) { numbers.insert(number) }
        }
        return numbers
    }

    /// The reads of `0..<count` neither stored nor left whole in the port: taken by the daemon and lost.
    public static func lost(count: Int, storedTexts: [String], unread: [UInt8]) -> [Int] {
        let stored = Set(storedTexts.compactMap(number(inText:)))
        let untaken = wholeReads(in: unread)
        return (0..<count).filter { !stored.contains($0) && !untaken.contains($0) }
    }

    /// The texts of every `scan` event in the outbox under `dataDirectory` (the daemon stopped).
    public static func storedTexts(dataDirectory: String) async throws -> [String] {
        let outbox = try await Outbox.open(directory: dataDirectory, site: "test", controller: "test", uplinks: [])
        var texts: [String] = []
        var after: UInt64 = 0
        while true {
            let batch = try await outbox.readEvents(after: after, limit: 1000, reportDamage: false)
            guard let last = batch.last else { break }
            texts += batch.filter { $0.type == .scan }.compactMap { $0.data["text"]?.stringValue }
            after = last.seq
        }
        await outbox.close()
        return texts
    }
}
