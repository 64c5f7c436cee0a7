import CGPIOD
import Glibc
import HAL

/// The libgpiod this process loaded at start-up, and its functions: libgpiod 2.x (`libgpiod.so.3`, the v2 API) where
/// the system has it, else libgpiod 1.6 (`libgpiod.so.2`, the v1 API), so one floorlinkd runs on Debian 12 and 13.
/// `FLOORLINK_GPIOD_LIBRARY` names one library file to load instead (the VM tests use it to try both).
public struct LibGPIOD: Sendable, CustomStringConvertible {
    /// Which of libgpiod's two incompatible APIs a library offers.
    public enum API: String, Sendable {
        /// libgpiod 1.x (`libgpiod.so.2`): `gpiod_line_request`, `gpiod_line_event_*`, no kernel debounce.
        case v1
        /// libgpiod 2.x (`libgpiod.so.3`): line settings and requests, edge event buffers, kernel debounce.
        case v2
    }

    /// The library's API.
    public let api: API
    /// The library's own version, e.g. `2.2.1` (`gpiod_api_version`) or `1.6.3` (`gpiod_version_string`).
    public let version: String
    /// The file the dynamic loader opened, e.g. `/usr/lib/aarch64-linux-gnu/libgpiod.so.3`.
    public let path: String
    let functions: Functions

    /// The resolved functions of one API.
    enum Functions: @unchecked Sendable {
        // @unchecked: immutable C function pointers into a library that is never unloaded.
        case v1(floorlink_gpiod1_api)
        case v2(floorlink_gpiod2_api)
    }

    /// `libgpiod 2.2.1 (v2 API)`: what `floorctl doctor` and `status` show.
    public var description: String { "libgpiod \(version) (\(api.rawValue) API)" }

    /// The library names tried in order when `FLOORLINK_GPIOD_LIBRARY` is not set.
    public static let candidates = ["libgpiod.so.3", "libgpiod.so.2"]

    /// The library loaded on first use (once per process), or why none could be.
    public static func shared() throws(HALError) -> LibGPIOD {
        try loaded.get()
    }

    private static let loaded: Result<LibGPIOD, HALError> = {
        if let forced = getenv("FLOORLINK_GPIOD_LIBRARY").map({ String(cString: $0) }), !forced.isEmpty {
            return load(forced)
        }
        var failures: [String] = []
        for name in candidates {
            switch load(name) {
            case .success(let library): return .success(library)
            case .failure(let error): failures.append("\(error)")
            }
        }
        return .failure(
            .notFound(
                path: "libgpiod",
                detail: "neither libgpiod 2.x nor 1.6 could be loaded (\(failures.joined(separator: "; "))); "
                    + "install libgpiod3 (Debian 13, Raspberry Pi OS trixie) or libgpiod2 (Debian 12, bookworm)"
            )
        )
    }()

    /// dlopens `name` and resolves the API its symbols show: `gpiod_api_version` is v2, `gpiod_version_string` v1.
    public static func load(_ name: String) -> Result<LibGPIOD, HALError> {
        guard let handle = dlopen(name, RTLD_NOW | RTLD_LOCAL) else {
            let reason = dlerror().map { String(cString: $0) } ?? "dlopen failed"
            return .failure(.notFound(path: name, detail: reason))
        }
        var missing: UnsafePointer<CChar>?
        let functions: Functions
        let version: String
        if dlsym(handle, "gpiod_api_version") != nil {
            let table = UnsafeMutablePointer<floorlink_gpiod2_api>.allocate(capacity: 1)
            defer { table.deallocate() }
            guard floorlink_gpiod2_resolve(handle, table, &missing) == 0 else {
                dlclose(handle)
                return .failure(incomplete(name, api: .v2, missing: missing))
            }
            functions = .v2(table.pointee)
            version = table.pointee.api_version().map { String(cString: $0) } ?? "2.x"
        } else {
            let table = UnsafeMutablePointer<floorlink_gpiod1_api>.allocate(capacity: 1)
            defer { table.deallocate() }
            guard floorlink_gpiod1_resolve(handle, table, &missing) == 0 else {
                dlclose(handle)
                return .failure(incomplete(name, api: .v1, missing: missing))
            }
            functions = .v1(table.pointee)
            version = table.pointee.version_string().map { String(cString: $0) } ?? "1.x"
        }
        let api: API
        switch functions {
        case .v1: api = .v1
        case .v2: api = .v2
        }
        return .success(LibGPIOD(api: api, version: version, path: loadedPath(handle) ?? name, functions: functions))
    }

    private static func incomplete(_ name: String, api: API, missing: UnsafePointer<CChar>?) -> HALError {
        let symbol = missing.map { String(cString: $0) } ?? "a symbol"
        return .notFound(path: name, detail: "not a usable libgpiod (\(api.rawValue) API): \(symbol) is missing")
    }

    /// The file that holds the resolved functions (dladdr of one of them).
    private static func loadedPath(_ handle: UnsafeMutableRawPointer) -> String? {
        guard let symbol = dlsym(handle, "gpiod_chip_open") else { return nil }
        var info = floorlink_dl_info()
        guard floorlink_dladdr(symbol, &info) != 0, let name = info.dli_fname else { return nil }
        return String(cString: name)
    }
}
