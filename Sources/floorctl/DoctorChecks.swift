import Glibc
import HAL
import HALLinux
import Service

/// The checks behind `doctor`, in the order a technician fixes things: config, hardware, permissions, data,
/// network, clock, daemon.
struct DoctorChecks: Sendable {
    let configPath: String
    /// `--socket` or `FLOORLINK_SOCKET`, which win over the config's `control.socket`.
    let socketOverride: String?
    /// Whether `configPath` is the one the running daemon reported (no `--config` was given).
    var configFromDaemon = false

    func run() async -> [DoctorFinding] {
        var findings: [DoctorFinding] = []
        let configuration: SiteConfiguration?
        do throws(ConfigError) {
            let loaded = try SiteConfiguration.load(path: configPath, hal: .forProcess(configPath: configPath))
            configuration = loaded
            let board = loaded.boardFile.map { "; board file \($0)" } ?? ""
            let running = configFromDaemon ? ", the config floorlinkd runs" : ""
            let summary =
                "(\(loaded.site)/\(loaded.controller), \(loaded.devices.count) devices\(board)\(running))"
            if loaded.example == nil {
                findings.append(.pass("config", "\(configPath) is valid \(summary)"))
            } else {
                findings.append(
                    .fail(
                        "config",
                        "\(configPath) is valid \(summary) but is an example (\"example\" is set): floorlinkd "
                            + "will not run it",
                        hint: "describe this site's devices and uplinks in \(configPath), delete the \"example\" "
                            + "member, then sudo systemctl restart floorlinkd"
                    )
                )
            }
        } catch {
            configuration = nil
            findings.append(configFailure(error))
        }
        let socketPath = socketOverride ?? configuration?.controlSocket ?? DaemonClient.defaultSocketPath
        let daemonRunning = DaemonClient(socketPath: socketPath).isReachable()
        if let configuration, configuration.hardware == .simulated {
            findings.append(.pass("hardware", "simulated; serial ports and GPIO are not checked"))
        } else if let configuration {
            findings += await serialFindings(configuration, daemonRunning: daemonRunning)
            findings.append(libgpiodFinding(configuration))
            findings += gpioFindings(configuration)
        }
        if let configuration {
            findings += await busFindings(configuration, daemonRunning: daemonRunning, socketPath: socketPath)
        }
        findings += permissionFindings(configuration)
        findings.append(dataDirectoryFinding(configuration?.dataDirectory ?? "/var/lib/floorlink"))
        if let configuration { findings += uplinkFindings(configuration) }
        findings.append(clockFinding())
        findings.append(
            daemonRunning
                ? await daemonFinding(socketPath)
                : .fail(
                    "daemon",
                    "nothing answers on \(socketPath)",
                    hint: "sudo systemctl start floorlinkd; journalctl -u floorlinkd shows why it stopped"
                )
        )
        return findings
    }

    /// The `daemon` line for a daemon that answers: a WARN when it runs another config than the one checked.
    private func daemonFinding(_ socketPath: String) async -> DoctorFinding {
        let answer = "floorlinkd answers on \(socketPath)"
        guard !configFromDaemon,
            let running = (try? await DaemonClient(socketPath: socketPath).call("status", timeout: .seconds(5)))?[
                "config"
            ]?.stringValue,
            running != (SystemFiles.realPath(configPath) ?? configPath)
        else { return .pass("daemon", answer) }
        return .warn(
            "daemon",
            "\(answer) but runs \(running), not the \(configPath) checked above",
            hint: "run floorctl doctor without --config to check the config floorlinkd runs"
        )
    }

    /// The `config` line for a config that does not load: a missing or unreadable file says how to get one; a
    /// bad one names the JSON path and what was expected there.
    private func configFailure(_ error: ConfigError) -> DoctorFinding {
        guard access(configPath, F_OK) == 0 else {
            return .fail(
                "config",
                "\(configPath) does not exist: floorlinkd has no site config to run",
                hint: "create it: start from the example the package installs (restore it with sudo apt-get "
                    + "install --reinstall -o Dpkg::Options::=--force-confmiss floorlink) or from hal/sites/demo.json "
                    + "in the source, describe this site's devices (README, Site config), check it with floorlinkd "
                    + "--check-config --config \(configPath); or pass --config PATH if the site's config is elsewhere"
            )
        }
        guard access(configPath, R_OK) == 0 else {
            return .fail(
                "config",
                error.description,
                hint: "run floorctl doctor with sudo, or check the file's owner and mode (ls -l \(configPath))"
            )
        }
        guard !error.path.isEmpty else {
            return .fail("config", error.description, hint: "fix the JSON syntax at the place named in \(configPath)")
        }
        return .fail(
            "config",
            error.description,
            hint: "edit \(error.path) in \(configPath) as the message says; INTERFACES.md lists every key"
        )
    }

    // MARK: Serial

    private func serialFindings(_ configuration: SiteConfiguration, daemonRunning: Bool) async -> [DoctorFinding] {
        var findings: [DoctorFinding] = []
        let present = NumberedPortPath.presentPorts(configuration)
        for device in configuration.devices {
            let port: String
            let serial: SerialConfiguration
            switch device {
            case .barcodeScanner(let settings): (port, serial) = (settings.port, settings.serial)
            case .rfidReader(let settings): (port, serial) = (settings.port, settings.serial)
            case .lockerBank, .pickToLight: continue
            }
            let subject = "serial \(device.id)"
            if let numbered = NumberedPortPath.finding(device: device.id, port: port, ports: present) {
                findings.append(.warn(subject, numbered.problem, hint: numbered.remedy))
            }
            guard access(port, F_OK) == 0 else {
                findings.append(
                    .fail(
                        subject,
                        "\(port) not found",
                        hint: "check the cable; 'floorctl serial list' shows the ports present; /dev/floorlink/ "
                            + "names come from udev/99-floorlink.rules"
                    )
                )
                continue
            }
            do throws(HALError) {
                let opened = try await LinuxSerialBackend().open(path: port, configuration: serial)
                opened.close()
                findings.append(.pass(subject, "\(port) present and openable at \(serial)"))
            } catch {
                switch error {
                case .busy where daemonRunning:
                    findings.append(.pass(subject, "\(port) present, held by floorlinkd"))
                case .busy:
                    findings.append(
                        .fail(subject, error.description, hint: "find the holder with 'fuser -v \(port)' and stop it")
                    )
                case .permissionDenied:
                    findings.append(
                        .fail(
                            subject,
                            "\(port): permission denied",
                            hint: "usermod -aG dialout USER; install the udev rule"
                        )
                    )
                default:
                    findings.append(.fail(subject, error.description, hint: "check the device and its cable"))
                }
            }
            if let latency = latencyFinding(port: port, subject: subject) { findings.append(latency) }
        }
        return findings
    }

    /// USB-serial adapters buffer 16 ms by default; scanners need 1 ms.
    private func latencyFinding(port: String, subject: String) -> DoctorFinding? {
        guard let resolved = SystemFiles.realPath(port), let name = resolved.split(separator: "/").last else {
            return nil
        }
        let file = "/sys/class/tty/\(name)/device/latency_timer"
        guard let text = SystemFiles.readText(file), let milliseconds = Int(text.trimmed) else { return nil }
        if milliseconds <= 1 { return .pass(subject, "\(name) latency_timer \(milliseconds) ms") }
        return .warn(
            subject,
            "\(name) latency_timer is \(milliseconds) ms (reads arrive late)",
            hint: "install udev/99-floorlink.rules, which sets it to 1 ms, then replug the adapter"
        )
    }

    // MARK: GPIO

    /// Which libgpiod floorlinkd loads here and through which API; missing fails only when pins are configured.
    private func libgpiodFinding(_ configuration: SiteConfiguration) -> DoctorFinding {
        switch LinuxGPIOBackend().library {
        case .success(let library):
            let debounce = library.api == .v2 ? "kernel debounce" : "software debounce"
            return .pass("libgpiod", "\(library) from \(library.path); \(debounce) for door sensors and buttons")
        case .failure(let error):
            let hint = "apt-get install libgpiod3 (Debian 13, Pi OS trixie) or libgpiod2 (Debian 12, Pi OS bookworm)"
            if Self.pins(of: configuration).isEmpty {
                return .warn("libgpiod", "not installed (no GPIO pins configured): \(error)", hint: hint)
            }
            return .fail("libgpiod", error.description, hint: hint)
        }
    }

    private func gpioFindings(_ configuration: SiteConfiguration) -> [DoctorFinding] {
        let pins = Self.pins(of: configuration)
        guard !pins.isEmpty else { return [] }
        let chips: [GPIOChipInfo]
        do throws(HALError) {
            chips = try LinuxGPIOBackend().chips()
        } catch {
            return [.fail("gpio", error.description, hint: "usermod -aG gpio USER; install the udev rule")]
        }
        guard !chips.isEmpty else {
            return [
                .fail("gpio", "no gpiochips in /dev", hint: "run on the controller; the kernel exposes /dev/gpiochipN")
            ]
        }
        var findings: [DoctorFinding] = []
        var chipsSeen: Set<GPIOChipSelector> = []
        for pin in pins {
            guard let chip = Self.chip(pin.reference.chip, in: chips) else {
                if chipsSeen.insert(pin.reference.chip).inserted {
                    let present = chips.map { "\($0.name) (\($0.label))" }.joined(separator: ", ")
                    findings.append(
                        .fail(
                            "gpio \(pin.reference.chip)",
                            "no chip \(pin.reference.chip) for \(pin.path); present: \(present)",
                            hint: "check \"board\" in site.json matches this machine ('floorctl gpio list')"
                        )
                    )
                }
                continue
            }
            if chipsSeen.insert(pin.reference.chip).inserted {
                findings.append(
                    .pass("gpio \(pin.reference.chip)", "found as \(chip.name) with \(chip.lineCount) lines")
                )
            }
            if pin.reference.offset >= chip.lineCount {
                findings.append(
                    .fail(
                        "gpio \(pin.reference.name)",
                        "\(pin.path): line \(pin.reference.offset) beyond \(chip.name)'s \(chip.lineCount) lines",
                        hint: "fix the pin in site.json or the board file"
                    )
                )
            }
        }
        return findings
    }

    /// Every configured pin with the config path that names it.
    static func pins(of configuration: SiteConfiguration) -> [(path: String, reference: PinReference)] {
        var pins: [(String, PinReference)] = []
        for device in configuration.devices {
            switch device {
            case .lockerBank(let bank):
                for door in bank.doors {
                    pins.append(("\(bank.id) \(door.id) lock", door.lock))
                    pins.append(("\(bank.id) \(door.id) sensor", door.sensor))
                    if let occupancy = door.occupancy { pins.append(("\(bank.id) \(door.id) occupancy", occupancy)) }
                }
            case .pickToLight(let ptl):
                for slot in ptl.slots {
                    for (colour, light) in slot.lights.sorted(by: { $0.key < $1.key }) {
                        pins.append(("\(ptl.id) \(slot.id) light \(colour)", light))
                    }
                    pins.append(("\(ptl.id) \(slot.id) button", slot.button))
                    if let shortage = slot.shortageButton { pins.append(("\(ptl.id) \(slot.id) shortage", shortage)) }
                }
            case .barcodeScanner, .rfidReader: continue
            }
        }
        return pins
    }

    private static func chip(_ selector: GPIOChipSelector, in chips: [GPIOChipInfo]) -> GPIOChipInfo? {
        switch selector {
        case .label(let label): return chips.first { $0.label == label }
        case .name(let name): return chips.first { $0.name == name }
        case .path(let path): return chips.first { "/dev/\($0.name)" == path }
        case .number(let number): return chips.first { $0.name == "gpiochip\(number)" }
        }
    }

    // MARK: Permissions

    private func permissionFindings(_ configuration: SiteConfiguration?) -> [DoctorFinding] {
        var findings: [DoctorFinding] = []
        let linux = configuration?.hardware != .simulated
        if getuid() == 0 {
            findings.append(.pass("permissions", "running as root"))
        } else {
            var needed = ["floorlink"]
            let usesSerial =
                configuration.map { configuration in
                    !configuration.buses.isEmpty
                        || configuration.devices.contains { $0.kind == "barcode-scanner" || $0.kind == "rfid-reader" }
                } ?? true
            if linux, usesSerial {
                needed.append("dialout")
            }
            if linux, configuration.map({ !Self.pins(of: $0).isEmpty }) ?? true { needed.append("gpio") }
            let mine = SystemFiles.groupNames()
            for group in needed {
                if mine.contains(group) {
                    findings.append(.pass("group \(group)", "you are a member"))
                } else if getgrnam(group) == nil {
                    findings.append(
                        .warn(
                            "group \(group)",
                            "no group '\(group)' on this system",
                            hint: "sudo groupadd --system \(group)"
                        )
                    )
                } else {
                    findings.append(
                        .fail(
                            "group \(group)",
                            "you are not in group '\(group)'",
                            hint: "sudo usermod -aG \(group) $USER, then log in again"
                        )
                    )
                }
            }
        }
        if linux {
            let rules = [
                "/etc/udev/rules.d/99-floorlink.rules", "/usr/lib/udev/rules.d/99-floorlink.rules",
                "/lib/udev/rules.d/99-floorlink.rules",
            ]
            if let installed = rules.first(where: { access($0, F_OK) == 0 }) {
                findings.append(.pass("udev rules", "\(installed) installed"))
            } else {
                findings.append(
                    .fail(
                        "udev rules",
                        "99-floorlink.rules is not installed",
                        hint: "sudo install -m 644 udev/99-floorlink.rules /etc/udev/rules.d/ && "
                            + "sudo udevadm control --reload && sudo udevadm trigger"
                    )
                )
            }
        }
        return findings
    }

    // MARK: Data directory

    private func dataDirectoryFinding(_ directory: String) -> DoctorFinding {
        var status = stat()
        guard stat(directory, &status) == 0 else {
            return .fail(
                "data dir",
                "\(directory) does not exist",
                hint: "sudo install -d -o floorlink -g floorlink -m 750 \(directory)"
            )
        }
        guard status.st_mode & S_IFMT == S_IFDIR else {
            return .fail(
                "data dir",
                "\(directory) is not a directory",
                hint: "set \"dataDir\" in site.json to a directory"
            )
        }
        if access(directory, W_OK) == 0 { return .pass("data dir", "\(directory) is writable") }
        if let owner = getpwnam("floorlink"), status.st_uid == owner.pointee.pw_uid, status.st_mode & S_IWUSR != 0 {
            return .pass("data dir", "\(directory) is writable by floorlink")
        }
        return .fail(
            "data dir",
            "\(directory) is not writable by floorlinkd's user",
            hint: "sudo chown -R floorlink:floorlink \(directory)"
        )
    }

    // MARK: Uplinks

    private func uplinkFindings(_ configuration: SiteConfiguration) -> [DoctorFinding] {
        var findings: [DoctorFinding] = []
        if let mqtt = configuration.mqtt {
            if let endpoint = Endpoint(url: mqtt.url) {
                switch NetworkProbe.connect(host: endpoint.host, port: endpoint.port, timeoutMilliseconds: 2000) {
                case .success:
                    findings.append(.pass("uplink mqtt", "\(endpoint.host):\(endpoint.port) accepts connections"))
                case .failure(let problem):
                    findings.append(
                        .fail(
                            "uplink mqtt",
                            "\(endpoint.host):\(endpoint.port): \(problem.reason)",
                            hint: "check the broker is up and the firewall allows port \(endpoint.port)"
                        )
                    )
                }
            } else {
                findings.append(
                    .fail("uplink mqtt", "cannot read host and port from \(mqtt.url)", hint: "use mqtt://HOST:PORT")
                )
            }
        }
        if let webhook = configuration.webhook {
            if let endpoint = Endpoint(url: webhook.url), NetworkProbe.resolves(endpoint.host) {
                findings.append(.pass("uplink webhook", "\(endpoint.host) resolves"))
            } else {
                findings.append(
                    .fail(
                        "uplink webhook",
                        "cannot resolve the host of \(webhook.url)",
                        hint: "check DNS (resolvectl status)"
                    )
                )
            }
        }
        if configuration.mqtt == nil, configuration.webhook == nil {
            findings.append(.pass("uplinks", "none configured (events stay in the outbox)"))
        }
        return findings
    }

    // MARK: Clock

    private func clockFinding() -> DoctorFinding {
        let hint = "sudo timedatectl set-ntp true; event times are wrong until the clock is synchronised"
        for tool in ["/usr/bin/timedatectl", "/bin/timedatectl"] where access(tool, X_OK) == 0 {
            let answer = SystemFiles.output(of: tool, ["show", "-p", "NTPSynchronized", "--value"])?.trimmed
            if answer == "yes" { return .pass("clock", "synchronised (timedatectl)") }
            if answer == "no" { return .warn("clock", "not synchronised (timedatectl)", hint: hint) }
            break
        }
        if access("/run/systemd/timesync/synchronized", F_OK) == 0 {
            return .pass("clock", "synchronised (systemd-timesyncd)")
        }
        return .warn("clock", "synchronisation unknown (no timedatectl answer, no timesyncd flag)", hint: hint)
    }
}

/// Host and port of an uplink URL (`mqtt://host:1883`, `mqtts://host`, `https://host/path`).
struct Endpoint: Hashable, Sendable {
    var host: String
    var port: Int

    init?(url: String) {
        let parts = url.split(separator: "://", maxSplits: 1)
        guard parts.count == 2 else { return nil }
        let scheme = parts[0].lowercased()
        var authority = parts[1].prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        let defaults = ["mqtt": 1883, "tcp": 1883, "mqtts": 8883, "ssl": 8883, "http": 80, "https": 443]
        var host = String(authority)
        var port = defaults[scheme] ?? 0
        if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
            host = String(authority[authority.index(after: authority.startIndex)..<close])
            let rest = authority[authority.index(after: close)...]
            if rest.hasPrefix(":"), let number = Int(rest.dropFirst()) { port = number }
        } else if let colon = authority.lastIndex(of: ":") {
            host = String(authority[..<colon])
            guard let number = Int(authority[authority.index(after: colon)...]) else { return nil }
            port = number
        }
        guard !host.isEmpty, (1...65_535).contains(port) else { return nil }
        self.host = host
        self.port = port
    }
}

extension String {
    /// Without leading and trailing whitespace and newlines.
    var trimmed: String {
        let characters = self.drop { $0.isWhitespace }
        return String(characters.reversed().drop { $0.isWhitespace }.reversed())
    }
}
