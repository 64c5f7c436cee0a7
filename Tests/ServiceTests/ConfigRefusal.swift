import Service
import Testing

/// One bad edit of a valid site config and the start of the error it must be refused with; the site and bus config
/// tests share it.
struct ConfigRefusal: Sendable, CustomTestStringConvertible {
    var name: String
    var replace: String
    var with: String
    var message: String
    var testDescription: String { name }

    /// Applies the edit to `valid` and expects `parse` to refuse the result with a `ConfigError` starting with
    /// `message` (another error is recorded unless `otherErrors` accepts it).
    func expectRefused(
        from valid: String,
        by parse: (String) throws -> SiteConfiguration,
        otherErrors: (any Error) -> Bool = { _ in false }
    ) {
        let text = valid.replacingOccurrences(of: replace, with: with)
        guard text != valid else {
            Issue.record("the case's replacement does not apply to the valid site")
            return
        }
        do {
            _ = try parse(text)
            Issue.record("accepted a bad config")
        } catch let error as ConfigError {
            #expect(error.description.hasPrefix(message), "\(error)")
        } catch {
            #expect(otherErrors(error), "\(error)")
        }
    }
}
