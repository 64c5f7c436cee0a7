import Testing

@testable import GS1

/// The GS separator as a string.
let gs = "\u{1D}"

/// A named input and its expected outcome, so parameterised test output says which case ran.
struct Case<Input: Sendable, Expected: Sendable>: Sendable, CustomStringConvertible {
    let name: String
    let input: Input
    let expected: Expected

    init(_ name: String, _ input: Input, _ expected: Expected) {
        self.name = name
        self.input = input
        self.expected = expected
    }

    var description: String {
        name
    }
}

/// Runs `body` and returns the typed error it threw, or nil when it succeeded.
/// (Closures passed here are inferred as untyped `throws`, so a non-GS1Error is recorded as a test issue.)
func thrownError<T>(_ body: () throws -> T) -> GS1Error? {
    do {
        _ = try body()
        return nil
    } catch let error as GS1Error {
        return error
    } catch {
        Issue.record("threw a non-GS1Error: \(error)")
        return nil
    }
}
