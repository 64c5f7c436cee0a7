extension MQTTPacket {
    /// The packet's wire form: fixed header, variable header, payload.
    public func encoded() throws(MQTTError) -> [UInt8] {
        var body = MQTTByteWriter(capacity: payloadCapacity)
        var flags: UInt8 = 0
        switch self {
        case .connect(let connect):
            try Self.encodeConnect(connect, into: &body)
        case .connack(let sessionPresent, let returnCode):
            body.byte(sessionPresent ? 1 : 0)
            body.byte(returnCode.rawValue)
        case .publish(let publish):
            flags = try Self.encodePublish(publish, into: &body)
        case .puback(let packetID), .unsuback(let packetID):
            body.uint16(packetID)
        case .subscribe(let packetID, let subscriptions):
            guard !subscriptions.isEmpty else { throw .invalidPacket("SUBSCRIBE needs at least one topic filter") }
            flags = 0b0010
            body.uint16(packetID)
            for subscription in subscriptions {
                try body.string(subscription.topicFilter, field: "topic filter")
                body.byte(subscription.qos.rawValue)
            }
        case .suback(let packetID, let returnCodes):
            body.uint16(packetID)
            body.raw(returnCodes)
        case .unsubscribe(let packetID, let topicFilters):
            guard !topicFilters.isEmpty else { throw .invalidPacket("UNSUBSCRIBE needs at least one topic filter") }
            flags = 0b0010
            body.uint16(packetID)
            for filter in topicFilters {
                try body.string(filter, field: "topic filter")
            }
        case .pingreq, .pingresp, .disconnect:
            break
        }
        var packet: [UInt8] = []
        packet.reserveCapacity(body.bytes.count + 5)
        packet.append(typeNibble << 4 | flags)
        try MQTTRemainingLength.encode(body.bytes.count, into: &packet)
        packet.append(contentsOf: body.bytes)
        return packet
    }

    /// What the body needs beyond its headers: a PUBLISH's topic and payload, so they are copied once.
    private var payloadCapacity: Int {
        guard case .publish(let publish) = self else { return 64 }
        return publish.topic.utf8.count + publish.payload.count + 4
    }

    private static func encodeConnect(_ connect: MQTTConnect, into body: inout MQTTByteWriter) throws(MQTTError) {
        try body.string("MQTT", field: "protocol name")
        body.byte(4)  // protocol level: 3.1.1
        var flags: UInt8 = 0
        if connect.username != nil { flags |= 0x80 }
        if connect.password != nil {
            guard connect.username != nil else { throw .invalidPacket("a password needs a user name (MQTT-3.1.2-22)") }
            flags |= 0x40
        }
        if let will = connect.will {
            flags |= 0x04 | will.qos.rawValue << 3
            if will.retain { flags |= 0x20 }
        }
        if connect.cleanSession { flags |= 0x02 }
        body.byte(flags)
        body.uint16(connect.keepAlive)
        try body.string(connect.clientID, field: "client id")
        if let will = connect.will {
            try body.string(will.topic, field: "will topic")
            try body.binary(will.payload, field: "will message")
        }
        if let username = connect.username { try body.string(username, field: "user name") }
        if let password = connect.password { try body.binary(password, field: "password") }
    }

    /// Writes the variable header and payload; returns the fixed-header flags (DUP, QoS, RETAIN).
    private static func encodePublish(
        _ publish: MQTTPublish,
        into body: inout MQTTByteWriter
    ) throws(MQTTError)
        -> UInt8
    {
        // By byte, in the string's contiguous UTF-8: `+` and `#` are ASCII, which UTF-8 never uses inside another
        // character. Iterating Characters (grapheme breaking), or even the generic `utf8` view, cost more than
        // the rest of the encoding.
        var topic = publish.topic
        let wildcard = topic.withUTF8 { $0.contains { $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "#") } }
        guard !publish.topic.isEmpty, !wildcard else {
            throw .invalidPacket("PUBLISH topic '\(publish.topic)' is empty or has a wildcard")
        }
        try body.string(publish.topic, field: "topic")
        if publish.qos != .atMostOnce {
            guard let packetID = publish.packetID, packetID != 0 else {
                throw .invalidPacket("a QoS \(publish.qos.rawValue) PUBLISH needs a non-zero packet id")
            }
            body.uint16(packetID)
        }
        body.raw(publish.payload)
        var flags = publish.qos.rawValue << 1
        if publish.retain { flags |= 0x01 }
        if publish.dup && publish.qos != .atMostOnce { flags |= 0x08 }
        return flags
    }
}
