import CGPIOD
import Glibc
import HAL
import IOEngine
import Locking

/// An open gpiochip through libgpiod 1.6 (the v1 API; `LinuxGPIOV2Chip` is 2.x). libgpiod 1.6 objects are not thread-safe, so every call on the chip or its lines runs
/// under the chip's lock; lines keep the chip alive, and `gpiod_chip_close` in `deinit` releases them all.
final class LinuxGPIOChip: LinuxGPIOChipLines {
    /// The `gpiod_chip *`, used only under `lock`.
    struct Handle: @unchecked Sendable {
        // @unchecked: the pointer is only dereferenced by libgpiod calls made while holding `LinuxGPIOChip.lock`.
        let pointer: OpaquePointer
    }

    let info: GPIOChipInfo
    let path: String
    let lock: Locked<Handle>
    /// The libgpiod 1.6 functions (`LibGPIOD`).
    let gpiod: floorlink_gpiod1_api
    private let loop: IOLoop

    /// `gpiod_chip_open`, `_by_name`, `_by_label` or `_by_number`, by what the selector holds.
    init(selector: GPIOChipSelector, gpiod: floorlink_gpiod1_api) throws(HALError) {
        self.gpiod = gpiod
        let opened: OpaquePointer?
        switch selector {
        case .path(let path): opened = gpiod.chip_open(path)
        case .name(let name): opened = gpiod.chip_open_by_name(name)
        case .label(let label): opened = gpiod.chip_open_by_label(label)
        case .number(let number): opened = gpiod.chip_open_by_number(UInt32(clamping: number))
        }
        guard let opened else {
            let code = errno
            if code == ENOENT || code == ENODEV {
                throw .notFound(
                    path: selector.description,
                    detail: "no such GPIO chip; `floorctl gpio list` shows the chips"
                )
            }
            throw SystemCall.error("gpiod_chip_open", path: selector.description, errno: code, group: "gpio")
        }
        let name = gpiod.chip_name(opened).map { String(cString: $0) } ?? selector.description
        info = GPIOChipInfo(
            name: name,
            label: gpiod.chip_label(opened).map { String(cString: $0) } ?? "",
            lineCount: Int(gpiod.chip_num_lines(opened))
        )
        path = "/dev/\(name)"
        lock = Locked(Handle(pointer: opened))
        do throws(HALError) {
            loop = try IOLoop.sharedForHardware()
        } catch {
            gpiod.chip_close(opened)
            throw error
        }
    }

    deinit {
        lock.withLock { gpiod.chip_close($0.pointer) }
    }

    /// `gpiod_line_update` and the line's name, consumer, direction, active state and use.
    func lineInfo(offset: Int) throws(HALError) -> GPIOLineInfo {
        let result = lock.withLock { handle -> Result<GPIOLineInfo, HALError> in
            guard let line = line(offset, in: handle) else { return .failure(lineNotFound(offset)) }
            if gpiod.line_update(line) != 0 {
                return .failure(SystemCall.error("gpiod_line_update", path: path, errno: errno, group: "gpio"))
            }
            return .success(
                GPIOLineInfo(
                    offset: offset,
                    name: gpiod.line_name(line).map { String(cString: $0) },
                    consumer: gpiod.line_consumer(line).map { String(cString: $0) },
                    direction: gpiod.line_direction(line) == Int32(FLOORLINK_GPIOD1_LINE_DIRECTION_OUTPUT)
                        ? .output : .input,
                    activeLow: gpiod.line_active_state(line) == Int32(FLOORLINK_GPIOD1_LINE_ACTIVE_STATE_LOW),
                    used: gpiod.line_is_used(line)
                )
            )
        }
        return try result.get()
    }

    func offset(ofLineNamed name: String) throws(HALError) -> Int? {
        lock.withLock { handle in
            guard let line = gpiod.chip_find_line(handle.pointer, name) else { return nil }
            return Int(gpiod.line_offset(line))
        }
    }

    func requestInput(
        offset: Int,
        consumer: String,
        configuration: GPIOInputConfiguration
    )
        throws(HALError) -> any GPIOInputLine
    {
        let type: UInt32
        switch configuration.edges {
        case .none: type = UInt32(FLOORLINK_GPIOD1_LINE_REQUEST_DIRECTION_INPUT)
        case .rising: type = UInt32(FLOORLINK_GPIOD1_LINE_REQUEST_EVENT_RISING_EDGE)
        case .falling: type = UInt32(FLOORLINK_GPIOD1_LINE_REQUEST_EVENT_FALLING_EDGE)
        case .both: type = UInt32(FLOORLINK_GPIOD1_LINE_REQUEST_EVENT_BOTH_EDGES)
        }
        let flags = Self.flags(activeLow: configuration.activeLow, bias: configuration.bias, drive: .pushPull)
        let (line, fd) = try request(offset: offset, consumer: consumer, type: type, flags: flags, initial: 0)
        return LinuxGPIOInputLine(
            chip: self,
            line: line,
            offset: offset,
            eventFD: configuration.edges == .none ? nil : fd,
            loop: loop
        )
    }

    func requestOutput(
        offset: Int,
        consumer: String,
        configuration: GPIOOutputConfiguration
    )
        throws(HALError) -> any GPIOOutputLine
    {
        let flags = Self.flags(
            activeLow: configuration.activeLow,
            bias: configuration.bias,
            drive: configuration.drive
        )
        let (line, _) = try request(
            offset: offset,
            consumer: consumer,
            type: UInt32(FLOORLINK_GPIOD1_LINE_REQUEST_DIRECTION_OUTPUT),
            flags: flags,
            initial: configuration.initialValue ? 1 : 0
        )
        return LinuxGPIOOutputLine(chip: self, line: line, offset: offset)
    }

    /// The `gpiod_line_request_config` flags for the settings.
    private static func flags(activeLow: Bool, bias: GPIOBias, drive: GPIODrive) -> UInt32 {
        var flags: UInt32 = activeLow ? UInt32(FLOORLINK_GPIOD1_LINE_REQUEST_FLAG_ACTIVE_LOW) : 0
        switch bias {
        case .asIs: break
        case .disabled: flags |= UInt32(FLOORLINK_GPIOD1_LINE_REQUEST_FLAG_BIAS_DISABLE)
        case .pullUp: flags |= UInt32(FLOORLINK_GPIOD1_LINE_REQUEST_FLAG_BIAS_PULL_UP)
        case .pullDown: flags |= UInt32(FLOORLINK_GPIOD1_LINE_REQUEST_FLAG_BIAS_PULL_DOWN)
        }
        switch drive {
        case .pushPull: break
        case .openDrain: flags |= UInt32(FLOORLINK_GPIOD1_LINE_REQUEST_FLAG_OPEN_DRAIN)
        case .openSource: flags |= UInt32(FLOORLINK_GPIOD1_LINE_REQUEST_FLAG_OPEN_SOURCE)
        }
        return flags
    }

    /// `gpiod_line_request`; returns the line and its event descriptor (meaningful for edge requests).
    private func request(
        offset: Int,
        consumer: String,
        type: UInt32,
        flags: UInt32,
        initial: Int32
    )
        throws(HALError) -> (LinuxGPIOLine, Int32)
    {
        let result = lock.withLock { handle -> Result<(LinuxGPIOLine, Int32), HALError> in
            guard let line = line(offset, in: handle) else { return .failure(lineNotFound(offset)) }
            let status = consumer.withCString { name -> Int32 in
                var config = gpiod_line_request_config(consumer: name, request_type: Int32(type), flags: Int32(flags))
                return gpiod.line_request(line, &config, initial)
            }
            if status != 0 {
                let code = errno
                if code == EBUSY {
                    _ = gpiod.line_update(line)
                    let holder = gpiod.line_consumer(line).map { String(cString: $0) }
                    return .failure(.busy(path: "\(path) line \(offset)", holder: holder))
                }
                return .failure(
                    SystemCall.error("gpiod_line_request", path: "\(path) line \(offset)", errno: code, group: "gpio")
                )
            }
            let fd =
                type >= UInt32(FLOORLINK_GPIOD1_LINE_REQUEST_EVENT_FALLING_EDGE) ? gpiod.line_event_get_fd(line) : -1
            return .success((LinuxGPIOLine(pointer: line), fd))
        }
        return try result.get()
    }

    private func line(_ offset: Int, in handle: Handle) -> OpaquePointer? {
        guard offset >= 0, offset < info.lineCount else { return nil }
        return gpiod.chip_get_line(handle.pointer, UInt32(offset))
    }
}

/// A `gpiod_line *` owned by its chip; used only under the chip's lock.
struct LinuxGPIOLine: @unchecked Sendable {
    // @unchecked: dereferenced only by libgpiod calls made while holding `LinuxGPIOChip.lock`.
    let pointer: OpaquePointer
}
