import Events
import Glibc
import HAL
import HALLinux
import IOEngine
import Locking

/// `floorlinkd`: loads and validates the site config, runs the site until SIGTERM, reloads on SIGHUP when the
/// new config is valid (and keeps running, saying why, when it is not), and speaks sd_notify to systemd.
public enum Daemon {
    /// The signals the daemon handles: SIGTERM and SIGINT stop it, SIGHUP reloads the config.
    public static let signals: [Int32] = [SIGTERM, SIGINT, SIGHUP]

    public static let usage = """
        USAGE: floorlinkd [--config <path>] [--check-config] [--log-level <level>]

        OPTIONS:
          --config <path>         The site config. (default: /etc/floorlink/site.json, or
                                  hal/sites/demo.json when that is absent and this is a checkout)
          --check-config          Validate the config, print the result, and exit.
          --log-level <level>     debug, info, notice, warning or error. (default: info)
          --version               Show the version.
          -h, --help              Show help information.
        """

    /// Exit codes (sysexits.h): 0 ok, 64 usage, 78 bad config, 1 start-up failure.
    public static func main(arguments: [String], environment: [String: String]) async -> Int32 {
        var configPath: String?
        var checkOnly = false
        var level = Logger.Level.info
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            func value() -> String? {
                if let equals = argument.firstIndex(of: "=") {
                    return String(argument[argument.index(after: equals)...])
                }
                index += 1
                return index < arguments.count ? arguments[index] : nil
            }
            switch argument.split(separator: "=", maxSplits: 1).first.map(String.init) ?? argument {
            case "--config":
                guard let path = value() else { return usageError("Missing value for '--config <path>'") }
                configPath = path
            case "--check-config": checkOnly = true
            case "--log-level":
                guard let name = value(), let parsed = Logger.Level(name: name) else {
                    return usageError("The value for '--log-level' must be debug, info, notice, warning or error")
                }
                level = parsed
            case "--version":
                print("floorlinkd \(FloorlinkVersion.current)")
                return 0
            case "-h", "--help":
                print("OVERVIEW: The Floorlink edge controller daemon.\n\n" + usage)
                return 0
            default:
                return usageError("Unexpected argument '\(argument)'")
            }
            index += 1
        }
        let logger = Logger(label: "floorlinkd", level: level, handler: StandardErrorLogHandler())
        let path = configPath ?? defaultConfigPath()
        let hal = HALSearchPath.forProcess(configPath: path)
        let configuration: SiteConfiguration
        do throws(ConfigError) {
            configuration = try SiteConfiguration.load(path: path, hal: hal)
            try configuration.checkStoredLockerOrders()
            if !checkOnly { try configuration.checkNotExample() }
        } catch {
            writeError("floorlinkd: \(error)")
            return 78
        }
        let numbered = NumberedPortPath.findings(in: configuration, ports: NumberedPortPath.presentPorts(configuration))
        if checkOnly {
            let buses = configuration.buses.count
            let busText = buses == 0 ? "" : ", \(buses) \(buses == 1 ? "bus" : "buses")"
            print(
                "\(path): OK (site \(configuration.site), controller \(configuration.controller), \(configuration.devices.count) devices\(busText))"
            )
            for finding in numbered { writeError("floorlinkd: warning: \(finding)") }
            if configuration.example != nil {
                writeError(
                    "floorlinkd: warning: \(path) is an example config (\"example\" is set): valid, but floorlinkd "
                        + "will not run it until that member is deleted"
                )
            }
            return 0
        }
        for finding in numbered { logger.warning(finding.problem, ["device": finding.device, "fix": finding.remedy]) }
        // The daemon's tasks run on the I/O loop's thread (see IOLoop+TaskExecutor): a scan is read, stored and
        // published there, and only the sync leaves it; they sleep on the loop's timer (LoopClock). Without a loop
        // (no epoll?) they stay on the global pool and the system clock.
        let loop = try? IOLoop.shared()
        let clock: any Clock = loop.map { LoopClock(loop: $0) } ?? SystemClock()
        return await withTaskExecutorPreference(loop) {
            await run(
                configuration,
                path: path,
                hal: hal,
                logger: logger,
                environment: environment,
                clock: clock,
                taskExecutor: loop
            )
        }
    }

    static func run(
        _ first: SiteConfiguration,
        path: String,
        hal: HALSearchPath,
        logger: Logger,
        environment: [String: String],
        clock: any Clock,
        taskExecutor: (any TaskExecutor)?
    ) async -> Int32 {
        let notifier = SystemdNotifier(environment: environment)
        let signals = SignalSource(Self.signals)
        var configuration = first
        logger.notice(
            "starting",
            ["config": path, "site": first.site, "controller": first.controller, "hardware": first.hardware.rawValue]
        )
        while true {
            let site: Site
            let services: [any LifecycleService]
            do throws(SiteError) {
                site = try await Site.open(
                    configuration: configuration,
                    logger: logger,
                    clock: clock,
                    taskExecutor: taskExecutor
                )
                services = try site.serviceList()
            } catch {
                logger.error("cannot start: \(error)")
                notifier.notify("STATUS=cannot start: \(error)")
                return 1
            }
            await site.hub.emit(
                .controllerStarted,
                device: "controller",
                data: [
                    "version": .string(FloorlinkVersion.current), "hardware": .string(configuration.hardware.rawValue),
                    "devices": .int(Int64(configuration.devices.count)),
                ]
            )
            let status = "\(configuration.devices.count) devices, outbox in \(configuration.dataDirectory)"
            notifier.notify("READY=1\nSTATUS=running: \(status)")
            logger.notice(
                "ready",
                ["devices": "\(configuration.devices.count)", "socket": configuration.controlSocket]
            )

            let decision = Locked<SiteConfiguration?>(nil)
            let (trigger, fire) = AsyncStream<Void>.makeStream()
            let watcher = Task {
                for await number in signals.signals {
                    if number == SIGHUP {
                        do throws(ConfigError) {
                            let reloaded = try SiteConfiguration.load(path: path, hal: hal)
                            try reloaded.checkStoredLockerOrders()
                            try reloaded.checkNotExample()
                            logger.notice("SIGHUP: config is valid; reloading", ["config": path])
                            decision.withLock { $0 = reloaded }
                            notifier.notify("RELOADING=1\nSTATUS=reloading")
                            await site.hub.emit(.controllerStopping, device: "controller", data: ["reason": "reload"])
                            fire.yield()
                            return
                        } catch {
                            logger.error("SIGHUP: config not reloaded, still running the previous one: \(error)")
                            notifier.notify("STATUS=running: \(status); last reload refused: \(error)")
                        }
                    } else {
                        logger.notice("stopping", ["signal": number == SIGTERM ? "SIGTERM" : "SIGINT"])
                        notifier.notify("STOPPING=1\nSTATUS=stopping")
                        await site.hub.emit(.controllerStopping, device: "controller", data: ["reason": "signal"])
                        fire.yield()
                        return
                    }
                }
            }
            let watchdog = Task {
                guard let interval = notifier.watchdogInterval else { return }
                while !Task.isCancelled {
                    notifier.notify("WATCHDOG=1")
                    try? await clock.sleep(for: interval)
                }
            }
            let group = ServiceGroup(
                services: services,
                gracefulTimeout: .seconds(5),
                taskExecutor: taskExecutor,
                logger: logger
            )
            let outcome = await group.run(until: trigger)
            watcher.cancel()
            watchdog.cancel()
            if case .serviceEnded(let name, let error) = outcome {
                logger.error("exiting after a service failed", ["service": name, "error": error ?? "none"])
                return 1
            }
            guard let reloaded = decision.withLock({ $0 }) else {
                logger.notice("stopped")
                return 0
            }
            // READY=1 (with the new STATUS) is sent at the top of the loop once the reloaded site is up.
            configuration = reloaded
        }
    }

    /// `/etc/floorlink/site.json`, or the demo site when run from a checkout without one.
    static func defaultConfigPath() -> String {
        let system = "/etc/floorlink/site.json"
        if access(system, F_OK) == 0 { return system }
        let demo = "hal/sites/demo.json"
        return access(demo, F_OK) == 0 ? demo : system
    }

    static func usageError(_ message: String) -> Int32 {
        writeError(
            "Error: \(message)\nUsage: floorlinkd [--config <path>] [--check-config] [--log-level <level>]\n  See 'floorlinkd --help' for more information."
        )
        return 64
    }

    static func writeError(_ text: String) {
        StandardErrorLogHandler.writeRaw(text + "\n")
    }
}
