/// A connected, ordered byte stream (TCP or TLS over TCP) whose waits run on the `IOLoop`: the one stream type
/// the HTTP client and MQTT are written against.
///
/// Deadlines are `IOLoop.now` readings; nil waits without limit. One reader and one writer may use a stream at
/// the same time; two concurrent readers (or writers) interleave unpredictably.
public protocol ByteStream: Sendable {
    /// The peer as the caller named it, `host:port`, for error messages and logs.
    var peer: String { get }

    /// Up to `maximum` bytes, as soon as any are available; empty at end of stream (the peer closed its side).
    func read(upTo maximum: Int, deadline: Duration?) async throws(IOError) -> [UInt8]

    /// Writes all of `bytes`, waiting while the socket's send buffer is full.
    func write(_ bytes: [UInt8], deadline: Duration?) async throws(IOError)

    /// Writes what the socket takes at once, without waiting, and returns how many bytes that was: 0 when it takes
    /// none, when it failed (the next `write` reports why), or when the stream cannot write without waiting (TLS).
    /// For a writer that is otherwise idle: the bytes go out on the caller's thread, with no task woken to send them.
    func writeNow(_ bytes: [UInt8]) -> Int

    /// Closes the stream; later reads and writes throw `IOError.closed`, a waiting one ends with it.
    func close()
}

extension ByteStream {
    public func writeNow(_ bytes: [UInt8]) -> Int { 0 }
}
