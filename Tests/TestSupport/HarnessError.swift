/// A failure of a test's own machinery (a child process, a socket, a pseudo-terminal), saying what went wrong.
public struct HarnessError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
