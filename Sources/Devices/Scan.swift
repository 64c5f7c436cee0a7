import Events
import GS1
import HAL

/// One barcode read: the bytes the scanner framed, what they mean, and when they arrived.
public struct Scan: Sendable, Hashable {
    public let device: String
    /// The frame as received, terminator and configured prefix/suffix removed.
    public let bytes: [UInt8]
    /// The frame as text; undecodable bytes become U+FFFD here and are kept exactly in `bytes`.
    public let text: String
    /// Whether `bytes` were valid UTF-8.
    public let isValidUTF8: Bool
    public let decoded: DecodedScan
    public let time: ClockInstant

    /// Decodes `bytes`; with `aimPrefix` false a leading `]` is not taken as a symbology identifier.
    public init(device: String, bytes: [UInt8], aimPrefix: Bool, time: ClockInstant) {
        self.device = device
        self.bytes = bytes
        self.time = time
        let strict = String(validating: bytes, as: UTF8.self)
        isValidUTF8 = strict != nil
        text = strict ?? String(decoding: bytes, as: UTF8.self)
        if aimPrefix || !text.hasPrefix("]") {
            decoded = ScannedData.decode(text)
        } else {
            decoded = DecodedScan(
                symbology: "unknown",
                aim: nil,
                payload: text,
                gs1: nil,
                warnings: [],
                gs1Error: nil,
                digitalLink: false
            )
        }
    }

    /// The `scan` event's `data`: symbology, aim, text, and `gs1` (AI → value) when the data is GS1.
    public var eventData: JSONValue {
        var members: [(String, JSONValue)] = [
            ("symbology", .string(decoded.symbology == "none" ? "unknown" : decoded.symbology)),
            ("aim", decoded.aim.map { .string($0) } ?? .null),
            ("text", .string(text)),
        ]
        if let elements = decoded.gs1 {
            // An AI may legally repeat with the same value (a differing value is a GS1 error already); an object
            // with a key twice is not JSON a consumer can read, so each AI appears once, first occurrence kept.
            // A scan's few elements are compared with those kept; a long string (a hostile one) is hashed.
            var gs1: [(String, JSONValue)] = []
            var seen: Set<String> = []
            for element in elements {
                let repeated =
                    elements.count <= 16
                    ? gs1.contains { $0.0 == element.ai } : !seen.insert(element.ai).inserted
                if !repeated { gs1.append((element.ai, .string(element.value))) }
            }
            members.append(("gs1", .object(gs1)))
        }
        if decoded.digitalLink {
            members.append(("digitalLink", true))
        }
        if !decoded.warnings.isEmpty {
            members.append(("warnings", .array(decoded.warnings.map { .string($0.description) })))
        }
        if let error = decoded.gs1Error {
            members.append(("gs1Error", .string(error.description)))
        }
        if !isValidUTF8 {
            members.append(("invalidUTF8", true))
            members.append(("hex", .string(Hex.string(bytes))))
        }
        return .object(members)
    }
}

/// What the code a scan goes to made of it: the scanner beeps good only for `accepted`, bad otherwise, where it can.
public enum ScanOutcome: Sendable, Hashable {
    /// Taken and, where it is published, durably stored.
    case accepted
    /// Taken but not good (e.g. invalid GS1 data, a wrong pickup code).
    case rejected
    /// Could not be stored (the outbox refused it): the read is lost unless the person scans again.
    case notStored
}

/// A scan's outcome, known at once (a local handler) or once its event is stored (a published scan): the
/// scanner takes its next frame before it asks, and beeps after.
public struct PendingScanOutcome: Sendable {
    private let resolve: @Sendable () async -> ScanOutcome

    /// An outcome already known.
    public static func settled(_ outcome: ScanOutcome) -> PendingScanOutcome {
        PendingScanOutcome { outcome }
    }

    /// `outcome` once `receipt` says the event is stored, `notStored` when it could not be.
    public init(receipt: EventReceipt, ifStored outcome: ScanOutcome) {
        resolve = { await receipt.stored() ? outcome : .notStored }
    }

    private init(_ resolve: @escaping @Sendable () async -> ScanOutcome) {
        self.resolve = resolve
    }

    /// Waits for the outcome.
    public func outcome() async -> ScanOutcome {
        await resolve()
    }
}

/// Where a scanner's reads go: published as `scan` events, or (for a locker's code reader) kept local.
public protocol ScanHandler: Sendable {
    /// Takes the scan and returns its outcome once known.
    func handle(_ scan: Scan) async -> ScanOutcome

    /// Takes the scan and returns as soon as the next one can be taken; the outcome may still be pending.
    func submit(_ scan: Scan) async -> PendingScanOutcome
}

extension ScanHandler {
    /// For handlers whose outcome is known when they return.
    public func submit(_ scan: Scan) async -> PendingScanOutcome {
        .settled(await handle(scan))
    }
}

/// Publishes every scan as a `scan` event; a scan whose GS1 data does not validate is still published, with
/// the error, and beeps bad. A scan the sink could not store is `notStored`, so the person hears the bad beep.
public struct PublishingScanHandler: ScanHandler {
    private let events: any EventSink

    public init(events: any EventSink) {
        self.events = events
    }

    public func handle(_ scan: Scan) async -> ScanOutcome {
        await submit(scan).outcome()
    }

    /// Writes the `scan` event and returns before its sync: the outcome resolves once the event is durable.
    public func submit(_ scan: Scan) async -> PendingScanOutcome {
        let receipt = await events.submit(.scan, device: scan.device, data: scan.eventData)
        return PendingScanOutcome(
            receipt: receipt,
            ifStored: scan.decoded.gs1Error == nil && scan.isValidUTF8 ? .accepted : .rejected
        )
    }
}
