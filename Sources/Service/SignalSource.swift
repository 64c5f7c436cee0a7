import Dispatch
import Glibc

/// POSIX signals as an async sequence, through Dispatch signal sources: SIGTERM and SIGINT mean stop, SIGHUP
/// means reload.
///
/// On Linux, libdispatch reads signals from a signalfd and blocks them only in the thread that registers the
/// source. A signal delivered to a thread where it is not blocked meets the ignore disposition and is lost (a
/// SIGHUP sent to a loaded daemon under AddressSanitizer was never seen). So the process blocks them in every thread with `blockInEveryThread` first thing in
/// `main`, before any thread exists: each thread inherits the mask, and a signal waits for the signalfd.
public struct SignalSource: Sendable {
    public let signals: AsyncStream<Int32>

    /// Blocks `numbers` in the calling thread and every thread started after it; call it in `main` first.
    public static func blockInEveryThread(_ numbers: [Int32]) {
        var set = sigset_t()
        sigemptyset(&set)
        for number in numbers { sigaddset(&set, number) }
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }

    /// Starts listening for `numbers`; their default actions are disabled so only this stream sees them.
    public init(_ numbers: [Int32]) {
        Self.blockInEveryThread(numbers)
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
