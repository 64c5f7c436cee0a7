import Events
import Glibc
import HAL
import IOEngine

/// The control socket: a Unix socket (mode 0660) speaking newline-delimited JSON. Only root, the daemon's own
/// user and members of the `floorlink` group get answers (`SO_PEERCRED`). A malformed request gets an error
/// reply; a client that stops reading is disconnected instead of stalling the daemon. Idle clients cannot use up
/// the daemon's descriptors: past `maxConnections` the oldest idle one is closed, and a failing `accept` (EMFILE,
/// ENFILE, ENOMEM) backs off and retries instead of stopping the daemon.
public struct ControlServer: LifecycleService {
    public let name = "control-socket"
    public let path: String
    public let access: ControlAccess
    /// How long a write to a client may wait before the client is dropped.
    public let writeTimeout: Duration
    /// How many clients may be connected at once.
    public let maxConnections: Int
    private let handler: any ControlHandler
    private let logger: Logger

    public init(
        path: String,
        handler: any ControlHandler,
        access: ControlAccess = .system,
        writeTimeout: Duration = .seconds(2),
        maxConnections: Int = SiteConfiguration.defaultControlMaxConnections,
        logger: Logger
    ) {
        self.path = path
        self.handler = handler
        self.access = access
        self.writeTimeout = writeTimeout
        self.maxConnections = max(1, maxConnections)
        self.logger = logger
    }

    /// The cap in force: `maxConnections`, but never more than a quarter of the process's descriptor limit, so
    /// control clients alone can never exhaust it (a process out of descriptors fails in places that cannot
    /// back off, libdispatch's timers among them).
    public var effectiveMaxConnections: Int {
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur != rlim_t.max
        else { return maxConnections }
        return max(1, min(maxConnections, Int(clamping: limit.rlim_cur / 4)))
    }

    /// Binds the socket now, so a bad path fails start-up, and returns the accept loop to run.
    public func bind() throws(HALError) -> UnixListener {
        try UnixListener(path: path, mode: 0o660)
    }

    public func run() async throws {
        try await serve(try bind())
    }

    /// Accepts clients on `listener` until cancelled; each client is served by its own task.
    public func serve(_ listener: UnixListener) async throws {
        defer { listener.close() }
        if let group = access.groupID { _ = chown(path, UInt32.max, group) }
        let connections = ControlConnections()
        let limit = effectiveMaxConnections
        if limit < maxConnections {
            logger.notice(
                "control.maxConnections lowered to a quarter of the descriptor limit",
                ["configured": "\(maxConnections)", "inForce": "\(limit)"]
            )
        }
        var failures = AcceptFailures()
        await withDiscardingTaskGroup { group in
            while !Task.isCancelled {
                let client: UnixStream
                do throws(HALError) {
                    client = try await listener.accept()
                } catch {
                    if case .cancelled = error { return }
                    if case .closed = error { return }
                    // Out of descriptors or memory: free one by closing the oldest idle client, wait, retry.
                    let delay = failures.failed(at: ContinuousClock.now)
                    if failures.shouldWarn {
                        logger.warning(
                            "cannot accept control clients; backing off",
                            ["error": error.description, "clients": "\(connections.count)"]
                        )
                    }
                    connections.closeOldestIdle()
                    // On the loop's timer: a first Dispatch timer armed here, out of descriptors, kills the daemon.
                    await IOLoop.sleep(for: delay)
                    continue
                }
                if let failed = failures.succeeded(at: ContinuousClock.now) {
                    logger.notice("accepting control clients again", ["failedAttempts": "\(failed)"])
                }
                let id = connections.add(client)
                if connections.count > limit, !connections.closeOldestIdle(sparing: id) {
                    connections.remove(id)
                    logger.warning("refused a control client: every connection is busy", ["limit": "\(limit)"])
                    let refusal = ControlReply.failure(
                        ControlError(code: "busy", message: "\(limit) control clients are busy; try again")
                    )
                    group.addTask {
                        defer { client.close() }
                        try? await client.writeLine(refusal.line(for: .null) ?? "", timeout: writeTimeout)
                    }
                    continue
                }
                group.addTask {
                    defer { connections.remove(id) }
                    await serve(client, id: id, connections: connections)
                }
            }
        }
    }

    private func serve(_ client: UnixStream, id: Int, connections: ControlConnections) async {
        defer { client.close() }
        guard let peer = client.peerCredentials(), access.allows(uid: peer.uid, gid: peer.gid, pid: peer.pid) else {
            logger.warning("refused a control client without access", ["peer": "\(client.peerCredentials()?.uid ?? 0)"])
            let refusal = ControlReply.failure(
                ControlError(
                    code: "forbidden",
                    message: "add your user to the 'floorlink' group (usermod -aG floorlink USER)"
                )
            )
            try? await client.writeLine(refusal.line(for: .null) ?? "", timeout: writeTimeout)
            return
        }
        while !Task.isCancelled {
            let line: [UInt8]?
            connections.setIdle(id, true)
            do throws(HALError) {
                line = try await client.readLine()
            } catch {
                if case .invalidConfiguration = error {
                    let reply = ControlReply.failure(ControlError(code: "too-large", message: "request line too long"))
                    try? await client.writeLine(reply.line(for: .null) ?? "", timeout: writeTimeout)
                }
                return
            }
            guard let line else { return }
            connections.setIdle(id, false)
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x0D || $0 == 0x09 }) { continue }
            let request: ControlRequest
            do throws(ControlError) {
                request = try ControlRequest(line: line)
            } catch {
                logger.info("malformed control request", ["error": error.message])
                guard
                    (try? await client.writeLine(
                        ControlReply.failure(error).line(for: .null) ?? "",
                        timeout: writeTimeout
                    )) != nil
                else { return }
                continue
            }
            let reply = await handler.handle(request)
            if case .stream(let items) = reply {
                await stream(items, to: client, id: request.id)
                return
            }
            guard (try? await client.writeLine(reply.line(for: request.id) ?? "", timeout: writeTimeout)) != nil else {
                return
            }
        }
    }

    /// Streams items until the client goes away or stops reading for longer than `writeTimeout`.
    ///
    /// A follower that hangs up (`floorctl events --follow` ended with Ctrl-C or killed) is routine and logged at
    /// debug level as a client that closed its connection: never in the words of a device that was unplugged.
    private func stream(_ items: AsyncStream<JSONValue>, to client: UnixStream, id: JSONValue) async {
        for await item in items {
            let line = JSONValue.object([("id", id), ("event", item)]).jsonText
            do throws(HALError) {
                try await client.writeLine(line, timeout: writeTimeout)
            } catch .disconnected {
                logger.debug(
                    "control client closed its connection while following events",
                    ["pid": client.peerCredentials().map { "\($0.pid)" } ?? "unknown"]
                )
                return
            } catch .cancelled {
                // The daemon is stopping or reloading: the client sees the stream end, nobody did anything wrong.
                return
            } catch {
                logger.info("dropped a control client that stopped reading", ["error": error.description])
                return
            }
        }
    }
}

/// Who may use the control socket: root, the daemon's own user, and the `floorlink` group (by primary or
/// supplementary group of the peer process).
public struct ControlAccess: Sendable {
    public var ownUID: uid_t
    public var groupID: gid_t?

    public init(ownUID: uid_t, groupID: gid_t?) {
        self.ownUID = ownUID
        self.groupID = groupID
    }

    /// This process's user and the system's `floorlink` group, if it exists: looked up in `/etc/group` first,
    /// where the package creates it, and through NSS (`getgrnam`) only when it is not there, because NSS loads
    /// its modules (nss-systemd and libcap: 360 KiB of the daemon's resident memory) for the process's life.
    public static var system: ControlAccess {
        let groupID =
            GroupFile.groupID(named: "floorlink", in: GroupFile.read("/etc/group"))
            ?? getgrnam("floorlink").map { $0.pointee.gr_gid }
        return ControlAccess(ownUID: getuid(), groupID: groupID)
    }

    public func allows(uid: uid_t, gid: gid_t, pid: pid_t) -> Bool {
        if uid == 0 || uid == ownUID { return true }
        guard let groupID else { return false }
        if gid == groupID { return true }
        return Self.supplementaryGroups(of: pid).contains(groupID)
    }

    /// The `Groups:` line of `/proc/PID/status`.
    static func supplementaryGroups(of pid: pid_t) -> [gid_t] {
        guard let file = fopen("/proc/\(pid)/status", "r") else { return [] }
        defer { fclose(file) }
        var line: UnsafeMutablePointer<CChar>?
        var capacity = 0
        defer { free(line) }
        while getline(&line, &capacity, file) > 0 {
            guard let line else { break }
            let text = String(cString: line)
            if text.hasPrefix("Groups:") {
                return text.dropFirst("Groups:".count).split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" })
                    .compactMap { gid_t($0) }
            }
        }
        return []
    }
}
