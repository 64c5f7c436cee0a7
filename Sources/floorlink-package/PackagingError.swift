/// Why the package could not be made, in a sentence that says what to fix (the file, what was expected).
struct PackagingError: Error, CustomStringConvertible {
    var description: String

    init(_ description: String) {
        self.description = description
    }
}
