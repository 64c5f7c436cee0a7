import Devices
import Events
import HAL
import TestSupport

/// Parses "BB 00 22" or "BB0022" style hex into bytes; protocol documents write vectors the first way, EPCs
/// are usually written the second.
func bytes(_ hex: String) -> [UInt8] {
    Hex.bytes(hex.filter { $0 != " " }) ?? []
}

/// The ASCII bytes of a string literal, for scanner payloads.
func ascii(_ text: String) -> [UInt8] {
    Array(text.utf8)
}

/// An instant `milliseconds` after the clock origin.
func at(ms milliseconds: Int) -> ClockInstant {
    ClockInstant.zero + .milliseconds(milliseconds)
}

/// Cuts `stream` at the given sorted offsets.
func pieces(of stream: [UInt8], cutAt offsets: [Int]) -> [ArraySlice<UInt8>] {
    var result: [ArraySlice<UInt8>] = []
    var start = 0
    for offset in offsets where offset > start && offset < stream.count {
        result.append(stream[start..<offset])
        start = offset
    }
    result.append(stream[start...])
    return result
}

/// `count` sorted random cut offsets inside a stream of `length` bytes.
func randomCuts(length: Int, count: Int, using generator: inout SplitMix64) -> [Int] {
    guard length > 1 else { return [] }
    return (0..<count).map { _ in Int.random(in: 1..<length, using: &generator) }.sorted()
}
