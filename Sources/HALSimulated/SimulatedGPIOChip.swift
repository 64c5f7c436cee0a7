import HAL
import Locking

/// A GPIO chip in memory: a test (or the demo simulator) drives its inputs with `drive(_:high:)` and observes
/// what the code under test put on its outputs in `outputHistory`. Made with `kernelDebounce`, it debounces inputs
/// requested with a `debounce` period as the kernel does under libgpiod 2.x; without, it is libgpiod 1.6 (none).
public final class SimulatedGPIOChip: GPIOChip {
    /// One change of an output's physical level.
    public struct OutputChange: Hashable, Sendable, CustomStringConvertible {
        public var time: ClockInstant
        public var offset: Int
        /// The physical level (after active-low inversion).
        public var high: Bool

        public var description: String { "\(time) line \(offset) \(high ? "high" : "low")" }
    }

    private struct Line {
        var name: String?
        var physicalHigh = false
        /// Whether the test has set the level (a switch or signal on the pin); a pull resistor then changes nothing.
        var drivenByTest = false
        var request: Request?
    }

    private struct Request {
        var id: UInt64
        var consumer: String
        var direction: GPIODirection
        var activeLow: Bool
        var edges: GPIOEdgeDetection
        var queue: DeviceInbox<GPIOEdgeEvent>?
        var bias: GPIOBias = .asIs
        var drive: GPIODrive = .pushPull
        /// The kernel debounce period applied to this input, if any.
        var debounce: Duration? = nil
        /// The logical level last reported (debounced inputs only).
        var reportedActive = false
        /// Counts drives of a debounced input: a settle timer applies only if no drive came after it was set.
        var generation: UInt64 = 0
    }

    private struct State {
        var lines: [Line]
        var history: [OutputChange] = []
        var nextRequestID: UInt64 = 0
        var outputReactions: [Int: [@Sendable (Bool) -> Void]] = [:]
    }

    public let info: GPIOChipInfo
    /// Whether inputs requested with a `debounce` period are debounced here, as libgpiod 2.x's kernel does.
    public let kernelDebounce: Bool
    private let clock: any Clock
    private let state: Locked<State>

    /// Makes a chip whose lines carry `lineNames` (nil for an unnamed line); all inputs start low.
    public init(name: String, label: String, lineNames: [String?], clock: any Clock, kernelDebounce: Bool = false) {
        info = GPIOChipInfo(name: name, label: label, lineCount: lineNames.count)
        self.kernelDebounce = kernelDebounce
        self.clock = clock
        state = Locked(State(lines: lineNames.map { Line(name: $0) }))
    }

    /// Makes a chip of `lineCount` unnamed lines.
    public convenience init(
        name: String,
        label: String,
        lineCount: Int,
        clock: any Clock,
        kernelDebounce: Bool = false
    ) {
        self.init(
            name: name,
            label: label,
            lineNames: Array(repeating: nil, count: lineCount),
            clock: clock,
            kernelDebounce: kernelDebounce
        )
    }

    public func lines() throws(HALError) -> [GPIOLineInfo] {
        state.withLock { state in
            state.lines.enumerated().map { offset, line in
                GPIOLineInfo(
                    offset: offset,
                    name: line.name,
                    consumer: line.request?.consumer,
                    direction: line.request?.direction ?? .input,
                    activeLow: line.request?.activeLow ?? false,
                    used: line.request != nil
                )
            }
        }
    }

    public func offset(ofLineNamed name: String) throws(HALError) -> Int? {
        state.withLock { $0.lines.firstIndex { $0.name == name } }
    }

    public func requestInput(
        offset: Int,
        consumer: String,
        configuration: GPIOInputConfiguration
    )
        throws(HALError) -> any GPIOInputLine
    {
        let queue = configuration.edges == .none ? nil : DeviceInbox<GPIOEdgeEvent>(clock: clock)
        let debounce = kernelDebounce ? configuration.debounce.flatMap { $0 > .zero ? $0 : nil } : nil
        let id = try claim(
            offset: offset,
            request: Request(
                id: 0,
                consumer: consumer,
                direction: .input,
                activeLow: configuration.activeLow,
                edges: configuration.edges,
                queue: queue,
                bias: configuration.bias,
                debounce: debounce
            )
        )
        if configuration.bias == .pullUp || configuration.bias == .pullDown {
            // An undriven pin follows its pull resistor, as gpio-sim's lines follow their `pull`.
            state.withLock { state in
                if !state.lines[offset].drivenByTest {
                    state.lines[offset].physicalHigh = configuration.bias == .pullUp
                }
            }
        }
        return SimulatedGPIOInputLine(chip: self, offset: offset, requestID: id, queue: queue, debounce: debounce)
    }

    public func requestOutput(
        offset: Int,
        consumer: String,
        configuration: GPIOOutputConfiguration
    )
        throws(HALError) -> any GPIOOutputLine
    {
        let id = try claim(
            offset: offset,
            request: Request(
                id: 0,
                consumer: consumer,
                direction: .output,
                activeLow: configuration.activeLow,
                edges: .none,
                queue: nil,
                bias: configuration.bias,
                drive: configuration.drive
            )
        )
        let line = SimulatedGPIOOutputLine(chip: self, offset: offset, requestID: id)
        try line.write(configuration.initialValue)
        return line
    }

    // MARK: The test's side

    /// How a line is requested: what the code under test asked the kernel for.
    public struct RequestedSettings: Hashable, Sendable {
        public var consumer: String
        public var direction: GPIODirection
        public var activeLow: Bool
        public var edges: GPIOEdgeDetection
        public var bias: GPIOBias
        public var drive: GPIODrive
    }

    /// The settings line `offset` is requested with; nil while nobody holds it.
    public func requestedSettings(_ offset: Int) -> RequestedSettings? {
        state.withLock { state in
            guard state.lines.indices.contains(offset), let request = state.lines[offset].request else { return nil }
            return RequestedSettings(
                consumer: request.consumer,
                direction: request.direction,
                activeLow: request.activeLow,
                edges: request.edges,
                bias: request.bias,
                drive: request.drive
            )
        }
    }

    /// Sets the physical level of line `offset`, as a pull resistor or a switch would; a requested input with
    /// edge detection sees an edge event stamped with the clock's time. A debounced input (`kernelDebounce`) sees
    /// it only once the level has held for the debounce period, stamped then, as the kernel reports it.
    public func drive(_ offset: Int, high: Bool) {
        let now = clock.now
        enum Outcome {
            case none
            case edge(GPIOEdgeEvent, DeviceInbox<GPIOEdgeEvent>)
            case settle(requestID: UInt64, generation: UInt64, at: ClockInstant)
        }
        let outcome = state.withLock { state -> Outcome in
            guard state.lines.indices.contains(offset) else { return .none }
            state.lines[offset].drivenByTest = true
            guard state.lines[offset].physicalHigh != high else { return .none }
            state.lines[offset].physicalHigh = high
            guard var request = state.lines[offset].request, request.direction == .input else { return .none }
            if let debounce = request.debounce {
                request.generation += 1
                state.lines[offset].request = request
                return .settle(requestID: request.id, generation: request.generation, at: now + debounce)
            }
            guard let queue = request.queue,
                let event = Self.edge(offset, request, active: high != request.activeLow, at: now)
            else { return .none }
            return .edge(event, queue)
        }
        switch outcome {
        case .none: break
        case .edge(let event, let queue): queue.send(event)
        case .settle(let requestID, let generation, let deadline):
            let clock = clock
            Task { [weak self] in
                try? await clock.sleep(until: deadline)
                self?.settle(offset: offset, requestID: requestID, generation: generation, at: deadline)
            }
        }
    }

    /// The edge a change to `active` makes on `request`'s line, if its edge detection wants it.
    private static func edge(_ offset: Int, _ request: Request, active: Bool, at time: ClockInstant) -> GPIOEdgeEvent? {
        let kind: GPIOEdgeEvent.Kind = active ? .rising : .falling
        switch (request.edges, kind) {
        case (.both, _), (.rising, .rising), (.falling, .falling):
            return GPIOEdgeEvent(offset: offset, kind: kind, timestamp: time)
        default:
            return nil
        }
    }

    /// A debounce timer ran out: if no drive came since it was set and the level differs from the one last reported,
    /// the level counts and an edge is reported, stamped at `time`.
    private func settle(offset: Int, requestID: UInt64, generation: UInt64, at time: ClockInstant) {
        let pushed = state.withLock { state -> (GPIOEdgeEvent, DeviceInbox<GPIOEdgeEvent>)? in
            guard var request = state.lines[offset].request, request.id == requestID, request.generation == generation
            else { return nil }
            let active = state.lines[offset].physicalHigh != request.activeLow
            guard active != request.reportedActive else { return nil }
            request.reportedActive = active
            state.lines[offset].request = request
            guard let queue = request.queue, let event = Self.edge(offset, request, active: active, at: time) else {
                return nil
            }
            return (event, queue)
        }
        if let (event, queue) = pushed { queue.send(event) }
    }

    /// Sets the physical level of the line named `name`; returns false when no line has that name.
    @discardableResult
    public func drive(named name: String, high: Bool) -> Bool {
        guard let offset = state.withLock({ $0.lines.firstIndex { $0.name == name } }) else { return false }
        drive(offset, high: high)
        return true
    }

    /// Calls `reaction` with the new physical level each time the code under test changes output `offset`'s level,
    /// after the write and outside the chip's lock: how a simulation wires an output to the world around it (a
    /// lock's solenoid that lets its door spring open, moving the door sensor's line).
    public func onOutputChange(of offset: Int, _ reaction: @escaping @Sendable (_ high: Bool) -> Void) {
        state.withLock { $0.outputReactions[offset, default: []].append(reaction) }
    }

    /// The physical level of line `offset` now (what a meter on the pin would show).
    public func physicalLevel(_ offset: Int) -> Bool {
        state.withLock { state in state.lines.indices.contains(offset) ? state.lines[offset].physicalHigh : false }
    }

    /// Every change the code under test made to an output, in order.
    public var outputHistory: [OutputChange] {
        state.withLock { $0.history }
    }

    // MARK: Line requests

    private func claim(offset: Int, request: Request) throws(HALError) -> UInt64 {
        let path = "/dev/\(info.name)"
        let result = state.withLock { state -> Result<UInt64, HALError> in
            guard state.lines.indices.contains(offset) else {
                return .failure(
                    .notFound(path: path, detail: "line \(offset), the chip has lines 0...\(state.lines.count - 1)")
                )
            }
            if let holder = state.lines[offset].request {
                return .failure(.busy(path: "\(path) line \(offset)", holder: holder.consumer))
            }
            state.nextRequestID += 1
            var request = request
            request.id = state.nextRequestID
            request.reportedActive = state.lines[offset].physicalHigh != request.activeLow
            state.lines[offset].request = request
            return .success(request.id)
        }
        return try result.get()
    }

    fileprivate func release(offset: Int, requestID: UInt64) {
        let queue = state.withLock { state -> DeviceInbox<GPIOEdgeEvent>? in
            guard let request = state.lines[offset].request, request.id == requestID else { return nil }
            state.lines[offset].request = nil
            return request.queue
        }
        queue?.close()
    }

    fileprivate func value(offset: Int, requestID: UInt64) throws(HALError) -> Bool {
        let result = state.withLock { state -> Result<Bool, HALError> in
            guard let request = state.lines[offset].request, request.id == requestID else {
                return .failure(.closed(path: "/dev/\(info.name) line \(offset)"))
            }
            if request.debounce != nil { return .success(request.reportedActive) }
            return .success(state.lines[offset].physicalHigh != request.activeLow)
        }
        return try result.get()
    }

    fileprivate func setOutput(offset: Int, requestID: UInt64, value: Bool) throws(HALError) {
        let now = clock.now
        let result = state.withLock { state -> Result<(high: Bool, reactions: [@Sendable (Bool) -> Void]), HALError> in
            guard let request = state.lines[offset].request, request.id == requestID else {
                return .failure(.closed(path: "/dev/\(info.name) line \(offset)"))
            }
            let driven = value != request.activeLow
            // Open drain drives only low and open source only high; otherwise the line floats to its pull resistor
            // (or stays where it was with none), as gpiolib's emulation leaves it.
            let floats = (request.drive == .openDrain && driven) || (request.drive == .openSource && !driven)
            let high: Bool
            switch (floats, request.bias) {
            case (false, _): high = driven
            case (true, .pullUp): high = true
            case (true, .pullDown): high = false
            case (true, _): high = state.lines[offset].physicalHigh
            }
            let changed = state.lines[offset].physicalHigh != high
            if changed || !state.history.contains(where: { $0.offset == offset }) {
                state.history.append(OutputChange(time: now, offset: offset, high: high))
            }
            state.lines[offset].physicalHigh = high
            return .success((high, changed ? state.outputReactions[offset, default: []] : []))
        }
        let (high, reactions) = try result.get()
        for reaction in reactions {
            reaction(high)
        }
    }
}

/// An input line of a `SimulatedGPIOChip`.
final class SimulatedGPIOInputLine: GPIOInputLine {
    let offset: Int
    /// The debounce the chip applies (only with `kernelDebounce`).
    let debounce: Duration?
    private let chip: SimulatedGPIOChip
    private let requestID: UInt64
    private let queue: DeviceInbox<GPIOEdgeEvent>?

    init(
        chip: SimulatedGPIOChip,
        offset: Int,
        requestID: UInt64,
        queue: DeviceInbox<GPIOEdgeEvent>?,
        debounce: Duration?
    ) {
        self.chip = chip
        self.offset = offset
        self.requestID = requestID
        self.queue = queue
        self.debounce = debounce
    }

    deinit { chip.release(offset: offset, requestID: requestID) }

    func read() throws(HALError) -> Bool {
        try chip.value(offset: offset, requestID: requestID)
    }

    var edges: GPIOEdgeEvents {
        let queue = queue
        return GPIOEdgeEvents { () async throws(HALError) -> GPIOEdgeEvent? in
            guard case .input(let event)? = await queue?.next(until: nil) else { return nil }
            return event
        }
    }

    func close() { chip.release(offset: offset, requestID: requestID) }
}

/// An output line of a `SimulatedGPIOChip`.
final class SimulatedGPIOOutputLine: GPIOOutputLine {
    let offset: Int
    private let chip: SimulatedGPIOChip
    private let requestID: UInt64

    init(chip: SimulatedGPIOChip, offset: Int, requestID: UInt64) {
        self.chip = chip
        self.offset = offset
        self.requestID = requestID
    }

    deinit { chip.release(offset: offset, requestID: requestID) }

    func write(_ value: Bool) throws(HALError) {
        try chip.setOutput(offset: offset, requestID: requestID, value: value)
    }

    func read() throws(HALError) -> Bool {
        try chip.value(offset: offset, requestID: requestID)
    }

    func close() { chip.release(offset: offset, requestID: requestID) }
}

/// A set of simulated chips behind the `GPIOBackend` protocol.
public struct SimulatedGPIOBackend: GPIOBackend {
    public let chipsByName: [String: SimulatedGPIOChip]

    public init(chips: [SimulatedGPIOChip]) {
        chipsByName = Dictionary(chips.map { ($0.info.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    public func chips() throws(HALError) -> [GPIOChipInfo] {
        chipsByName.values.map(\.info).sorted { $0.name < $1.name }
    }

    public func openChip(_ selector: GPIOChipSelector) throws(HALError) -> any GPIOChip {
        let match: SimulatedGPIOChip?
        switch selector {
        case .name(let name): match = chipsByName[name]
        case .path(let path): match = chipsByName[String(path.split(separator: "/").last ?? "")]
        case .label(let label): match = chipsByName.values.first { $0.info.label == label }
        case .number(let number): match = chipsByName["gpiochip\(number)"]
        }
        guard let match else {
            throw .notFound(path: selector.description, detail: "no such GPIO chip in the simulation")
        }
        return match
    }
}
