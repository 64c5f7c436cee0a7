import CSerialPort
import Glibc
import HAL

/// Thin wrappers over libserialport: each `sp_return` below zero becomes a `HALError` naming the call.
enum LibSerialPort {
    /// Checks an `sp_return`; `SP_ERR_FAIL` carries the OS errno from `sp_last_error_code()`.
    static func check(_ result: sp_return, _ operation: String, path: String) throws(HALError) {
        switch result.rawValue {
        case let code where code >= 0:
            return
        case SP_ERR_FAIL.rawValue:
            throw SystemCall.error(operation, path: path, errno: sp_last_error_code())
        case SP_ERR_ARG.rawValue:
            throw .invalidConfiguration(path: path, detail: "\(operation): invalid argument")
        case SP_ERR_SUPP.rawValue:
            throw .invalidConfiguration(path: path, detail: "\(operation): not supported by this port")
        default:
            throw .operationFailed(path: path, operation: operation, errno: ENOMEM)
        }
    }

    /// `sp_get_port_by_name`: nil when libserialport cannot describe the port (pseudo-terminals have no
    /// `/sys/class/tty` device, so libserialport 0.1.1 reports them as not found).
    static func port(named path: String) -> OpaquePointer? {
        var port: OpaquePointer?
        guard sp_get_port_by_name(path, &port) == SP_OK else { return nil }
        return port
    }

    /// Describes one port with its USB identity, as `sp_list_ports` found it.
    static func info(of port: OpaquePointer, byID: [String: String]) -> SerialPortInfo? {
        guard let name = sp_get_port_name(port).map({ String(cString: $0) }) else { return nil }
        let transport: SerialPortInfo.Transport
        switch sp_get_port_transport(port) {
        case SP_TRANSPORT_USB: transport = .usb
        case SP_TRANSPORT_BLUETOOTH: transport = .bluetooth
        default: transport = .native
        }
        var info = SerialPortInfo(
            path: name,
            description: sp_get_port_description(port).map { String(cString: $0) },
            transport: transport,
            byIDPath: byID[name]
        )
        if transport == .usb {
            var vendor: Int32 = 0
            var product: Int32 = 0
            if sp_get_port_usb_vid_pid(port, &vendor, &product) == SP_OK {
                info.usbVendorID = UInt16(truncatingIfNeeded: vendor)
                info.usbProductID = UInt16(truncatingIfNeeded: product)
            }
            info.serialNumber = sp_get_port_usb_serial(port).map { String(cString: $0) }
            info.manufacturer = sp_get_port_usb_manufacturer(port).map { String(cString: $0) }
            info.product = sp_get_port_usb_product(port).map { String(cString: $0) }
        }
        return info
    }

    /// `sp_list_ports`: every port libserialport knows.
    static func listPorts(byID: [String: String]) throws(HALError) -> [SerialPortInfo] {
        var list: UnsafeMutablePointer<OpaquePointer?>?
        try check(sp_list_ports(&list), "sp_list_ports", path: "/dev")
        guard let list else { return [] }
        defer { sp_free_port_list(list) }
        var ports: [SerialPortInfo] = []
        var index = 0
        while let port = list[index] {
            if let info = info(of: port, byID: byID) { ports.append(info) }
            index += 1
        }
        return ports
    }

    /// Applies `configuration` to a port opened with `sp_open`.
    static func configure(_ port: OpaquePointer, _ configuration: SerialConfiguration, path: String) throws(HALError) {
        try check(sp_set_baudrate(port, Int32(configuration.baud)), "sp_set_baudrate", path: path)
        try check(sp_set_bits(port, Int32(configuration.dataBits)), "sp_set_bits", path: path)
        let parity: sp_parity
        switch configuration.parity {
        case .none: parity = SP_PARITY_NONE
        case .odd: parity = SP_PARITY_ODD
        case .even: parity = SP_PARITY_EVEN
        }
        try check(sp_set_parity(port, parity), "sp_set_parity", path: path)
        try check(sp_set_stopbits(port, Int32(configuration.stopBits)), "sp_set_stopbits", path: path)
        let flow: sp_flowcontrol
        switch configuration.flowControl {
        case .none: flow = SP_FLOWCONTROL_NONE
        case .xonXoff: flow = SP_FLOWCONTROL_XONXOFF
        case .rtsCts: flow = SP_FLOWCONTROL_RTSCTS
        }
        try check(sp_set_flowcontrol(port, flow), "sp_set_flowcontrol", path: path)
    }
}
