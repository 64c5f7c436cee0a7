import Foundation
import Glibc
import Locking
import TestSupport

/// python3's http.server wrapped in `ssl` on a free loopback port, serving POSTs with the test PKI's
/// certificate. `mode`: `ok` answers 200 `{"ok":true}` with keep-alive; `slow` reads the request and never answers;
/// `midclose` answers the first request with a head promising 100 bytes, sends 7 and closes, then answers
/// normally; `dropidle` answers like `ok` (no `Connection: close`) but then closes the connection. Each
/// connection is logged to `requestLog` as `CONNECT`, each request as `POST <path> <body bytes>`.
final class HTTPSTestServer: Sendable {
    enum Mode: String, Sendable {
        case ok
        case slow
        case midclose
        case dropidle
    }

    static var pythonPath: String? {
        ["/usr/bin/python3", "/usr/local/bin/python3"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static var isAvailable: Bool { pythonPath != nil && TestCertificates.isAvailable }

    let port: Int
    let requestLog: String
    private let child: ChildProcess

    /// Starts the server in `pki`'s directory with its `localhost` certificate, or with `identity` (another
    /// certificate and key) where given.
    convenience init(
        pki: TestCertificates,
        mode: Mode,
        identity: (certificate: String, key: String)? = nil
    ) async throws {
        try await self.init(
            certificate: identity?.certificate ?? pki.serverCertificate,
            key: identity?.key ?? pki.serverKey,
            mode: mode,
            directory: pki.directory
        )
    }

    /// Starts the server with `certificate`/`key` and waits until it listens.
    init(certificate: String, key: String, mode: Mode, directory: String) async throws {
        guard let python = Self.pythonPath else { throw HarnessError("python3 is not installed") }
        port = try Loopback.freePort()
        let script = "\(directory)/https-server-\(port).py"
        requestLog = "\(directory)/https-server-\(port).log"
        try TestFile.write(Self.script, to: script)
        child = try ChildProcess(
            python,
            [script, String(port), certificate, key, mode.rawValue],
            outputPath: requestLog,
            errorPath: "\(directory)/https-server-\(port).err"
        )
        do {
            try await Loopback.waitUntilListening(port: port)
        } catch {
            child.stop()
            throw error
        }
    }

    /// The requests the server received, one line each.
    var requests: [String] {
        ((try? String(contentsOfFile: requestLog, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    /// Kills the server; a thread of its own reaps it.
    func stop() {
        child.stop(signal: SIGKILL)
    }

    private static let script = #"""
        import http.server, socket, ssl, sys, threading, time

        port, certificate, key, mode = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
        state = {"cut": False}
        lock = threading.Lock()

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *arguments):
                pass

            def setup(self):
                # The TLS handshake runs here, in this connection's thread: done in the accept loop (the default),
                # one slow or refused handshake held every other connection, and a loaded run saw resets.
                self.request.do_handshake()
                super().setup()
                print("CONNECT", flush=True)

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                print("POST", self.path, len(body), flush=True)
                if mode == "slow":
                    time.sleep(3600)
                if mode == "midclose":
                    with lock:
                        cut, state["cut"] = not state["cut"], True
                    if cut:
                        self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial")
                        self.wfile.flush()
                        self.close_connection = True
                        self.connection.shutdown(socket.SHUT_RDWR)
                        return
                reply = b'{"ok":true}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)
                if mode == "dropidle":
                    self.close_connection = True

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 128

            def handle_error(self, request, address):
                pass

        server = Server(("127.0.0.1", port), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(certificate, key)
        server.socket = context.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
        server.serve_forever()
        """#
}

extension TestCertificates {
    /// A server certificate from the test CA that names only `elsewhere.example`: right CA, wrong host.
    func elsewhereCertificate() async throws -> (certificate: String, key: String) {
        let openssl = Self.opensslPath
        let name = "\(directory)/elsewhere"
        try TestFile.write("subjectAltName=DNS:elsewhere.example\nbasicConstraints=CA:FALSE\n", to: "\(name).ext")
        let steps = [
            [
                "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", "\(name).key",
                "-out", "\(name).csr", "-subj", "/CN=elsewhere.example",
            ],
            [
                "x509", "-req", "-in", "\(name).csr", "-CA", caCertificate, "-CAkey", "\(directory)/ca.key",
                "-CAcreateserial", "-out", "\(name).crt", "-days", "2", "-extfile", "\(name).ext",
            ],
        ]
        for arguments in steps {
            let status = try await ChildProcess.run(openssl, arguments, timeout: .seconds(60))
            guard status == 0 else { throw HarnessError("openssl \(arguments[0]) exited with \(status)") }
        }
        return ("\(name).crt", "\(name).key")
    }
}
