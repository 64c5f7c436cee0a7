import Events

extension MQTTPacket {
    /// Decodes one packet from its first byte and its body (the bytes after the remaining length).
    public static func decode(firstByte: UInt8, body: ArraySlice<UInt8>) throws(MQTTError) -> MQTTPacket {
        let type = firstByte >> 4
        let flags = firstByte & 0x0f
        switch type {
        case 1:
            try expectFlags(flags, 0, "CONNECT")
            return .connect(try decodeConnect(body))
        case 2:
            try expectFlags(flags, 0, "CONNACK")
            var reader = MQTTByteReader(body, packet: "CONNACK")
            let acknowledgeFlags = try reader.byte("acknowledge flags")
            let code = MQTTConnectReturnCode(rawValue: try reader.byte("return code"))
            try reader.expectEnd()
            guard acknowledgeFlags & 0xfe == 0 else {
                throw .protocolViolation("CONNACK reserved flag bits set (0x\(Hex.padded(acknowledgeFlags)))")
            }
            let sessionPresent = acknowledgeFlags & 1 == 1
            guard code == .accepted || !sessionPresent else {
                throw .protocolViolation("CONNACK refusal with session present")
            }
            return .connack(sessionPresent: sessionPresent, returnCode: code)
        case 3:
            return .publish(try decodePublish(flags: flags, body))
        case 4:
            try expectFlags(flags, 0, "PUBACK")
            return .puback(packetID: try decodePacketIDOnly(body, "PUBACK"))
        case 8:
            try expectFlags(flags, 0b0010, "SUBSCRIBE")
            return try decodeSubscribe(body)
        case 9:
            try expectFlags(flags, 0, "SUBACK")
            var reader = MQTTByteReader(body, packet: "SUBACK")
            let packetID = try reader.uint16("packet id")
            let codes = reader.rest()
            guard !codes.isEmpty else { throw .protocolViolation("SUBACK without return codes") }
            for code in codes where code > 2 && code != 0x80 {
                throw .protocolViolation("SUBACK return code 0x\(Hex.padded(code)) is not 0, 1, 2 or 0x80")
            }
            return .suback(packetID: packetID, returnCodes: codes)
        case 10:
            try expectFlags(flags, 0b0010, "UNSUBSCRIBE")
            var reader = MQTTByteReader(body, packet: "UNSUBSCRIBE")
            let packetID = try reader.uint16("packet id")
            var filters: [String] = []
            while !reader.isAtEnd { filters.append(try reader.string("topic filter")) }
            guard !filters.isEmpty else { throw .protocolViolation("UNSUBSCRIBE without topic filters") }
            return .unsubscribe(packetID: packetID, topicFilters: filters)
        case 11:
            try expectFlags(flags, 0, "UNSUBACK")
            return .unsuback(packetID: try decodePacketIDOnly(body, "UNSUBACK"))
        case 12, 13, 14:
            let name = type == 12 ? "PINGREQ" : type == 13 ? "PINGRESP" : "DISCONNECT"
            try expectFlags(flags, 0, name)
            guard body.isEmpty else { throw .protocolViolation("\(name) with a \(body.count)-byte body") }
            return type == 12 ? .pingreq : type == 13 ? .pingresp : .disconnect
        case 5, 6, 7:
            throw .protocolViolation("QoS 2 packet type \(type) received, but this client never uses QoS 2")
        default:
            throw .protocolViolation("reserved packet type \(type) (first byte 0x\(Hex.padded(firstByte)))")
        }
    }

    /// Checks a fixed header's first byte alone: a known packet type with the flags it must carry.
    static func validateFirstByte(_ firstByte: UInt8) throws(MQTTError) {
        let type = firstByte >> 4
        let flags = firstByte & 0x0f
        switch type {
        case 3:
            guard flags & 0b0110 != 0b0110 else { throw .protocolViolation("PUBLISH with QoS 3") }
        case 8, 10:
            try expectFlags(flags, 0b0010, type == 8 ? "SUBSCRIBE" : "UNSUBSCRIBE")
        case 1, 2, 4, 9, 11, 12, 13, 14:
            try expectFlags(flags, 0, "packet type \(type)")
        case 5, 6, 7:
            throw .protocolViolation("QoS 2 packet type \(type) received, but this client never uses QoS 2")
        default:
            throw .protocolViolation("reserved packet type \(type) (first byte 0x\(Hex.padded(firstByte)))")
        }
    }

    private static func expectFlags(_ flags: UInt8, _ expected: UInt8, _ name: String) throws(MQTTError) {
        guard flags == expected else {
            throw .protocolViolation(
                "\(name) with fixed-header flags 0x\(Hex.padded(flags)), expected 0x\(Hex.padded(expected))"
            )
        }
    }

    private static func decodePacketIDOnly(_ body: ArraySlice<UInt8>, _ name: String) throws(MQTTError) -> UInt16 {
        var reader = MQTTByteReader(body, packet: name)
        let packetID = try reader.uint16("packet id")
        try reader.expectEnd()
        return packetID
    }

    private static func decodePublish(flags: UInt8, _ body: ArraySlice<UInt8>) throws(MQTTError) -> MQTTPublish {
        var reader = MQTTByteReader(body, packet: "PUBLISH")
        var publish = try decodePublishHeader(flags: flags, &reader)
        publish.payload = reader.rest()
        return publish
    }

    /// A PUBLISH's variable header alone (exactly `header`: topic, then the packet id above QoS 0), checked as
    /// a whole PUBLISH is; the payload is left empty. Used for a PUBLISH too large to keep.
    static func decodePublishHeader(flags: UInt8, _ header: ArraySlice<UInt8>) throws(MQTTError) -> MQTTPublish {
        var reader = MQTTByteReader(header, packet: "PUBLISH")
        let publish = try decodePublishHeader(flags: flags, &reader)
        try reader.expectEnd()
        return publish
    }

    private static func decodePublishHeader(
        flags: UInt8,
        _ reader: inout MQTTByteReader
    ) throws(MQTTError) -> MQTTPublish {
        guard let qos = MQTTQoS(rawValue: (flags >> 1) & 0b11) else {
            throw .protocolViolation("PUBLISH with QoS 3")
        }
        let dup = flags & 0x08 != 0
        guard !(dup && qos == .atMostOnce) else { throw .protocolViolation("QoS 0 PUBLISH with DUP set") }
        let topic = try reader.string("topic")
        guard !topic.isEmpty, !topic.contains(where: { $0 == "+" || $0 == "#" }) else {
            throw .protocolViolation("PUBLISH topic '\(topic)' is empty or has a wildcard")
        }
        var packetID: UInt16?
        if qos != .atMostOnce {
            let id = try reader.uint16("packet id")
            guard id != 0 else { throw .protocolViolation("PUBLISH with packet id 0") }
            packetID = id
        }
        return MQTTPublish(topic: topic, payload: [], qos: qos, retain: flags & 0x01 != 0, dup: dup, packetID: packetID)
    }

    private static func decodeSubscribe(_ body: ArraySlice<UInt8>) throws(MQTTError) -> MQTTPacket {
        var reader = MQTTByteReader(body, packet: "SUBSCRIBE")
        let packetID = try reader.uint16("packet id")
        var subscriptions: [MQTTSubscription] = []
        while !reader.isAtEnd {
            let filter = try reader.string("topic filter")
            let requested = try reader.byte("requested QoS")
            guard let qos = MQTTQoS(rawValue: requested) else {
                throw .protocolViolation("SUBSCRIBE requested QoS byte 0x\(Hex.padded(requested))")
            }
            subscriptions.append(MQTTSubscription(topicFilter: filter, qos: qos))
        }
        guard !subscriptions.isEmpty else { throw .protocolViolation("SUBSCRIBE without topic filters") }
        return .subscribe(packetID: packetID, subscriptions: subscriptions)
    }

    private static func decodeConnect(_ body: ArraySlice<UInt8>) throws(MQTTError) -> MQTTConnect {
        var reader = MQTTByteReader(body, packet: "CONNECT")
        guard try reader.string("protocol name") == "MQTT" else {
            throw .protocolViolation("CONNECT protocol name is not MQTT")
        }
        let level = try reader.byte("protocol level")
        guard level == 4 else { throw .protocolViolation("CONNECT protocol level \(level), expected 4") }
        let flags = try reader.byte("connect flags")
        guard flags & 0x01 == 0 else { throw .protocolViolation("CONNECT reserved flag set") }
        let hasWill = flags & 0x04 != 0
        guard let willQoS = MQTTQoS(rawValue: (flags >> 3) & 0b11) else {
            throw .protocolViolation("CONNECT will QoS 3")
        }
        guard hasWill || (willQoS == .atMostOnce && flags & 0x20 == 0) else {
            throw .protocolViolation("CONNECT will QoS or retain set without a will")
        }
        let hasUsername = flags & 0x80 != 0
        let hasPassword = flags & 0x40 != 0
        guard hasUsername || !hasPassword else { throw .protocolViolation("CONNECT password without user name") }
        let keepAlive = try reader.uint16("keep alive")
        let clientID = try reader.string("client id")
        var will: MQTTMessage?
        if hasWill {
            let topic = try reader.string("will topic")
            let payload = try reader.binary("will message")
            will = MQTTMessage(topic: topic, payload: payload, qos: willQoS, retain: flags & 0x20 != 0)
        }
        let username = hasUsername ? try reader.string("user name") : nil
        let password = hasPassword ? try reader.binary("password") : nil
        try reader.expectEnd()
        return MQTTConnect(
            clientID: clientID,
            cleanSession: flags & 0x02 != 0,
            keepAlive: keepAlive,
            will: will,
            username: username,
            password: password
        )
    }
}
