import Devices
import Events
import Glibc
import HAL
import HALLinux
import HALSimulated
import IOEngine
import Outbox
import Uplink

/// A running site: the outbox, the devices, the uplinks, command intake and the control socket, built from a
/// validated config. `services` lists them in start order; the service group stops them in reverse.
public final class Site: Sendable {
    public let configuration: SiteConfiguration
    public let outbox: Outbox
    public let hub: EventHub
    public let registry: DeviceRegistry
    public let simulated: SimulatedHardware?
    public let started: EventTime
    let mqtt: MQTTUplink?
    let webhook: WebhookUplink?
    let intake: CommandIntake
    let services: [any LifecycleService]
    let logger: Logger

    /// Opens everything that can fail at start-up (data directory, outbox, command key, uplink settings,
    /// control socket) so that a bad site stops here with a clear message; devices that are absent are not
    /// start-up errors, they are retried. `taskExecutor` is where the tasks the site starts for itself run (the
    /// outbox's, the MQTT client's); the daemon passes its I/O loop, nil leaves them on the global pool.
    public static func open(
        configuration: SiteConfiguration,
        logger: Logger,
        clock: any Clock = SystemClock(),
        simulate: Bool = true,
        taskExecutor: (any TaskExecutor)? = nil
    ) async throws(SiteError) -> Site {
        let config = configuration
        try makeDirectory(config.dataDirectory)
        do throws(ConfigError) {
            try config.checkStoredLockerOrders()
        } catch {
            throw SiteError("\(error)")
        }
        let uplinkNames = (config.mqtt == nil ? [] : ["mqtt"]) + (config.webhook == nil ? [] : ["webhook"])
        let outbox: Outbox
        do throws(OutboxError) {
            outbox = try await Outbox.open(
                directory: config.dataDirectory,
                site: config.site,
                controller: config.controller,
                uplinks: uplinkNames,
                // Each append waits only for an fdatasync started after its write; appends that arrive together
                // share one. A lone scan never waits out a batching window (group commit's 5 ms).
                policy: .always,
                quotaBytes: config.outboxQuotaBytes,
                taskExecutor: taskExecutor,
                sleep: { duration in try? await clock.sleep(for: duration) },
                reportObserver: OutboxReportLog(logger: logger.labelled("outbox")).record
            )
        } catch {
            throw SiteError("outbox in \(config.dataDirectory): \(error)")
        }
        let hub = EventHub(outbox: outbox, logger: logger.labelled("events"))
        let registry = DeviceRegistry()
        let simulated = config.hardware == .simulated ? SimulatedHardware(configuration: config, clock: clock) : nil
        let gpio: any GPIOBackend = simulated?.gpio ?? LinuxGPIOBackend()
        let serial: any SerialBackend = simulated?.serial ?? LinuxSerialBackend()

        var services: [any LifecycleService] = []
        let key: [UInt8]?
        do throws(CommandKeyError) {
            key = try config.mqtt?.commandKeyFile.map { path throws(CommandKeyError) in try CommandKey.load(path: path)
            }
        } catch {
            throw SiteError("uplinks.mqtt.commandKeyFile: \(error)")
        }
        let intakeLogger = logger.labelled("commands")
        let box = UplinkBox()
        let intake: CommandIntake
        do {
            intake = try CommandIntake(
                dataDirectory: config.dataDirectory,
                key: key,
                target: CommandRouter(registry: registry, configuration: config, replayer: { box.uplink }),
                log: { intakeLogger.warning($0) }
            )
        } catch {
            throw SiteError("command ledger in \(config.dataDirectory): \(error)")
        }

        let mqtt = try makeMQTT(
            config,
            box: box,
            outbox: outbox,
            intake: intake,
            hub: hub,
            clock: clock,
            taskExecutor: taskExecutor,
            logger: logger
        )
        let webhook = try makeWebhook(
            config,
            outbox: outbox,
            clock: clock,
            logger: logger,
            taskExecutor: taskExecutor
        )
        services.append(
            ClosureService(name: "outbox") {
                while !Task.isCancelled { try? await clock.sleep(for: .seconds(3600)) }
                await outbox.close()
            }
        )
        if let mqtt {
            services.append(
                Self.uplinkService("mqtt", outbox: outbox, taskExecutor: taskExecutor) {
                    await mqtt.run()
                } stop: {
                    await mqtt.stop(drainTimeout: $1, deliveringThrough: $0)
                }
            )
        }
        if let webhook {
            services.append(
                Self.uplinkService("webhook", outbox: outbox, taskExecutor: taskExecutor) {
                    await webhook.run()
                } stop: {
                    await webhook.stop(drainTimeout: $1, deliveringThrough: $0)
                }
            )
        }

        let devices = DeviceFactory(
            configuration: config,
            gpio: gpio,
            serial: serial,
            clock: clock,
            hub: hub,
            registry: registry,
            logger: logger
        )
        services += devices.supervisors()
        if let simulated, simulate, config.simulatedTraffic {
            let simulator = DemoSimulator(
                configuration: config,
                hardware: simulated,
                registry: registry,
                clock: clock,
                logger: logger.labelled("simulator")
            )
            services.append(ClosureService(name: "simulator") { await simulator.run() })
        }
        let site = Site(
            configuration: config,
            outbox: outbox,
            hub: hub,
            registry: registry,
            simulated: simulated,
            mqtt: mqtt,
            webhook: webhook,
            intake: intake,
            services: services,
            logger: logger
        )
        return site
    }

    private init(
        configuration: SiteConfiguration,
        outbox: Outbox,
        hub: EventHub,
        registry: DeviceRegistry,
        simulated: SimulatedHardware?,
        mqtt: MQTTUplink?,
        webhook: WebhookUplink?,
        intake: CommandIntake,
        services: [any LifecycleService],
        logger: Logger
    ) {
        self.configuration = configuration
        self.outbox = outbox
        self.hub = hub
        self.registry = registry
        self.simulated = simulated
        self.mqtt = mqtt
        self.webhook = webhook
        self.intake = intake
        self.services = services
        self.logger = logger
        started = EventTime.now()
    }

    /// The services in start order, with the control socket (bound now, so a bad path fails start-up) last.
    public func serviceList() throws(SiteError) -> [any LifecycleService] {
        let server = ControlServer(
            path: configuration.controlSocket,
            handler: SiteControl(site: self),
            maxConnections: configuration.controlMaxConnections,
            logger: logger.labelled("control")
        )
        let directory = configuration.controlSocket.split(separator: "/", omittingEmptySubsequences: false).dropLast()
        try Self.makeDirectory(directory.joined(separator: "/"))
        let listener: UnixListener
        do throws(HALError) {
            listener = try server.bind()
        } catch {
            throw SiteError("control.socket: \(error)")
        }
        var extra: [any LifecycleService] = []
        if let settings = configuration.metrics {
            let metrics = MetricsServer(site: self, settings: settings, logger: logger.labelled("metrics"))
            let metricsListener = try metrics.bind()
            extra.append(ClosureService(name: "metrics") { await metrics.serve(metricsListener) })
        }
        return services + extra + [ClosureService(name: "control-socket") { try await server.serve(listener) }]
    }

    /// Runs an upstream command (from MQTT or the control socket) and records its `command.result` event.
    public func runCommand(_ payload: [UInt8]) async -> CommandResult {
        let result = await intake.handle(payload)
        await hub.emit(.commandResult, device: "controller", data: result.eventData)
        return result
    }

    private static func makeMQTT(
        _ config: SiteConfiguration,
        box: UplinkBox,
        outbox: Outbox,
        intake: CommandIntake,
        hub: EventHub,
        clock: any Clock,
        taskExecutor: (any TaskExecutor)?,
        logger: Logger
    )
        throws(SiteError) -> MQTTUplink?
    {
        guard let settings = config.mqtt else { return nil }
        let password: String?
        do throws(ConfigError) {
            password = try settings.passwordFile.map { path throws(ConfigError) in
                String(decoding: try ConfigFile.readSecret(path: path), as: UTF8.self)
            }
        } catch {
            throw SiteError("uplinks.mqtt.passwordFile: \(error)")
        }
        let tls = settings.tls
        let answer: @Sendable (CommandResult) async -> Void = { result in
            await hub.emit(.commandResult, device: "controller", data: result.eventData)
            _ = try? await box.uplink?.publishCommandResult(result.eventData.jsonText)
        }
        do throws(MQTTError) {
            let uplink = try MQTTUplink(
                url: settings.url,
                clientID: settings.clientID,
                username: settings.username,
                password: password,
                keepAlive: UInt16(clamping: settings.keepAlive.components.seconds),
                tls: tls,
                site: config.site,
                controller: config.controller,
                log: outbox,
                version: FloorlinkVersion.current,
                onCommand: { payload in await answer(await intake.handle(payload)) },
                // Skipped unread by the client (over its packet limit) and acknowledged: answered, never redelivered.
                onOversizedCommand: { byteCount in await answer(await intake.refuseOversized(byteCount: byteCount)) },
                logger: logger.labelled("mqtt"),
                clock: clock,
                configure: { $0.taskExecutor = taskExecutor }
            )
            box.uplink = uplink
            return uplink
        } catch {
            throw SiteError("uplinks.mqtt: \(error)")
        }
    }

    /// An uplink as a service. The uplink runs in a task of its own, so that cancelling the service does not cut its
    /// connection: the cancellation calls `stop` with the outbox head instead, which delivers what the outbox holds
    /// through it (`controller.stopping` among it) within `drainTimeout`, 4 s of the service group's 5 s, and `run`
    /// returns after.
    private static func uplinkService(
        _ name: String,
        outbox: Outbox,
        taskExecutor: (any TaskExecutor)?,
        run: @escaping @Sendable () async -> Void,
        stop: @escaping @Sendable (_ head: UInt64, _ drainTimeout: Duration) async -> Void
    ) -> ClosureService {
        ClosureService(name: name) {
            let running = Task(executorPreference: taskExecutor) { await run() }
            await withTaskCancellationHandler {
                await running.value
            } onCancel: {
                Task { await stop(await outbox.status.lastSeq, .seconds(4)) }
            }
        }
    }

    private static func makeWebhook(
        _ config: SiteConfiguration,
        outbox: Outbox,
        clock: any Clock,
        logger: Logger,
        taskExecutor: (any TaskExecutor)?
    ) throws(SiteError) -> WebhookUplink? {
        guard let settings = config.webhook else { return nil }
        let secret: [UInt8]?
        do throws(ConfigError) {
            secret = try settings.secretFile.map { path throws(ConfigError) in
                try ConfigFile.readSecret(path: path)
            }
        } catch {
            throw SiteError("uplinks.webhook.secretFile: \(error)")
        }
        let url: HTTPURL
        do throws(HTTPError) {
            url = try HTTPURL(parsing: settings.url)
        } catch {
            throw SiteError("uplinks.webhook.url: \(error)")
        }
        var tls: TLSContext?
        if url.isSecure {
            do throws(IOError) {
                let configuration = TLSConfiguration(
                    caFile: settings.caFile,
                    certificateFile: settings.certificateFile,
                    keyFile: settings.keyFile
                )
                tls = try TLSContext(configuration)
            } catch {
                throw SiteError("uplinks.webhook: \(error)")
            }
        }
        return WebhookUplink(
            url: url,
            secret: secret,
            log: outbox,
            batchDelay: settings.batchDelay,
            tls: tls,
            clock: clock,
            logger: logger.labelled("webhook"),
            taskExecutor: taskExecutor
        )
    }

    /// `mkdir -p`.
    static func makeDirectory(_ path: String) throws(SiteError) {
        guard !path.isEmpty else { return }
        var current = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            current += "/" + component
            if mkdir(current, 0o750) != 0 && errno != EEXIST {
                throw SiteError("cannot create \(current): \(String(cString: strerror(errno)))")
            }
        }
    }
}

/// A site that could not start, with what to fix.
public struct SiteError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Lets the MQTT command callback, and the command router's `events.replay`, reach the uplink made after them.
final class UplinkBox: @unchecked Sendable {
    // @unchecked: written once, right after the uplink is made and before it runs; only read afterwards.
    var uplink: MQTTUplink?
}
