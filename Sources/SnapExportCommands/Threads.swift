import Glibc

/// A joinable POSIX thread running a closure; the command layer's only concurrency primitive.
struct JoinableThread {
    private final class Box {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }

    private let handle: pthread_t

    /// Starts `body` on a new thread.
    init(_ body: @escaping @Sendable () -> Void) {
        let context = Unmanaged.passRetained(Box(body)).toOpaque()
        var handle = pthread_t()
        let result = pthread_create(
            &handle, nil,
            { context in
                guard let context else { return nil }
                Unmanaged<Box>.fromOpaque(context).takeRetainedValue().body()
                return nil
            }, context)
        precondition(result == 0, "pthread_create failed: \(result)")
        self.handle = handle
    }

    /// Waits for the thread to finish.
    func join() { pthread_join(handle, nil) }
}
