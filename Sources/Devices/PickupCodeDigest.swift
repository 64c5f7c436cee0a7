import COpenSSL
import Events

/// A pickup code as the bank stores it: a random salt and PBKDF2-HMAC-SHA256 of the code, so that the plain code
/// is never kept; candidates are compared in constant time.
///
/// Its text form, `pbkdf2-sha256$ITERATIONS$SALT$DIGEST` (decimal iterations, lower-case hex salt of 16 to 64
/// bytes and 32-byte digest), is both what the state file stores and what `locker.assign` accepts as
/// `pickupCodeDigest` when the code is hashed upstream.
struct PickupCodeDigest: Equatable, Sendable {
    private static let saltLength = 16
    private static let digestLength = 32
    /// The scheme word that starts the text form.
    static let scheme = "pbkdf2-sha256"
    /// The iteration counts a digest from upstream may use: at least the bank's own default, and bounded so that
    /// checking a keypad attempt against every door stays fast.
    static let acceptedIterations = 10_000...100_000

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

    /// Parses the text form strictly; `iterations` bounds the iteration count (the state file accepts what the
    /// bank itself wrote, a command only `acceptedIterations`). The error says what is wrong, never the digest.
    init(text: String, iterations allowed: ClosedRange<Int> = acceptedIterations) throws(LockerError) {
        let parts = text.split(separator: "$", omittingEmptySubsequences: false)
        let format = "expected \(Self.scheme)$ITERATIONS$SALT$DIGEST"
        guard parts.count == 4 else {
            throw .badCodeDigest("\(format), got \(parts.count) $-separated fields")
        }
        guard parts[0] == Self.scheme else {
            throw .badCodeDigest("\(format): the scheme must be \(Self.scheme)")
        }
        let count = parts[1]
        guard !count.isEmpty, count.count <= 7, count.allSatisfy({ $0.isASCII && $0.isNumber }), count.first != "0",
            let rounds = Int(count), allowed.contains(rounds)
        else {
            throw .badCodeDigest(
                "\(format): ITERATIONS must be a decimal number from \(allowed.lowerBound) to \(allowed.upperBound)"
            )
        }
        guard let salt = Hex.bytes(parts[2], lowercaseOnly: true), (16...64).contains(salt.count) else {
            throw .badCodeDigest("\(format): SALT must be 16 to 64 bytes as lower-case hex")
        }
        guard let digest = Hex.bytes(parts[3], lowercaseOnly: true), digest.count == Self.digestLength else {
            throw .badCodeDigest("\(format): DIGEST must be 32 bytes as 64 lower-case hex digits")
        }
        self.salt = salt
        self.digest = digest
        self.iterations = Int32(rounds)
    }

    /// The text form, `pbkdf2-sha256$ITERATIONS$SALT$DIGEST`.
    var text: String {
        "\(Self.scheme)$\(iterations)$\(Hex.string(salt))$\(Hex.string(digest))"
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
