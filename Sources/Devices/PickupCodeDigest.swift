import COpenSSL

/// A pickup code as the bank stores it: a random 16-byte salt and PBKDF2-HMAC-SHA256 of the code, so that
/// the plain code is never kept; candidates are compared in constant time.
struct PickupCodeDigest: Sendable {
    private static let saltLength = 16
    private static let digestLength = 32

    private let salt: [UInt8]
    private let digest: [UInt8]
    private let iterations: Int32

    /// Salts and hashes `code` with a fresh salt from libcrypto's random generator.
    init(code: String, iterations: Int) throws(LockerError) {
        var salt = [UInt8](repeating: 0, count: Self.saltLength)
        let status = salt.withUnsafeMutableBufferPointer { RAND_bytes($0.baseAddress, Int32($0.count)) }
        guard status == 1 else { throw .cryptoUnavailable }
        let rounds = Int32(clamping: max(1, iterations))
        guard let digest = Self.derive(code, salt: salt, iterations: rounds) else { throw .cryptoUnavailable }
        self.salt = salt
        self.digest = digest
        self.iterations = rounds
    }

    /// Whether `candidate` is the stored code: hashed with this digest's salt, compared in constant time.
    func matches(_ candidate: String) -> Bool {
        guard let derived = Self.derive(candidate, salt: salt, iterations: iterations) else { return false }
        let difference = derived.withUnsafeBytes { derived in
            digest.withUnsafeBytes { stored in
                CRYPTO_memcmp(derived.baseAddress, stored.baseAddress, Self.digestLength)
            }
        }
        return difference == 0
    }

    private static func derive(_ code: String, salt: [UInt8], iterations: Int32) -> [UInt8]? {
        var output = [UInt8](repeating: 0, count: digestLength)
        let password = Array(code.utf8)
        let status = password.withUnsafeBufferPointer { password in
            salt.withUnsafeBufferPointer { salt in
                output.withUnsafeMutableBufferPointer { output in
                    password.withMemoryRebound(to: CChar.self) { password in
                        PKCS5_PBKDF2_HMAC(
                            password.baseAddress,
                            Int32(password.count),
                            salt.baseAddress,
                            Int32(salt.count),
                            iterations,
                            EVP_sha256(),
                            Int32(output.count),
                            output.baseAddress
                        )
                    }
                }
            }
        }
        return status == 1 ? output : nil
    }
}
