import Glibc
import Synchronization

/// A thread that can be joined: `join()` returns once `body` has returned (pthread_join, not a poll).
public final class JoinableThread: Sendable {
    private final class Body {
        let run: @Sendable () -> Void
        init(_ run: @escaping @Sendable () -> Void) { self.run = run }
    }

    private let thread: pthread_t
    private let joined = Mutex(false)

    /// Starts `body` on a new thread.
    public init(_ body: @escaping @Sendable () -> Void) {
        let context = Unmanaged.passRetained(Body(body)).toOpaque()
        var thread = pthread_t()
        let status = pthread_create(
            &thread, nil,
            { context in
                guard let context else { return nil }
                Unmanaged<Body>.fromOpaque(context).takeRetainedValue().run()
                return nil
            }, context)
        precondition(status == 0, "pthread_create: \(String(cString: strerror(status)))")
        self.thread = thread
    }

    /// Waits for the thread to end. Later calls return at once.
    public func join() {
        joined.withLock { joined in
            guard !joined else { return }
            pthread_join(thread, nil)
            joined = true
        }
    }

    deinit { join() }
}

/// Checks `condition` until it holds or `seconds` have passed, and returns whether it held. For what the kernel
/// signals no event for (another process queued on a lock): the condition is checked, never assumed after a sleep.
public func waitUntil(seconds: Double, _ condition: () throws -> Bool) rethrows -> Bool {
    var start = timespec()
    clock_gettime(CLOCK_MONOTONIC, &start)
    while true {
        if try condition() { return true }
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        if Double(now.tv_sec - start.tv_sec) + Double(now.tv_nsec - start.tv_nsec) / 1e9 > seconds { return false }
        // A millisecond between checks, so the waiting test leaves the core to the process it waits for.
        var pause = timespec(tv_sec: 0, tv_nsec: 1_000_000)
        nanosleep(&pause, nil)
    }
}
