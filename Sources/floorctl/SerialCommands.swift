import Devices
import Events
import Glibc
import HAL
import HALLinux

/// `serial list|monitor`: the machine's serial ports, straight through libserialport (no daemon).
enum SerialCommands {
    static var group: Command {
        Command(
            "serial",
            abstract: "List serial ports and watch raw bytes from a reader.",
            subcommands: [list, monitor]
        )
    }

    static var list: Command {
        Command(
            "list",
            abstract: "List serial ports with USB vendor/product/serial and the by-id path.",
            options: [FloorctlCommands.jsonFlag]
        ) { context in
            let ports: [SerialPortInfo]
            do throws(HALError) {
                ports = try LinuxSerialBackend().ports()
            } catch {
                throw CommandFailure(error.description)
            }
            if context.arguments.flag("json") {
                Console.line(JSONValue.array(ports.map(json)).jsonText)
                return .success
            }
            guard !ports.isEmpty else {
                Console.line("No serial ports found.")
                return .success
            }
            var table = TextTable("PORT", "TRANSPORT", "USB ID", "SERIAL", "PRODUCT", "BY-ID")
            for port in ports {
                table.append([
                    port.path, port.transport.rawValue, usbID(port) ?? "-", port.serialNumber ?? "-",
                    productName(port), port.byIDPath ?? "-",
                ])
            }
            Console.out(table.rendered)
            return .success
        }
    }

    private static func productName(_ port: SerialPortInfo) -> String {
        let name = [port.manufacturer, port.product].compactMap { $0 }.joined(separator: " ")
        return name.isEmpty ? "-" : name
    }

    private static func usbID(_ port: SerialPortInfo) -> String? {
        guard let vendor = port.usbVendorID, let product = port.usbProductID else { return nil }
        return Hex.padded(vendor) + ":" + Hex.padded(product)
    }

    private static func json(_ port: SerialPortInfo) -> JSONValue {
        func text(_ value: String?) -> JSONValue { value.map { .string($0) } ?? .null }
        return .object([
            ("path", .string(port.path)), ("transport", .string(port.transport.rawValue)),
            ("usbVendorID", text(port.usbVendorID.map { Hex.padded($0) })),
            ("usbProductID", text(port.usbProductID.map { Hex.padded($0) })),
            ("serialNumber", text(port.serialNumber)), ("manufacturer", text(port.manufacturer)),
            ("product", text(port.product)), ("description", text(port.description)), ("byIDPath", text(port.byIDPath)),
        ])
    }

    static var monitor: Command {
        Command(
            "monitor",
            abstract: "Print bytes from a serial port, a timestamped line per frame, until interrupted.",
            discussion: "Each line starts with the local time its first byte arrived and ends at a CR, LF or CRLF "
                + "(shown as \\r, \\n), or when the port has been quiet for --gap-ms. Control bytes are shown, "
                + "never sent to the terminal: <GS> for the GS1 separator 0x1D, \\t, \\xNN for the rest, \\\\ "
                + "for a backslash. The port must be free: stop floorlinkd first, or watch the decoded events with "
                + "'floorctl events --follow --device ID'.",
            arguments: [ArgumentSpec("port", "The port (e.g. /dev/ttyUSB0 or a /dev/serial/by-id path).")],
            options: [
                .option(
                    "baud",
                    short: "b",
                    value: "baud",
                    default: "9600",
                    kind: .integer(50...4_000_000),
                    "Baud rate."
                ),
                .option(
                    "data-bits",
                    value: "bits",
                    default: "8",
                    kind: .choice(["7", "8"]),
                    "Data bits (7 for a 7E1 scanner)."
                ),
                .option(
                    "parity",
                    value: "parity",
                    default: "none",
                    kind: .choice(["none", "even", "odd"]),
                    "Parity: none, even or odd."
                ),
                .option("stop-bits", value: "bits", default: "1", kind: .choice(["1", "2"]), "Stop bits."),
                .option(
                    "gap-ms",
                    value: "ms",
                    default: "100",
                    kind: .integer(1...60_000),
                    "Print a line without a terminator once the port has been quiet this long."
                ),
                .flag("hex", short: "x", "Print a hex dump of each read, after its time and size, instead of lines."),
                .flag("json", "Print each line as a JSON object: time, text and the bytes in hex."),
            ]
        ) { context in
            let arguments = context.arguments
            let path = arguments.argument("port") ?? ""
            let configuration = SerialConfiguration(
                baud: arguments.integer("baud") ?? 9600,
                dataBits: arguments.integer("data-bits") ?? 8,
                parity: arguments.option("parity").flatMap(SerialConfiguration.Parity.init(rawValue:)) ?? .none,
                stopBits: arguments.integer("stop-bits") ?? 1
            )
            let port: any SerialPort
            do throws(HALError) {
                port = try await LinuxSerialBackend().open(path: path, configuration: configuration)
            } catch {
                if case .busy = error {
                    throw CommandFailure(
                        "\(error); floorlinkd holds its ports while running (stop it, or use "
                            + "'floorctl events --follow')"
                    )
                }
                throw CommandFailure(error.description)
            }
            defer { port.close() }
            let hex = arguments.flag("hex")
            let json = arguments.flag("json")
            if !json { Console.error("Reading \(path) at \(configuration); press Ctrl-C to stop.\n") }
            var framer = SerialMonitorFramer(quietGapMilliseconds: Int64(arguments.integer("gap-ms") ?? 100))
            let print = { (lines: [SerialMonitorFramer.Line]) in
                for line in lines {
                    if json {
                        Console.line(
                            JSONValue.object([
                                ("time", .string(line.time.description)), ("text", .string(line.text)),
                                ("bytes", .string(HexDump.hex(line.bytes))),
                            ]).jsonText
                        )
                    } else {
                        Console.line("\(LocalTime.clock(line.time))  \(line.text)")
                    }
                }
            }
            var offset = 0
            while true {
                let wait = framer.deadline.map {
                    Duration.milliseconds(max(1, $0.millisecondsSinceEpoch - EventTime.now().millisecondsSinceEpoch))
                }
                let bytes: [UInt8]
                do throws(HALError) {
                    bytes = try await port.read(maxBytes: 4096, timeout: wait ?? .seconds(3600))
                } catch {
                    if case .timedOut = error {
                        print(framer.expire(at: EventTime.now()))
                        continue
                    }
                    print(framer.finish())
                    throw CommandFailure(error.description)
                }
                if hex {
                    let count = bytes.count == 1 ? "1 byte" : "\(bytes.count) bytes"
                    Console.out(
                        "\(LocalTime.clock(EventTime.now()))  \(count)\n" + HexDump.lines(bytes, startingAt: offset)
                    )
                } else {
                    print(framer.feed(bytes, at: EventTime.now()))
                }
                offset += bytes.count
            }
        }
    }
}

/// Local wall-clock time for a technician reading along: `10:55:01.123`.
enum LocalTime {
    static func clock(_ time: EventTime) -> String {
        var seconds = time_t(time.millisecondsSinceEpoch / 1000)
        var parts = tm()
        localtime_r(&seconds, &parts)
        func pad(_ value: Int, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(pad(Int(parts.tm_hour), 2)):\(pad(Int(parts.tm_min), 2)):\(pad(Int(parts.tm_sec), 2))."
            + pad(Int(time.millisecondsSinceEpoch % 1000), 3)
    }
}

/// `hexdump -C`-style lines.
enum HexDump {
    /// Bytes as uppercase hex without separators.
    static func hex(_ bytes: [UInt8]) -> String {
        Hex.string(bytes, uppercase: true)
    }

    /// `00000010  30 74 25 7b ...  |0t%{|`, 16 bytes a line.
    static func lines(_ bytes: [UInt8], startingAt offset: Int) -> String {
        var text = ""
        var index = 0
        while index < bytes.count {
            let chunk = bytes[index..<min(index + 16, bytes.count)]
            let position = String(offset + index, radix: 16)
            var line = String(repeating: "0", count: max(0, 8 - position.count)) + position + "  "
            let cells = chunk.map { Hex.string(CollectionOfOne($0)) }
            line += cells.joined(separator: " ").padding(to: 16 * 3 - 1) + "  |"
            line += String(decoding: chunk.map { (0x20..<0x7F).contains($0) ? $0 : UInt8(ascii: ".") }, as: UTF8.self)
            text += line + "|\n"
            index += 16
        }
        return text
    }
}

extension String {
    /// The string padded with spaces on the right to `width` characters.
    func padding(to width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
