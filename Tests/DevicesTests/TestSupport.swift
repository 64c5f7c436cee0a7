import Devices
import HAL

/// A small deterministic generator (SplitMix64) so randomised tests replay identically.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Parses "BB 00 22" or "BB0022" style hex into bytes; protocol documents write vectors the first way, EPCs
/// are usually written the second.
func bytes(_ hex: String) -> [UInt8] {
    let digits = Array(hex.filter { $0 != " " })
    return stride(from: 0, to: digits.count - 1, by: 2).compactMap { UInt8(String(digits[$0...$0 + 1]), radix: 16) }
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
