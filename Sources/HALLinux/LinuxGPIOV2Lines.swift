import CGPIOD
import Glibc
import HAL
import IOEngine
import Locking

/// A requested input line through libgpiod 2.x: edges are read in batches into a `gpiod_edge_event_buffer` once the
/// `IOLoop` says the request's descriptor is readable, with the kernel's sequence numbers and monotonic timestamps.
final class LinuxGPIOV2InputLine: GPIOInputLine, LinuxGPIOEdgeBatches {
    let offset: Int
    let debounce: Duration?
    private let chip: LinuxGPIOV2Chip
    private let eventFD: Int32?
    private let loop: IOLoop
    private let state: Locked<State>

    /// The request and the event buffer, used only under `state`'s lock.
    private struct State: @unchecked Sendable {
        // @unchecked: the pointers are dereferenced only by libgpiod calls made while holding the lock.
        var request: OpaquePointer?
        var buffer: OpaquePointer?
        var buffered: [GPIOEdgeEvent] = []
    }

    init(
        chip: LinuxGPIOV2Chip,
        request: LinuxGPIOLineRequest,
        offset: Int,
        detectsEdges: Bool,
        debounce: Duration?,
        loop: IOLoop
    ) {
        self.chip = chip
        self.offset = offset
        self.debounce = debounce
        self.loop = loop
        var buffer: OpaquePointer?
        var eventFD: Int32?
        if detectsEdges {
            buffer = chip.gpiod.edge_event_buffer_new(LinuxGPIOV2Chip.eventBufferSize)
            let fd = chip.gpiod.line_request_get_fd(request.pointer)
            // Non-blocking: a wake-up with nothing to read must not block the reading thread in read(2).
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            eventFD = fd
        }
        self.eventFD = eventFD
        state = Locked(State(request: request.pointer, buffer: buffer))
    }

    deinit { close() }

    /// `gpiod_line_request_get_value`: the logical value (active-low applied by the kernel).
    func read() throws(HALError) -> Bool {
        let linePath = "\(chip.path) line \(offset)"
        let value = state.withLock { state -> Int32? in
            guard let request = state.request else { return nil }
            return chip.gpiod.line_request_get_value(request, UInt32(offset)).rawValue
        }
        guard let value else { throw .closed(path: linePath) }
        if value < 0 {
            throw SystemCall.error("gpiod_line_request_get_value", path: linePath, errno: errno, group: "gpio")
        }
        return value == FLOORLINK_GPIOD2_LINE_VALUE_ACTIVE.rawValue
    }

    var edges: GPIOEdgeEvents {
        GPIOEdgeEvents { [self] () async throws(HALError) -> GPIOEdgeEvent? in
            guard let eventFD else { return nil }
            return try await nextEdge(on: eventFD, loop: loop)
        }
    }

    func takeBufferedEdge() -> (released: Bool, edge: GPIOEdgeEvent?) {
        state.withLock { state in
            if state.request == nil { return (true, nil) }
            return (false, state.buffered.isEmpty ? nil : state.buffered.removeFirst())
        }
    }

    /// `gpiod_line_request_read_edge_events` into the buffer (up to its size), then each event's type, timestamp and
    /// line seqno.
    func readEdgeBatch() throws(HALError) {
        let gpiod = chip.gpiod
        let outcome = state.withLock { state -> Result<Void, HALError> in
            guard let request = state.request else { return .success(()) }
            guard let buffer = state.buffer else {
                // No buffer to read into (gpiod_edge_event_buffer_new failed): fail rather than spin on a readable fd.
                return .failure(
                    .operationFailed(
                        path: "\(chip.path) line \(offset)",
                        operation: "gpiod_edge_event_buffer_new",
                        errno: ENOMEM
                    )
                )
            }
            let count = gpiod.line_request_read_edge_events(request, buffer, LinuxGPIOV2Chip.eventBufferSize)
            if count < 0 {
                let code = errno
                if code == EAGAIN || code == EINTR { return .success(()) }
                return .failure(
                    SystemCall.error(
                        "gpiod_line_request_read_edge_events",
                        path: "\(chip.path) line \(offset)",
                        errno: code,
                        group: "gpio"
                    )
                )
            }
            for index in 0..<Int(count) {
                guard let event = gpiod.edge_event_buffer_get_event(buffer, UInt(index)) else { continue }
                let nanoseconds = gpiod.edge_event_get_timestamp_ns(event)
                state.buffered.append(
                    GPIOEdgeEvent(
                        offset: Int(gpiod.edge_event_get_line_offset(event)),
                        kind: gpiod.edge_event_get_event_type(event) == FLOORLINK_GPIOD2_EDGE_EVENT_RISING_EDGE
                            ? .rising : .falling,
                        timestamp: ClockInstant(sinceOrigin: .nanoseconds(Int64(clamping: nanoseconds))),
                        sequence: UInt64(gpiod.edge_event_get_line_seqno(event))
                    )
                )
            }
            return .success(())
        }
        try outcome.get()
    }

    /// `gpiod_line_request_release`; a waiting edge reader ends with nil.
    func close() {
        let gpiod = chip.gpiod
        let released = state.withLock { state -> (OpaquePointer?, OpaquePointer?) in
            defer {
                state.request = nil
                state.buffer = nil
            }
            return (state.request, state.buffer)
        }
        guard let request = released.0 else { return }
        if let eventFD { loop.forget(eventFD) }
        gpiod.line_request_release(request)
        if let buffer = released.1 { gpiod.edge_event_buffer_free(buffer) }
    }
}

/// A requested output line through libgpiod 2.x, held until closed (the kernel releases it when the process exits).
final class LinuxGPIOV2OutputLine: GPIOOutputLine {
    let offset: Int
    private let chip: LinuxGPIOV2Chip
    private let request: Locked<LinuxGPIOLineRequest?>

    init(chip: LinuxGPIOV2Chip, request: LinuxGPIOLineRequest, offset: Int) {
        self.chip = chip
        self.request = Locked(request)
        self.offset = offset
    }

    deinit { close() }

    /// `gpiod_line_request_set_value` of the logical value.
    func write(_ value: Bool) throws(HALError) {
        let gpiod = chip.gpiod
        let status = request.withLock { request -> Int32? in
            guard let request else { return nil }
            return gpiod.line_request_set_value(
                request.pointer,
                UInt32(offset),
                value ? FLOORLINK_GPIOD2_LINE_VALUE_ACTIVE : FLOORLINK_GPIOD2_LINE_VALUE_INACTIVE
            )
        }
        guard let status else { throw .closed(path: "\(chip.path) line \(offset)") }
        if status != 0 {
            throw SystemCall.error(
                "gpiod_line_request_set_value",
                path: "\(chip.path) line \(offset)",
                errno: errno,
                group: "gpio"
            )
        }
    }

    /// `gpiod_line_request_get_value` of the driven line.
    func read() throws(HALError) -> Bool {
        let gpiod = chip.gpiod
        let value = request.withLock { request -> Int32? in
            guard let request else { return nil }
            return gpiod.line_request_get_value(request.pointer, UInt32(offset)).rawValue
        }
        guard let value else { throw .closed(path: "\(chip.path) line \(offset)") }
        if value < 0 {
            throw SystemCall.error(
                "gpiod_line_request_get_value",
                path: "\(chip.path) line \(offset)",
                errno: errno,
                group: "gpio"
            )
        }
        return value == FLOORLINK_GPIOD2_LINE_VALUE_ACTIVE.rawValue
    }

    func close() {
        let gpiod = chip.gpiod
        let released = request.withLock { request -> LinuxGPIOLineRequest? in
            defer { request = nil }
            return request
        }
        if let released { gpiod.line_request_release(released.pointer) }
    }
}
