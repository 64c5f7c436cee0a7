import Foundation
import TestSupport

/// A throwaway PKI made with the `openssl` CLI: a CA, a server certificate for `localhost` (DNS SAN only, so
/// dialling 127.0.0.1 must fail the host check), a client certificate, and an unrelated CA.
struct TestCertificates: Sendable {
    static let opensslPath = "/usr/bin/openssl"
    static var isAvailable: Bool { FileManager.default.isExecutableFile(atPath: opensslPath) }

    let directory: String
    var caCertificate: String { "\(directory)/ca.crt" }
    var serverCertificate: String { "\(directory)/server.crt" }
    var serverKey: String { "\(directory)/server.key" }
    var clientCertificate: String { "\(directory)/client.crt" }
    var clientKey: String { "\(directory)/client.key" }
    var otherCACertificate: String { "\(directory)/other-ca.crt" }

    /// Creates the files in a new temporary directory.
    /// (openssl runs as a child awaited without holding a cooperative thread: the clients under test need them.)
    static func make() async throws -> TestCertificates {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("floorlink-pki-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let certificates = TestCertificates(directory: directory)
        try await certificates.selfSigned("ca", subject: "/CN=Floorlink Test CA")
        try await certificates.selfSigned("other-ca", subject: "/CN=Somebody Else CA")
        try await certificates.signed(
            "server",
            subject: "/CN=localhost",
            extensions: "subjectAltName=DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n"
        )
        try await certificates.signed(
            "client",
            subject: "/CN=dock-03",
            extensions: "extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n"
        )
        return certificates
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func selfSigned(_ name: String, subject: String) async throws {
        try await openssl([
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", "\(directory)/\(name).key", "-out", "\(directory)/\(name).crt", "-days", "2",
            "-subj", subject, "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        ])
    }

    private func signed(_ name: String, subject: String, extensions: String) async throws {
        try TestFile.write(extensions, to: "\(directory)/\(name).ext")
        try await openssl([
            "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", "\(directory)/\(name).key", "-out", "\(directory)/\(name).csr", "-subj", subject,
        ])
        try await openssl([
            "x509", "-req", "-in", "\(directory)/\(name).csr", "-CA", caCertificate, "-CAkey", "\(directory)/ca.key",
            "-CAcreateserial", "-out", "\(directory)/\(name).crt", "-days", "2", "-extfile", "\(directory)/\(name).ext",
        ])
    }

    private func openssl(_ arguments: [String]) async throws {
        let status = try await ChildProcess.run(Self.opensslPath, arguments, timeout: .seconds(60))
        guard status == 0 else { throw HarnessError("openssl \(arguments.prefix(2)) exited with \(status)") }
    }
}
