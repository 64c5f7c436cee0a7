import Glibc
import Testing

@testable import Service

/// Secret files (`passwordFile`, `secretFile`) are read as their bytes without the trailing newlines an editor or
/// `echo` adds; anything else in them is the secret.
@Suite("Secret files")
struct ConfigFileSecretTests {
    @Test(
        "trailing newlines are not part of the secret; inner ones and spaces are",
        arguments: [
            ("s3cret\n", "s3cret"), ("s3cret\r\n", "s3cret"), ("s3cret", "s3cret"), ("s3cret\n\n", "s3cret"),
            ("two\nlines\n", "two\nlines"), (" spaced ", " spaced "), ("", ""),
        ]
    )
    func trailingNewlines(file: String, secret: String) throws {
        var template = Array("/tmp/floorlink-secret-XXXXXX".utf8CString)
        let descriptor = mkstemp(&template)
        try #require(descriptor >= 0)
        let path = String(cString: template)
        defer { unlink(path) }
        let bytes = Array(file.utf8)
        #expect(write(descriptor, bytes, bytes.count) == bytes.count)
        close(descriptor)
        #expect(try ConfigFile.readSecret(path: path) == Array(secret.utf8))
    }

    @Test("a missing secret file is an error naming it")
    func missing() {
        #expect {
            _ = try ConfigFile.readSecret(path: "/nonexistent/floorlink/mqtt.password")
        } throws: { error in
            "\(error)".contains("/nonexistent/floorlink/mqtt.password")
        }
    }
}
