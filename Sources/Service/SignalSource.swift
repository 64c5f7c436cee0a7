import Dispatch
import Glibc

/// POSIX signals as an async sequence, through Dispatch signal sources: SIGTERM and SIGINT mean stop, SIGHUP
/// means reload.
public struct SignalSource: Sendable {
    public let signals: AsyncStream<Int32>

    /// Starts listening for `numbers`; their default actions are disabled so only this stream sees them.
    public init(_ numbers: [Int32]) {
        let (stream, continuation) = AsyncStream<Int32>.makeStream(bufferingPolicy: .bufferingNewest(16))
        signals = stream
        let queue = DispatchQueue(label: "floorlink.signals")
        var sources: [any DispatchSourceSignal] = []
        for number in numbers {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { continuation.yield(number) }
            source.resume()
            sources.append(source)
        }
        let retained = SignalSourceRetainer(sources: sources)
        continuation.onTermination = { _ in retained.cancel() }
    }
}

/// Keeps the Dispatch sources alive for as long as the stream is.
private final class SignalSourceRetainer: @unchecked Sendable {
    // @unchecked: `sources` is written once in init and only read (cancel) afterwards.
    let sources: [any DispatchSourceSignal]

    init(sources: [any DispatchSourceSignal]) {
        self.sources = sources
    }

    func cancel() {
        for source in sources { source.cancel() }
    }
}
