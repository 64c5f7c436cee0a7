import CGPIOD
import Glibc
import HAL
import IOEngine
import Locking

/// A requested input line; edges are read from its event descriptor once the `IOLoop` says it is readable.
final class LinuxGPIOInputLine: GPIOInputLine, LinuxGPIOEdgeBatches {
    let offset: Int
    /// libgpiod 1.6 has no kernel debounce: drivers debounce in software.
    let debounce: Duration? = nil
    private let chip: LinuxGPIOChip
    private let line: LinuxGPIOLine
    private let eventFD: Int32?
    private let loop: IOLoop
    private let state = Locked<(released: Bool, buffered: [GPIOEdgeEvent])>((false, []))

    init(chip: LinuxGPIOChip, line: LinuxGPIOLine, offset: Int, eventFD: Int32?, loop: IOLoop) {
        self.chip = chip
        self.line = line
        self.offset = offset
        self.eventFD = eventFD
        self.loop = loop
    }

    deinit { close() }

    /// `gpiod_line_get_value`: the logical value (active-low applied by the kernel).
    func read() throws(HALError) -> Bool {
        let released = state.withLock { $0.released }
        if released { throw .closed(path: "\(chip.path) line \(offset)") }
        let value = chip.lock.withLock { _ in chip.gpiod.line_get_value(line.pointer) }
        if value < 0 {
            throw SystemCall.error(
                "gpiod_line_get_value",
                path: "\(chip.path) line \(offset)",
                errno: errno,
                group: "gpio"
            )
        }
        return value == 1
    }

    var edges: GPIOEdgeEvents {
        GPIOEdgeEvents { [self] () async throws(HALError) -> GPIOEdgeEvent? in
            guard let eventFD else { return nil }
            return try await nextEdge(on: eventFD, loop: loop)
        }
    }

    func takeBufferedEdge() -> (released: Bool, edge: GPIOEdgeEvent?) {
        state.withLock { state in
            if state.released { return (true, nil) }
            return (false, state.buffered.isEmpty ? nil : state.buffered.removeFirst())
        }
    }

    /// `gpiod_line_event_read_fd_multiple`, up to 16 events (the kernel's buffer for a v1 request).
    func readEdgeBatch() throws(HALError) {
        guard let fd = eventFD else { return }
        var events = [gpiod_line_event](repeating: gpiod_line_event(), count: 16)
        let count = state.withLock { state -> Int32 in
            if state.released { return 0 }
            return events.withUnsafeMutableBufferPointer { buffer in
                chip.gpiod.line_event_read_fd_multiple(fd, buffer.baseAddress, UInt32(buffer.count))
            }
        }
        if count < 0 {
            if errno == EAGAIN || errno == EINTR { return }
            throw SystemCall.error(
                "gpiod_line_event_read_fd_multiple",
                path: "\(chip.path) line \(offset)",
                errno: errno,
                group: "gpio"
            )
        }
        let edges = events.prefix(Int(count)).map { event in
            GPIOEdgeEvent(
                offset: offset,
                kind: event.event_type == Int32(FLOORLINK_GPIOD1_LINE_EVENT_RISING_EDGE) ? .rising : .falling,
                timestamp: ClockInstant(sinceOrigin: .seconds(event.ts.tv_sec) + .nanoseconds(event.ts.tv_nsec))
            )
        }
        state.withLock { $0.buffered.append(contentsOf: edges) }
    }

    /// `gpiod_line_release`; a waiting edge reader ends with nil.
    func close() {
        let wasReleased = state.withLock { state -> Bool in
            defer { state.released = true }
            return state.released
        }
        guard !wasReleased else { return }
        if let eventFD { loop.forget(eventFD) }
        chip.lock.withLock { _ in chip.gpiod.line_release(line.pointer) }
    }
}

/// A requested output line, held until closed (the kernel releases it when the process exits).
final class LinuxGPIOOutputLine: GPIOOutputLine {
    let offset: Int
    private let chip: LinuxGPIOChip
    private let line: LinuxGPIOLine
    private let released = Locked(false)

    init(chip: LinuxGPIOChip, line: LinuxGPIOLine, offset: Int) {
        self.chip = chip
        self.line = line
        self.offset = offset
    }

    deinit { close() }

    /// `gpiod_line_set_value` of the logical value.
    func write(_ value: Bool) throws(HALError) {
        if released.withLock({ $0 }) { throw .closed(path: "\(chip.path) line \(offset)") }
        let status = chip.lock.withLock { _ in chip.gpiod.line_set_value(line.pointer, value ? 1 : 0) }
        if status != 0 {
            throw SystemCall.error(
                "gpiod_line_set_value",
                path: "\(chip.path) line \(offset)",
                errno: errno,
                group: "gpio"
            )
        }
    }

    /// `gpiod_line_get_value` of the driven line.
    func read() throws(HALError) -> Bool {
        if released.withLock({ $0 }) { throw .closed(path: "\(chip.path) line \(offset)") }
        let value = chip.lock.withLock { _ in chip.gpiod.line_get_value(line.pointer) }
        if value < 0 {
            throw SystemCall.error(
                "gpiod_line_get_value",
                path: "\(chip.path) line \(offset)",
                errno: errno,
                group: "gpio"
            )
        }
        return value == 1
    }

    func close() {
        let wasReleased = released.withLock { released -> Bool in
            defer { released = true }
            return released
        }
        guard !wasReleased else { return }
        chip.lock.withLock { _ in chip.gpiod.line_release(line.pointer) }
    }
}
