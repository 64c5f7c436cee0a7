import HAL

/// Folds repeated sightings of the same EPC on the same antenna within `window` into one `TagRead`.
///
/// A window opens at a key's first sighting and closes `window` later (a sighting exactly at the close opens a new
/// window). Because every window has the same length, windows close in the order they opened: open windows live in
/// a first-in-first-out queue indexed by a dictionary, so each sighting and each emission is O(1) amortised.
/// At most `capacity` windows are open; a new key arriving at capacity closes the oldest window early.
/// Emission order is always window-open order. Instants are expected to be non-decreasing; if they go backwards,
/// nothing traps, but windows still close in the order they opened.
public struct TagDeduplicator: Sendable {
    private struct Key: Hashable, Sendable {
        var epc: [UInt8]
        var antenna: Int
    }

    /// How long a window stays open after its first sighting (at least 1 ns).
    public let window: Duration
    /// The most windows open at once (at least 1).
    public let capacity: Int

    /// Open windows in the order they opened; entries before `head` are already emitted.
    private var queue: [TagRead] = []
    private var head = 0
    /// The position of each open window in `queue`, offset by `base` so removals at the front stay O(1).
    private var positions: [Key: Int] = [:]
    private var base = 0

    /// Creates an empty de-duplicator; a non-positive `window` or `capacity` is raised to its minimum.
    public init(window: Duration, capacity: Int = 1024) {
        self.window = max(window, .nanoseconds(1))
        self.capacity = max(1, capacity)
    }

    /// How many windows are open.
    public var openWindowCount: Int { queue.count - head }

    /// When `expire(at:)` must next be called to close the oldest window; nil when none is open.
    public var deadline: ClockInstant? {
        guard head < queue.count else { return nil }
        return queue[head].firstSeen + window
    }

    /// Records a sighting at `now`; returns reads whose windows closed by `now` or were closed early for capacity.
    public mutating func observe(_ tag: TagObservation, at now: ClockInstant) -> [TagRead] {
        var reads = expire(at: now)
        let key = Key(epc: tag.epc, antenna: tag.antenna)
        if let position = positions[key] {
            let slot = position - base
            queue[slot].lastSeen = max(queue[slot].lastSeen, now)
            queue[slot].count += 1
            queue[slot].peakRSSI = max(queue[slot].peakRSSI, tag.rssi)
            return reads
        }
        if openWindowCount >= capacity, let oldest = popOldest() {
            reads.append(oldest)
        }
        positions[key] = base + queue.count
        queue.append(
            TagRead(
                epc: tag.epc,
                antenna: tag.antenna,
                firstSeen: now,
                lastSeen: now,
                count: 1,
                peakRSSI: tag.rssi
            )
        )
        return reads
    }

    /// Closes and returns every window whose time has elapsed by `now`, oldest first.
    public mutating func expire(at now: ClockInstant) -> [TagRead] {
        var reads: [TagRead] = []
        while let deadline, now >= deadline, let oldest = popOldest() {
            reads.append(oldest)
        }
        return reads
    }

    /// Closes and returns every open window, oldest first, e.g. at shutdown or disconnect.
    public mutating func flush() -> [TagRead] {
        let reads = Array(queue[head...])
        queue.removeAll(keepingCapacity: true)
        positions.removeAll(keepingCapacity: true)
        head = 0
        base = 0
        return reads
    }

    private mutating func popOldest() -> TagRead? {
        guard head < queue.count else { return nil }
        let oldest = queue[head]
        positions[Key(epc: oldest.epc, antenna: oldest.antenna)] = nil
        head += 1
        if head == queue.count {
            base += head
            queue.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= 64, head * 2 >= queue.count {
            // Compact once the emitted prefix dominates: each entry moves O(1) times on average.
            base += head
            queue.removeFirst(head)
            head = 0
        }
        return oldest
    }
}
