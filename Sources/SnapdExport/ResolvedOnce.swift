import Synchronization

/// A value worked out on first use and kept: snapd's settings read the host's os-release and probe the snap mount
/// dir (a tenth of a millisecond of a 3 ms process), which a command needs only on some paths, and at most once.
public final class ResolvedOnce<Value: Sendable>: Sendable {
    private let resolve: @Sendable () -> Value
    private let state = Mutex<Value?>(nil)

    public init(_ resolve: @escaping @Sendable () -> Value) {
        self.resolve = resolve
    }

    /// An already known value.
    public init(value: Value) {
        resolve = { value }
        state.withLock { $0 = value }
    }

    /// The value, resolved by the first caller (under the lock, so once).
    public var value: Value {
        state.withLock { known in
            if let known { return known }
            let resolved = resolve()
            known = resolved
            return resolved
        }
    }
}
