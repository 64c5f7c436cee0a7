import COpenSSL

/// HMAC-SHA256, SHA-256 and constant-time comparison from OpenSSL's libcrypto (nothing hand-rolled).
enum HMACSHA256 {
    /// The length of an HMAC-SHA256 code and of a SHA-256 digest, in bytes.
    static let length = 32

    /// HMAC-SHA256 of `message` under `key` (OpenSSL's one-shot `HMAC()`); nil only if libcrypto fails.
    static func authenticationCode(key: [UInt8], message: [UInt8]) -> [UInt8]? {
        var output = [UInt8](repeating: 0, count: 64)
        var written: UInt32 = 0
        // OpenSSL wants non-null pointers even for empty input: hand it a one-byte buffer with length 0.
        let keyBytes = key.isEmpty ? [0] : key
        let messageBytes = message.isEmpty ? [0] : message
        let succeeded = keyBytes.withUnsafeBufferPointer { keyBuffer in
            messageBytes.withUnsafeBufferPointer { messageBuffer in
                output.withUnsafeMutableBufferPointer { outputBuffer in
                    HMAC(
                        EVP_sha256(),
                        keyBuffer.baseAddress,
                        Int32(clamping: key.count),
                        messageBuffer.baseAddress,
                        message.count,
                        outputBuffer.baseAddress,
                        &written
                    ) != nil
                }
            }
        }
        guard succeeded, Int(written) == length else { return nil }
        return Array(output.prefix(length))
    }

    /// SHA-256 of `bytes` (OpenSSL's `EVP_Digest`); nil only if libcrypto fails.
    static func digest(_ bytes: [UInt8]) -> [UInt8]? {
        var output = [UInt8](repeating: 0, count: 64)
        var written: UInt32 = 0
        let input = bytes.isEmpty ? [0] : bytes
        let status = input.withUnsafeBufferPointer { inputBuffer in
            output.withUnsafeMutableBufferPointer { outputBuffer in
                EVP_Digest(inputBuffer.baseAddress, bytes.count, outputBuffer.baseAddress, &written, EVP_sha256(), nil)
            }
        }
        guard status == 1, Int(written) == length else { return nil }
        return Array(output.prefix(length))
    }

    /// True when `a` and `b` are equal, compared with `CRYPTO_memcmp` so the time taken leaks nothing.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        guard !a.isEmpty else { return true }
        return a.withUnsafeBytes { left in
            b.withUnsafeBytes { right in
                CRYPTO_memcmp(left.baseAddress, right.baseAddress, a.count) == 0
            }
        }
    }
}
