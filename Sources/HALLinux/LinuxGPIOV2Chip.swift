import CGPIOD
import Glibc
import HAL
import IOEngine
import Locking

/// An open gpiochip through libgpiod 2.x (the v2 API; `LinuxGPIOChip` is 1.6). The chip object is not thread-safe,
/// so chip calls run under `lock`; each requested line is its own `gpiod_line_request`, independent of the chip.
final class LinuxGPIOV2Chip: LinuxGPIOChipLines {
    /// The `gpiod_chip *`, used only under `lock`.
    struct Handle: @unchecked Sendable {
        // @unchecked: the pointer is only dereferenced by libgpiod calls made while holding `LinuxGPIOV2Chip.lock`.
        let pointer: OpaquePointer
    }

    /// The kernel's edge event buffer of each request, and the reader's: the kernel's largest (16 events for each of
    /// its at most 64 lines), so a burst of edges waits there while the reader is busy instead of being dropped.
    static let eventBufferSize = 1024

    let info: GPIOChipInfo
    let path: String
    let lock: Locked<Handle>
    /// The libgpiod 2.x functions (`LibGPIOD`).
    let gpiod: floorlink_gpiod2_api
    private let loop: IOLoop

    /// `gpiod_chip_open` of the selector's device path; a label is found by opening each chip and reading its info.
    init(selector: GPIOChipSelector, gpiod: floorlink_gpiod2_api) throws(HALError) {
        self.gpiod = gpiod
        let opened: (pointer: OpaquePointer, info: GPIOChipInfo, path: String)
        switch selector {
        case .path(let path): opened = try Self.open(path, gpiod: gpiod)
        case .name(let name): opened = try Self.open("/dev/\(name)", gpiod: gpiod)
        case .number(let number): opened = try Self.open("/dev/gpiochip\(number)", gpiod: gpiod)
        case .label(let label):
            var found: (pointer: OpaquePointer, info: GPIOChipInfo, path: String)?
            for name in try LinuxGPIOBackend.chipNames() {
                let candidate = try Self.open("/dev/\(name)", gpiod: gpiod)
                if candidate.info.label == label {
                    found = candidate
                    break
                }
                gpiod.chip_close(candidate.pointer)
            }
            guard let found else {
                throw .notFound(
                    path: selector.description,
                    detail: "no such GPIO chip; `floorctl gpio list` shows the chips"
                )
            }
            opened = found
        }
        info = opened.info
        path = opened.path
        lock = Locked(Handle(pointer: opened.pointer))
        do throws(HALError) {
            loop = try IOLoop.sharedForHardware()
        } catch {
            gpiod.chip_close(opened.pointer)
            throw error
        }
    }

    /// `gpiod_chip_open` and `gpiod_chip_get_info`: the chip, its name, label and line count.
    private static func open(
        _ path: String,
        gpiod: floorlink_gpiod2_api
    ) throws(HALError) -> (pointer: OpaquePointer, info: GPIOChipInfo, path: String) {
        guard let chip = gpiod.chip_open(path) else {
            let code = errno
            if code == ENOENT || code == ENODEV {
                throw .notFound(path: path, detail: "no such GPIO chip; `floorctl gpio list` shows the chips")
            }
            throw SystemCall.error("gpiod_chip_open", path: path, errno: code, group: "gpio")
        }
        guard let info = gpiod.chip_get_info(chip) else {
            let code = errno
            gpiod.chip_close(chip)
            throw SystemCall.error("gpiod_chip_get_info", path: path, errno: code, group: "gpio")
        }
        defer { gpiod.chip_info_free(info) }
        let name =
            gpiod.chip_info_get_name(info).map { String(cString: $0) } ?? String(path.split(separator: "/").last ?? "")
        return (
            chip,
            GPIOChipInfo(
                name: name,
                label: gpiod.chip_info_get_label(info).map { String(cString: $0) } ?? "",
                lineCount: gpiod.chip_info_get_num_lines(info)
            ),
            "/dev/\(name)"
        )
    }

    deinit {
        lock.withLock { gpiod.chip_close($0.pointer) }
    }

    /// `gpiod_chip_get_line_info`: the line's name, consumer, direction, active state and use.
    func lineInfo(offset: Int) throws(HALError) -> GPIOLineInfo {
        guard offset >= 0, offset < info.lineCount else { throw lineNotFound(offset) }
        let result = lock.withLock { handle -> Result<GPIOLineInfo, HALError> in
            guard let line = gpiod.chip_get_line_info(handle.pointer, UInt32(offset)) else {
                return .failure(SystemCall.error("gpiod_chip_get_line_info", path: path, errno: errno, group: "gpio"))
            }
            defer { gpiod.line_info_free(line) }
            return .success(
                GPIOLineInfo(
                    offset: offset,
                    name: gpiod.line_info_get_name(line).map { String(cString: $0) },
                    consumer: gpiod.line_info_get_consumer(line).map { String(cString: $0) },
                    direction: gpiod.line_info_get_direction(line) == FLOORLINK_GPIOD2_LINE_DIRECTION_OUTPUT
                        ? .output : .input,
                    activeLow: gpiod.line_info_is_active_low(line),
                    used: gpiod.line_info_is_used(line)
                )
            )
        }
        return try result.get()
    }

    /// `gpiod_chip_get_line_offset_from_name`.
    func offset(ofLineNamed name: String) throws(HALError) -> Int? {
        let found = lock.withLock { gpiod.chip_get_line_offset_from_name($0.pointer, name) }
        return found < 0 ? nil : Int(found)
    }

    func requestInput(
        offset: Int,
        consumer: String,
        configuration: GPIOInputConfiguration
    )
        throws(HALError) -> any GPIOInputLine
    {
        let edge: gpiod_line_edge
        switch configuration.edges {
        case .none: edge = FLOORLINK_GPIOD2_LINE_EDGE_NONE
        case .rising: edge = FLOORLINK_GPIOD2_LINE_EDGE_RISING
        case .falling: edge = FLOORLINK_GPIOD2_LINE_EDGE_FALLING
        case .both: edge = FLOORLINK_GPIOD2_LINE_EDGE_BOTH
        }
        let bias = Self.bias(configuration.bias)
        let debounce = configuration.debounce.flatMap { $0 > .zero ? $0 : nil }
        let debounceMicroseconds = debounce.map { duration -> UInt in
            let (seconds, attoseconds) = duration.components
            return UInt(clamping: seconds * 1_000_000 + attoseconds / 1_000_000_000_000)
        }
        let request = try request(offset: offset, consumer: consumer) { settings in
            _ = gpiod.line_settings_set_direction(settings, FLOORLINK_GPIOD2_LINE_DIRECTION_INPUT)
            _ = gpiod.line_settings_set_edge_detection(settings, edge)
            _ = gpiod.line_settings_set_bias(settings, bias)
            gpiod.line_settings_set_active_low(settings, configuration.activeLow)
            _ = gpiod.line_settings_set_event_clock(settings, FLOORLINK_GPIOD2_LINE_CLOCK_MONOTONIC)
            if let debounceMicroseconds { gpiod.line_settings_set_debounce_period_us(settings, debounceMicroseconds) }
        }
        return LinuxGPIOV2InputLine(
            chip: self,
            request: request,
            offset: offset,
            detectsEdges: configuration.edges != .none,
            debounce: debounce,
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
        let drive: gpiod_line_drive
        switch configuration.drive {
        case .pushPull: drive = FLOORLINK_GPIOD2_LINE_DRIVE_PUSH_PULL
        case .openDrain: drive = FLOORLINK_GPIOD2_LINE_DRIVE_OPEN_DRAIN
        case .openSource: drive = FLOORLINK_GPIOD2_LINE_DRIVE_OPEN_SOURCE
        }
        let bias = Self.bias(configuration.bias)
        let request = try request(offset: offset, consumer: consumer) { settings in
            _ = gpiod.line_settings_set_direction(settings, FLOORLINK_GPIOD2_LINE_DIRECTION_OUTPUT)
            _ = gpiod.line_settings_set_drive(settings, drive)
            _ = gpiod.line_settings_set_bias(settings, bias)
            gpiod.line_settings_set_active_low(settings, configuration.activeLow)
            _ = gpiod.line_settings_set_output_value(
                settings,
                configuration.initialValue ? FLOORLINK_GPIOD2_LINE_VALUE_ACTIVE : FLOORLINK_GPIOD2_LINE_VALUE_INACTIVE
            )
        }
        return LinuxGPIOV2OutputLine(chip: self, request: request, offset: offset)
    }

    /// The libgpiod 2.x bias for the setting.
    private static func bias(_ bias: GPIOBias) -> gpiod_line_bias {
        switch bias {
        case .asIs: return FLOORLINK_GPIOD2_LINE_BIAS_AS_IS
        case .disabled: return FLOORLINK_GPIOD2_LINE_BIAS_DISABLED
        case .pullUp: return FLOORLINK_GPIOD2_LINE_BIAS_PULL_UP
        case .pullDown: return FLOORLINK_GPIOD2_LINE_BIAS_PULL_DOWN
        }
    }

    /// `gpiod_chip_request_lines` of one line: its settings from `configure`, the consumer, the event buffer size.
    private func request(
        offset: Int,
        consumer: String,
        configure: (OpaquePointer) -> Void
    )
        throws(HALError) -> LinuxGPIOLineRequest
    {
        guard offset >= 0, offset < info.lineCount else { throw lineNotFound(offset) }
        let linePath = "\(path) line \(offset)"
        guard let settings = gpiod.line_settings_new() else {
            throw SystemCall.error("gpiod_line_settings_new", path: linePath, errno: errno, group: "gpio")
        }
        defer { gpiod.line_settings_free(settings) }
        configure(settings)
        guard let lineConfig = gpiod.line_config_new() else {
            throw SystemCall.error("gpiod_line_config_new", path: linePath, errno: errno, group: "gpio")
        }
        defer { gpiod.line_config_free(lineConfig) }
        var lineOffset = UInt32(offset)
        if gpiod.line_config_add_line_settings(lineConfig, &lineOffset, 1, settings) != 0 {
            throw SystemCall.error("gpiod_line_config_add_line_settings", path: linePath, errno: errno, group: "gpio")
        }
        guard let requestConfig = gpiod.request_config_new() else {
            throw SystemCall.error("gpiod_request_config_new", path: linePath, errno: errno, group: "gpio")
        }
        defer { gpiod.request_config_free(requestConfig) }
        gpiod.request_config_set_consumer(requestConfig, consumer)
        gpiod.request_config_set_event_buffer_size(requestConfig, Self.eventBufferSize)
        let result = lock.withLock { handle -> Result<LinuxGPIOLineRequest, HALError> in
            if let request = gpiod.chip_request_lines(handle.pointer, requestConfig, lineConfig) {
                return .success(LinuxGPIOLineRequest(pointer: request))
            }
            let code = errno
            if code == EBUSY {
                let holder = gpiod.chip_get_line_info(handle.pointer, UInt32(offset)).flatMap { line in
                    defer { gpiod.line_info_free(line) }
                    return gpiod.line_info_get_consumer(line).map { String(cString: $0) }
                }
                return .failure(.busy(path: linePath, holder: holder))
            }
            return .failure(SystemCall.error("gpiod_chip_request_lines", path: linePath, errno: code, group: "gpio"))
        }
        return try result.get()
    }
}

/// A `gpiod_line_request *`: owned by one line object, used only under that object's lock.
struct LinuxGPIOLineRequest: @unchecked Sendable {
    // @unchecked: dereferenced only by libgpiod calls made while holding the owning line's lock.
    let pointer: OpaquePointer
}
