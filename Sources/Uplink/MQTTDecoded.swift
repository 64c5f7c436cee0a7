/// What `MQTTPacketDecoder` read next: a whole packet, or a PUBLISH over the limit whose payload it skipped.
public enum MQTTDecoded: Hashable, Sendable {
    /// A complete packet.
    case packet(MQTTPacket)
    /// A PUBLISH too large to keep: header only, the payload was discarded as it arrived.
    case oversizedPublish(MQTTOversizedPublish)
}
