import Devices
import HAL
import TestSupport
import Testing

private func sighting(_ epc: [UInt8], antenna: Int = 1, rssi: Int = -60) -> TagObservation {
    TagObservation(epc: epc, pc: UInt16(epc.count / 2) << 11, rssi: rssi, antenna: antenna, crc: nil)
}

private let tagA: [UInt8] = [0xE2, 0x00, 0x00, 0x0A]
private let tagB: [UInt8] = [0xE2, 0x00, 0x00, 0x0B]
private let tagC: [UInt8] = [0xE2, 0x00, 0x00, 0x0C]

struct DedupCase: Sendable, CustomStringConvertible, CustomTestStringConvertible {
    /// One sighting: milliseconds since origin, EPC, antenna, RSSI.
    struct Sighting: Sendable {
        let ms: Int
        let epc: [UInt8]
        let antenna: Int
        let rssi: Int
    }

    /// A read reduced to EPC, antenna, first/last ms, count and peak RSSI.
    struct Read: Hashable, Sendable, CustomStringConvertible {
        let epc: [UInt8]
        let antenna: Int
        let first: Int
        let last: Int
        let count: Int
        let peak: Int

        init(_ epc: [UInt8], antenna: Int = 1, first: Int, last: Int, count: Int, peak: Int) {
            self.epc = epc
            self.antenna = antenna
            self.first = first
            self.last = last
            self.count = count
            self.peak = peak
        }

        init(_ read: TagRead) {
            self.init(
                read.epc,
                antenna: read.antenna,
                first: Int(read.firstSeen.sinceOrigin / .milliseconds(1)),
                last: Int(read.lastSeen.sinceOrigin / .milliseconds(1)),
                count: read.count,
                peak: read.peakRSSI
            )
        }

        var description: String { "\(epc.last ?? 0)@\(antenna) [\(first)…\(last)] ×\(count) peak \(peak)" }
    }

    let name: String
    let capacity: Int
    let sightings: [Sighting]
    /// Reads returned by `observe` and a final `expire` at `expireAtMs`, in order.
    let expected: [Read]
    let expireAtMs: Int

    var description: String { name }
    var testDescription: String { name }
}

private func see(_ ms: Int, _ epc: [UInt8], antenna: Int = 1, rssi: Int = -60) -> DedupCase.Sighting {
    .init(ms: ms, epc: epc, antenna: antenna, rssi: rssi)
}

@Suite("TagDeduplicator")
struct TagDeduplicatorTests {
    static let window = Duration.seconds(1)

    static let cases: [DedupCase] = [
        .init(
            name: "repeats within the window fold into one read with peak RSSI",
            capacity: 16,
            sightings: [see(0, tagA, rssi: -70), see(100, tagA, rssi: -52), see(900, tagA, rssi: -65)],
            expected: [.init(tagA, first: 0, last: 900, count: 3, peak: -52)],
            expireAtMs: 1000
        ),
        .init(
            name: "a sighting exactly at the window end opens a new window",
            capacity: 16,
            sightings: [see(0, tagA), see(1000, tagA), see(1500, tagA)],
            expected: [
                .init(tagA, first: 0, last: 0, count: 1, peak: -60),
                .init(tagA, first: 1000, last: 1500, count: 2, peak: -60),
            ],
            expireAtMs: 2000
        ),
        .init(
            name: "antennas are kept apart",
            capacity: 16,
            sightings: [see(0, tagA, antenna: 1), see(10, tagA, antenna: 2), see(20, tagA, antenna: 1)],
            expected: [
                .init(tagA, antenna: 1, first: 0, last: 20, count: 2, peak: -60),
                .init(tagA, antenna: 2, first: 10, last: 10, count: 1, peak: -60),
            ],
            expireAtMs: 5000
        ),
        .init(
            name: "emission follows window start, not last sighting",
            capacity: 16,
            sightings: [see(0, tagA), see(10, tagB), see(20, tagC), see(30, tagA), see(40, tagB)],
            expected: [
                .init(tagA, first: 0, last: 30, count: 2, peak: -60),
                .init(tagB, first: 10, last: 40, count: 2, peak: -60),
                .init(tagC, first: 20, last: 20, count: 1, peak: -60),
            ],
            expireAtMs: 5000
        ),
        .init(
            name: "a new key at capacity closes the oldest window early",
            capacity: 2,
            sightings: [see(0, tagA), see(10, tagB), see(20, tagA), see(30, tagC), see(40, tagB)],
            expected: [
                .init(tagA, first: 0, last: 20, count: 2, peak: -60),
                .init(tagB, first: 10, last: 40, count: 2, peak: -60),
                .init(tagC, first: 30, last: 30, count: 1, peak: -60),
            ],
            expireAtMs: 5000
        ),
        .init(
            name: "a repeat at capacity does not evict",
            capacity: 1,
            sightings: [see(0, tagA), see(10, tagA), see(20, tagB)],
            expected: [
                .init(tagA, first: 0, last: 10, count: 2, peak: -60),
                .init(tagB, first: 20, last: 20, count: 1, peak: -60),
            ],
            expireAtMs: 5000
        ),
    ]

    @Test("folds sightings", arguments: cases)
    func folds(_ testCase: DedupCase) {
        var deduplicator = TagDeduplicator(window: Self.window, capacity: testCase.capacity)
        var reads: [TagRead] = []
        for sighting in testCase.sightings {
            let tag = TagObservation(
                epc: sighting.epc,
                pc: 0x1000,
                rssi: sighting.rssi,
                antenna: sighting.antenna,
                crc: nil
            )
            reads += deduplicator.observe(tag, at: at(ms: sighting.ms))
            #expect(deduplicator.openWindowCount <= testCase.capacity)
        }
        reads += deduplicator.expire(at: at(ms: testCase.expireAtMs))
        #expect(reads.map(DedupCase.Read.init) == testCase.expected)
        #expect(deduplicator.openWindowCount == 0)
        #expect(deduplicator.deadline == nil)
    }

    @Test("the deadline is the oldest window's close and expire honours it")
    func deadlineTracksOldestWindow() {
        var deduplicator = TagDeduplicator(window: Self.window)
        #expect(deduplicator.deadline == nil)
        _ = deduplicator.observe(sighting(tagA), at: at(ms: 100))
        _ = deduplicator.observe(sighting(tagB), at: at(ms: 400))
        _ = deduplicator.observe(sighting(tagA), at: at(ms: 900))
        #expect(deduplicator.deadline == at(ms: 1100))
        #expect(deduplicator.expire(at: at(ms: 1099)).isEmpty)
        #expect(deduplicator.expire(at: at(ms: 1100)).map(\.epc) == [tagA])
        #expect(deduplicator.deadline == at(ms: 1400))
        #expect(deduplicator.expire(at: at(ms: 1400)).map(\.epc) == [tagB])
        #expect(deduplicator.deadline == nil)
    }

    @Test("observe closes elapsed windows before counting the new sighting")
    func observeExpiresFirst() {
        var deduplicator = TagDeduplicator(window: Self.window)
        _ = deduplicator.observe(sighting(tagA), at: at(ms: 0))
        let closed = deduplicator.observe(sighting(tagB), at: at(ms: 2500))
        #expect(closed.map(DedupCase.Read.init) == [.init(tagA, first: 0, last: 0, count: 1, peak: -60)])
        #expect(deduplicator.openWindowCount == 1)
    }

    @Test("flush emits every open window in start order and empties the state")
    func flushEmitsEverything() {
        var deduplicator = TagDeduplicator(window: Self.window)
        _ = deduplicator.observe(sighting(tagC), at: at(ms: 0))
        _ = deduplicator.observe(sighting(tagA), at: at(ms: 1))
        _ = deduplicator.observe(sighting(tagB), at: at(ms: 2))
        _ = deduplicator.observe(sighting(tagC), at: at(ms: 3))
        #expect(deduplicator.flush().map(\.epc) == [tagC, tagA, tagB])
        #expect(deduplicator.openWindowCount == 0)
        #expect(deduplicator.deadline == nil)
        #expect(deduplicator.flush().isEmpty)
        _ = deduplicator.observe(sighting(tagA), at: at(ms: 10))
        #expect(deduplicator.flush().map(\.count) == [1])
    }

    @Test("non-positive window and capacity are clamped instead of trapping")
    func clampsParameters() {
        var deduplicator = TagDeduplicator(window: .seconds(-1), capacity: 0)
        #expect(deduplicator.capacity == 1)
        #expect(deduplicator.window > .zero)
        _ = deduplicator.observe(sighting(tagA), at: at(ms: 0))
        #expect(deduplicator.observe(sighting(tagB), at: at(ms: 0)).map(\.epc) == [tagA])
    }

    @Test("an instant going backwards does not trap or lose sightings")
    func timeGoingBackwards() {
        var deduplicator = TagDeduplicator(window: Self.window)
        _ = deduplicator.observe(sighting(tagA), at: at(ms: 500))
        _ = deduplicator.observe(sighting(tagA), at: at(ms: 200))
        _ = deduplicator.observe(sighting(tagB), at: at(ms: 100))
        let reads = deduplicator.flush()
        #expect(reads.map(\.count).reduce(0, +) == 3)
        #expect(reads.first?.lastSeen == at(ms: 500))
    }

    @Test("a storm of 100k sightings of 5k EPCs stays within capacity and loses nothing")
    func storm() async {
        var generator = SplitMix64(seed: 0x5709_4D00)
        let epcs: [[UInt8]] = (0..<5000).map { index in
            [0xE2, 0x80, 0x11, 0x70, 0x00, 0x00, 0x02, 0x0F, 0x00, 0x00, UInt8(index >> 8), UInt8(index & 0xFF)]
        }
        let capacity = 1024
        var deduplicator = TagDeduplicator(window: .milliseconds(200), capacity: capacity)
        var reads: [TagRead] = []
        var maxOpen = 0
        for step in 0..<100_000 {
            let now = ClockInstant.zero + .microseconds(step * 20)
            let tag = TagObservation(
                epc: epcs[Int.random(in: 0..<epcs.count, using: &generator)],
                pc: 0x3000,
                rssi: Int.random(in: -90 ... -30, using: &generator),
                antenna: step % 4 == 0 ? 2 : 1,
                crc: nil
            )
            reads += deduplicator.observe(tag, at: now)
            if step % 1000 == 0 {
                reads += deduplicator.expire(at: now)
                // A long CPU-bound loop gives the two-thread cooperative pool back to the tests beside it now and then.
                await Task.yield()
            }
            maxOpen = max(maxOpen, deduplicator.openWindowCount)
        }
        reads += deduplicator.flush()
        #expect(maxOpen <= capacity)
        #expect(maxOpen == capacity)
        #expect(reads.reduce(0) { $0 + $1.count } == 100_000)
        #expect(reads.allSatisfy { $0.count >= 1 && $0.lastSeen >= $0.firstSeen })
        #expect(reads.allSatisfy { $0.lastSeen - $0.firstSeen < .milliseconds(200) })
        #expect(zip(reads, reads.dropFirst()).allSatisfy { $0.firstSeen <= $1.firstSeen })
    }
}
