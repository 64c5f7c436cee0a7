import HAL
import Locking

/// What `floorctl gpio` does on a GPIO backend, as the libgpiod tools do it (gpioinfo, gpioget, gpioset, gpiomon):
/// kept apart from the command line so that tests run it on a simulated chip.
public enum GPIOTool {
    /// A chip with its lines, as `gpioinfo` prints them.
    public struct ChipLines: Sendable {
        public var chip: GPIOChipInfo
        public var lines: [GPIOLineInfo]
    }

    /// Every chip (or only `selector`'s) with each line's offset, name, direction, active-low and consumer.
    public static func info(
        _ backend: any GPIOBackend,
        chip selector: GPIOChipSelector? = nil
    ) throws(HALError)
        -> [ChipLines]
    {
        var selectors: [GPIOChipSelector] = []
        if let selector {
            selectors = [selector]
        } else {
            selectors = try backend.chips().map { GPIOChipSelector.name($0.name) }
        }
        var result: [ChipLines] = []
        for selector in selectors {
            let chip = try backend.openChip(selector)
            result.append(ChipLines(chip: chip.info, lines: try chip.lines()))
        }
        return result
    }

    /// Reads `pin` once, requested as an input with `configuration` (bias, active-low) and released.
    public static func read(
        _ pin: PinReference,
        backend: any GPIOBackend,
        configuration: GPIOInputConfiguration,
        consumer: String = "floorctl"
    ) throws(HALError) -> Bool {
        let line = try backend.openChip(pin.chip).requestInput(
            offset: pin.offset,
            consumer: consumer,
            configuration: configuration
        )
        defer { line.close() }
        return try line.read()
    }

    /// Requests `pin` as an output driven to `configuration.initialValue` (with its drive, bias and active-low);
    /// held until the caller closes it.
    public static func drive(
        _ pin: PinReference,
        backend: any GPIOBackend,
        configuration: GPIOOutputConfiguration,
        consumer: String = "floorctl"
    ) throws(HALError) -> any GPIOOutputLine {
        try backend.openChip(pin.chip).requestOutput(
            offset: pin.offset,
            consumer: consumer,
            configuration: configuration
        )
    }
}

/// Several input lines watched for edges at once, as `gpiomon` does; the edges arrive merged, in the order read.
public final class GPIOMonitor: Sendable {
    /// One edge and the line it came from.
    public struct Edge: Hashable, Sendable {
        public var pin: PinReference
        public var event: GPIOEdgeEvent
    }

    public let pins: [PinReference]
    private let lines: [any GPIOInputLine]

    /// Requests every pin as an input with `configuration` (its edges, bias and active-low); a line that cannot be
    /// requested releases the ones already held.
    public init(
        _ pins: [PinReference],
        backend: any GPIOBackend,
        configuration: GPIOInputConfiguration,
        consumer: String = "floorctl"
    ) throws(HALError) {
        var chips: [GPIOChipSelector: any GPIOChip] = [:]
        var lines: [any GPIOInputLine] = []
        do throws(HALError) {
            for pin in pins {
                let chip: any GPIOChip
                if let open = chips[pin.chip] {
                    chip = open
                } else {
                    chip = try backend.openChip(pin.chip)
                    chips[pin.chip] = chip
                }
                lines.append(
                    try chip.requestInput(offset: pin.offset, consumer: consumer, configuration: configuration)
                )
            }
        } catch {
            for line in lines { line.close() }
            throw error
        }
        self.pins = pins
        self.lines = lines
    }

    /// The edges of every line, merged; the stream ends after `count` edges (never when nil) or when the lines are
    /// closed, and throws a line's read error.
    public func edges(count: Int? = nil) -> AsyncThrowingStream<Edge, any Error> {
        let (stream, continuation) = AsyncThrowingStream<Edge, any Error>.makeStream()
        let seen = Locked(0)
        let task = Task { [pins, lines] in
            await withTaskGroup(of: Void.self) { group in
                for (pin, line) in zip(pins, lines) {
                    group.addTask {
                        do throws(HALError) {
                            for try await event in line.edges {
                                let more = seen.withLock { seen -> Bool in
                                    guard count.map({ seen < $0 }) ?? true else { return false }
                                    seen += 1
                                    continuation.yield(Edge(pin: pin, event: event))
                                    return count.map { seen < $0 } ?? true
                                }
                                if !more {
                                    continuation.finish()
                                    return
                                }
                            }
                        } catch {
                            continuation.finish(throwing: error)
                        }
                    }
                }
            }
            continuation.finish()
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    /// Releases every line (their edge sequences end).
    public func close() {
        for line in lines { line.close() }
    }
}
