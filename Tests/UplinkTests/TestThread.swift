import Glibc

/// Runs a blocking closure on its own detached pthread (accept loops, socket pumps), off the cooperative pool; a
/// thread that cannot be created stops the test run.
enum TestThread {
    private final class Box {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }

    static func start(_ body: @escaping @Sendable () -> Void) {
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        let context = Unmanaged.passRetained(Box(body)).toOpaque()
        var thread = pthread_t()
        let result = pthread_create(
            &thread,
            &attributes,
            { context in
                guard let context else { return nil }
                Unmanaged<Box>.fromOpaque(context).takeRetainedValue().body()
                return nil
            },
            context
        )
        // A body that silently never runs leaves a harness half-alive (a connection accepted and never served):
        // stop the run instead, with the reason.
        precondition(result == 0, "pthread_create failed: \(String(cString: strerror(result)))")
    }
}
