import Glibc

/// A value only reachable while holding a pthread mutex: the one lock type of the package.
///
/// `Synchronization.Mutex` waits on a raw futex on Linux, which ThreadSanitizer cannot see, so every access
/// it guards is reported as a race and real races hide among them. A pthread mutex is intercepted by the
/// sanitizer, which makes `swift test --sanitize=thread` meaningful. Uncontended, both lock with one atomic
/// compare-and-swap in user space.
public final class Locked<Value: ~Copyable>: @unchecked Sendable {
    @usableFromInline let mutex: UnsafeMutablePointer<pthread_mutex_t>
    @usableFromInline var value: Value

    public init(_ value: consuming sending Value) {
        self.value = value
        mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        // Fails only for bad attributes; these are the defaults.
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deinitialize(count: 1)
        mutex.deallocate()
    }

    /// Runs `body` with exclusive access to the value. Never call `withLock` on the same instance inside
    /// `body`: the mutex is not recursive.
    @inlinable
    public func withLock<Result: ~Copyable, Failure: Error>(
        _ body: (inout sending Value) throws(Failure) -> sending Result
    ) throws(Failure) -> sending Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}
