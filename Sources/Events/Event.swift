/// Something that happened on the floor, created once by a device driver and never changed: the unit the
/// outbox stores and every uplink delivers.
public struct Event: Hashable, Sendable {
    /// The envelope version (`v`).
    public static let version: Int64 = 1

    public let id: EventID
    /// Per-controller sequence number: one more than the previous event's, across restarts.
    public let seq: UInt64
    public let site: String
    public let controller: String
    public let device: String
    public let type: EventType
    public let time: EventTime
    /// Type-specific data, an object.
    public let data: JSONValue

    public init(
        id: EventID,
        seq: UInt64,
        site: String,
        controller: String,
        device: String,
        type: EventType,
        time: EventTime,
        data: JSONValue
    ) {
        self.id = id
        self.seq = seq
        self.site = site
        self.controller = controller
        self.device = device
        self.type = type
        self.time = time
        self.data = data
    }

    /// The wire form, members always in this order:
    /// `{"v":1,"id":…,"seq":…,"site":…,"controller":…,"device":…,"type":…,"time":…,"data":{…}}`.
    public var json: JSONValue {
        [
            "v": .int(Self.version),
            "id": .string(id.description),
            "seq": .int(Int64(clamping: seq)),
            "site": .string(site),
            "controller": .string(controller),
            "device": .string(device),
            "type": .string(type.rawValue),
            "time": .string(time.description),
            "data": data,
        ]
    }

    /// `json` as compact text, one line.
    public var jsonText: String { String(decoding: jsonBytes, as: UTF8.self) }

    /// `jsonText` as UTF-8 bytes, written straight from the fields (no `JSONValue` tree in between): the record
    /// the outbox stores and the payload the uplinks send.
    public var jsonBytes: [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(512)
        write(to: &output)
        return output
    }

    /// Appends `jsonText` as UTF-8 to `output`.
    public func write(to output: inout [UInt8]) {
        JSONWriting.append(#"{"v":"#, to: &output)
        JSONWriting.appendDecimal(Self.version, to: &output)
        JSONWriting.append(#","id":""#, to: &output)
        id.write(to: &output)
        JSONWriting.append(#"","seq":"#, to: &output)
        JSONWriting.appendDecimal(Int64(clamping: seq), to: &output)
        JSONWriting.append(#","site":"#, to: &output)
        JSONWriting.appendString(site, to: &output)
        JSONWriting.append(#","controller":"#, to: &output)
        JSONWriting.appendString(controller, to: &output)
        JSONWriting.append(#","device":"#, to: &output)
        JSONWriting.appendString(device, to: &output)
        JSONWriting.append(#","type":"#, to: &output)
        JSONWriting.appendString(type.rawValue, to: &output)
        JSONWriting.append(#","time":""#, to: &output)
        time.write(to: &output)
        JSONWriting.append(#"","data":"#, to: &output)
        data.write(to: &output)
        output.append(UInt8(ascii: "}"))
    }

    /// Reads an event back from its wire form; every member must be present and of its type.
    public init(json: JSONValue) throws(EventDecodingError) {
        func member(_ key: String) throws(EventDecodingError) -> JSONValue {
            guard let value = json[key] else { throw EventDecodingError(field: key, expected: "present") }
            return value
        }
        func string(_ key: String) throws(EventDecodingError) -> String {
            guard let value = try member(key).stringValue else {
                throw EventDecodingError(field: key, expected: "a string")
            }
            return value
        }
        guard try member("v").intValue == Self.version else {
            throw EventDecodingError(field: "v", expected: "\(Self.version)")
        }
        guard let id = EventID(parsing: try string("id")) else {
            throw EventDecodingError(field: "id", expected: "a UUID")
        }
        guard let seq = try member("seq").intValue, seq >= 0 else {
            throw EventDecodingError(field: "seq", expected: "a non-negative integer")
        }
        guard let time = EventTime(parsing: try string("time")) else {
            throw EventDecodingError(field: "time", expected: "UTC time like 2026-11-22T10:00:00.123Z")
        }
        let data = try member("data")
        guard case .object = data else { throw EventDecodingError(field: "data", expected: "an object") }
        self.init(
            id: id,
            seq: UInt64(seq),
            site: try string("site"),
            controller: try string("controller"),
            device: try string("device"),
            type: EventType(rawValue: try string("type")),
            time: time,
            data: data
        )
    }
}

/// Why bytes could not be read back as an event: which field, and what it should have been.
public struct EventDecodingError: Error, Hashable, Sendable, CustomStringConvertible {
    public var field: String
    public var expected: String

    public init(field: String, expected: String) {
        self.field = field
        self.expected = expected
    }

    public var description: String { "event field '\(field)': expected \(expected)" }
}
