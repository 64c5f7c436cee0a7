import Glibc
import IOEngine

/// The `metrics.listen` HTTP listener: `GET /metrics` (Prometheus text), `GET /` (the status page) and
/// `GET /healthz`, served on the I/O engine's loop by `HTTPServer`. Read-only: nothing here changes the site.
struct MetricsServer: Sendable {
    let site: Site
    let settings: MetricsSettings
    let logger: Logger

    /// Binds the listener now, so a port in use or an address not on this machine fails start-up.
    func bind() throws(SiteError) -> TCPListener {
        do throws(IOError) {
            return try TCPListener(host: settings.host, port: settings.port)
        } catch {
            throw SiteError("metrics.listen: cannot listen on \(settings.listen): \(error)")
        }
    }

    /// Serves `listener` until cancelled.
    func serve(_ listener: TCPListener) async {
        logger.notice("serving metrics and the status page", ["listen": listener.address])
        let server = HTTPServer(maxConnections: settings.maxConnections, logger: logger) { head in
            await respond(to: head)
        }
        await server.serve(listener)
    }

    /// The answer to one GET or HEAD.
    func respond(to head: HTTPRequestHead) async -> HTTPServerResponse {
        switch head.path {
        case "/metrics":
            return HTTPServerResponse(
                status: 200,
                contentType: PrometheusExposition.contentType,
                body: await site.snapshot().metricsText
            )
        case "/":
            return HTTPServerResponse(
                status: 200,
                contentType: "text/html; charset=utf-8",
                body: StatusPage.render(await site.snapshot()),
                headers: ["Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'"]
            )
        case "/healthz":
            if let problem = await healthProblem() {
                return HTTPServerResponse(status: 503, body: "unhealthy: \(problem)\n")
            }
            return HTTPServerResponse(status: 200, body: "ok\n")
        default:
            return .error(404, "no page \(head.path); try /, /metrics or /healthz")
        }
    }

    /// Why the daemon cannot take events now, or nil: the outbox's directory must be writable and under quota.
    func healthProblem() async -> String? {
        let directory = site.configuration.dataDirectory
        if access(directory, W_OK) != 0 {
            return "outbox directory \(directory) is not writable: \(String(cString: strerror(errno)))"
        }
        let status = await site.outbox.status
        if status.usedBytes >= status.quotaBytes {
            return "outbox full: \(status.usedBytes) of \(status.quotaBytes) bytes used"
        }
        return nil
    }
}
