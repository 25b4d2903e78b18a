import Glibc

/// Named points inside the store's algorithms at which a test can kill the process (`SIGKILL`).
///
/// Debug builds read the point from the environment variable `SNAP_EXPORT_FAULT` (for example
/// `switch.exchanged`); release builds ignore it, so the check costs one comparison against nil.
public struct FaultPoints: Sendable {
    let armed: String?

    /// No fault point armed.
    public static let none = FaultPoints(armed: nil)

    /// The point named by `SNAP_EXPORT_FAULT`, in debug builds only.
    public static var fromEnvironment: FaultPoints {
        #if DEBUG
            if let value = getenv("SNAP_EXPORT_FAULT") { return FaultPoints(armed: String(cString: value)) }
        #endif
        return .none
    }

    /// Every named point, in the order the algorithms reach them.
    public static let all = [
        "publish.staging-created", "publish.entries-written", "publish.synced", "publish.renamed",
        "switch.linked", "switch.exchanged", "switch.previous-set",
        "rollback.exchanged",
        "gc.trashed", "gc.deleting",
    ]

    /// Kills the process if `point` is armed.
    @inline(__always)
    func hit(_ point: String) {
        guard let armed, armed == point else { return }
        kill(getpid(), SIGKILL)
    }
}
