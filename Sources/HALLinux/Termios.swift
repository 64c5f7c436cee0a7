import Glibc
import HAL

/// Raw-mode termios settings for a tty that libserialport cannot describe (pseudo-terminals from socat or
/// ser2net): `tcgetattr`, `cfmakeraw`, speed, character size, parity, stop bits, flow control, `tcsetattr`.
enum Termios {
    static func configure(fd: Int32, _ configuration: SerialConfiguration, path: String) throws(HALError) {
        var settings = termios()
        try SystemCall.retrying("tcgetattr", path: path) { tcgetattr(fd, &settings) }
        cfmakeraw(&settings)
        guard let speed = speed(for: configuration.baud) else {
            throw .invalidConfiguration(path: path, detail: "baud \(configuration.baud) has no termios speed")
        }
        cfsetispeed(&settings, speed)
        cfsetospeed(&settings, speed)
        settings.c_cflag &= ~(tcflag_t(CSIZE | PARENB | PARODD | CSTOPB) | tcflag_t(CRTSCTS))
        settings.c_cflag |= tcflag_t(CLOCAL | CREAD)
        switch configuration.dataBits {
        case 5: settings.c_cflag |= tcflag_t(CS5)
        case 6: settings.c_cflag |= tcflag_t(CS6)
        case 7: settings.c_cflag |= tcflag_t(CS7)
        default: settings.c_cflag |= tcflag_t(CS8)
        }
        switch configuration.parity {
        case .none: break
        case .even: settings.c_cflag |= tcflag_t(PARENB)
        case .odd: settings.c_cflag |= tcflag_t(PARENB | PARODD)
        }
        if configuration.stopBits == 2 { settings.c_cflag |= tcflag_t(CSTOPB) }
        settings.c_iflag &= ~tcflag_t(IXON | IXOFF | IXANY)
        switch configuration.flowControl {
        case .none: break
        case .xonXoff: settings.c_iflag |= tcflag_t(IXON | IXOFF)
        case .rtsCts: settings.c_cflag |= tcflag_t(CRTSCTS)
        }
        // Non-blocking reads: return what is there; the IOLoop does the waiting.
        withUnsafeMutableBytes(of: &settings.c_cc) { cc in
            cc[Int(VMIN)] = 0
            cc[Int(VTIME)] = 0
        }
        try SystemCall.retrying("tcsetattr", path: path) { tcsetattr(fd, TCSANOW, &settings) }
    }

    private static func speed(for baud: Int) -> speed_t? {
        switch baud {
        case 1200: return speed_t(B1200)
        case 2400: return speed_t(B2400)
        case 4800: return speed_t(B4800)
        case 9600: return speed_t(B9600)
        case 19200: return speed_t(B19200)
        case 38400: return speed_t(B38400)
        case 57600: return speed_t(B57600)
        case 115200: return speed_t(B115200)
        case 230400: return speed_t(B230400)
        case 460800: return speed_t(B460800)
        case 921600: return speed_t(B921600)
        default: return nil
        }
    }
}
