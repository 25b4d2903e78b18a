import Glibc

/// A named point inside the store's algorithms at which a test can kill the process (`SIGKILL`).
///
/// The raw value is what `SNAP_EXPORT_FAULT` names (for example `switch.exchanged`); the cases are in the
/// order the algorithms reach them, so a test can iterate every point with `allCases`.
public enum FaultPoint: String, CaseIterable, Sendable {
    /// `publish`: the staging directory exists, no entry yet.
    case publishStagingCreated = "publish.staging-created"
    /// `publish`: every entry symlink and the manifest are written, nothing synced.
    case publishEntriesWritten = "publish.entries-written"
    /// `publish`: the staging directory is synced, not yet renamed into place.
    case publishSynced = "publish.synced"
    /// `publish`: the generation is renamed into place, its parent not yet synced.
    case publishRenamed = "publish.renamed"
    /// `switch`: `.next-<suffix>` is linked, `current` untouched.
    case switchLinked = "switch.linked"
    /// `switch`: `current` is exchanged with the new link, `previous` not yet set.
    case switchExchanged = "switch.exchanged"
    /// `switch`: `current` and `previous` are in place, the directory not yet synced.
    case switchPreviousSet = "switch.previous-set"
    /// `rollback`: `current` and `previous` are exchanged, the directory not yet synced.
    case rollbackExchanged = "rollback.exchanged"
    /// `retire`: `current` is removed, `previous` not yet.
    case retireCurrentRemoved = "retire.current-removed"
    /// A union view (docs/exports.md): republished without the names an owner loses, the owner not yet switched.
    case unionWithoutRemoved = "union.without-removed"
    /// A union view: the owner switched (or retired), the union not yet republished with its new names.
    case unionOwnerSwitched = "union.owner-switched"
    /// A union view: republished with the owner's new names; the consumers' caches not yet refreshed.
    case unionWithNew = "union.with-new"
    /// `gc`: the retired generation is renamed into `.trash`.
    case gcTrashed = "gc.trashed"
    /// `gc`: the first entry of a trashed generation is deleted.
    case gcDeleting = "gc.deleting"
}

/// The fault point a process is armed with, if any.
///
/// Debug builds read the point from the environment variable `SNAP_EXPORT_FAULT`; release builds ignore it,
/// so the check costs one comparison against nil. A name that is not a `FaultPoint` arms nothing.
public struct FaultPoints: Sendable {
    let armed: FaultPoint?

    /// No fault point armed.
    public static let none = FaultPoints(armed: nil)

    /// The point named by `SNAP_EXPORT_FAULT`, in debug builds only.
    public static var fromEnvironment: FaultPoints {
        #if DEBUG
            if let value = getenv("SNAP_EXPORT_FAULT") {
                return FaultPoints(armed: FaultPoint(rawValue: String(cString: value)))
            }
        #endif
        return .none
    }

    /// Kills the process if `point` is armed.
    @inline(__always)
    public func hit(_ point: FaultPoint) {
        guard let armed, armed == point else { return }
        kill(getpid(), SIGKILL)
    }
}
