import GenerationStore
import Glibc

/// When the source of a generation is gone, for gc: the snapd meaning of the sources `refresh` records.
///
/// - `snap:<instance>/<revision>` is gone when `<snap mount dir>/<instance>/<revision>/meta/snap.yaml` does
///   not exist (the revision was removed), provided the snap mount dir itself exists (a missing or wrong
///   mount dir must not make every snap generation look gone).
/// - `host` is gone when it is superseded: a generation of the same name with source `host` was published
///   after it (the host's package changed and was exported anew).
/// - Any other source is never gone; only gc's keep-N applies to it.
public enum GenerationSources {
    /// Where snaps are mounted unless told otherwise.
    public static let defaultSnapMountDir = "/snap"

    /// The source string of a snap revision's generation.
    public static func snapSource(instance: String, revision: String) -> String { "snap:\(instance)/\(revision)" }

    /// The source string of the host's generation.
    public static let hostSource = "host"

    /// The instance and revision of a `snap:<instance>/<revision>` source; nil for anything else.
    public static func parseSnapSource(_ source: String) -> (instance: String, revision: String)? {
        guard source.hasPrefix("snap:") else { return nil }
        let parts = source.dropFirst(5).split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return nil }
        let instance = String(parts[0])
        let revision = String(parts[1])
        for part in [instance, revision] {
            guard (try? NameRules.validateComponent(part, what: "", context: "")) != nil else { return nil }
        }
        return (instance, revision)
    }

    /// The predicate gc takes, for snaps mounted under `snapMountDir`.
    public static func sourceGone(
        snapMountDir: String = defaultSnapMountDir, system: any SystemCalls = LinuxSystemCalls()
    ) -> SourceGonePredicate {
        let mountDir =
            snapMountDir.count > 1 && snapMountDir.hasSuffix("/") ? String(snapMountDir.dropLast()) : snapMountDir
        return { record, siblings in
            let source = record.manifest.source
            if source == hostSource {
                guard let index = siblings.firstIndex(where: { $0.generation == record.generation }) else {
                    return false
                }
                return siblings[(index + 1)...].contains { $0.manifest.source == hostSource }
            }
            guard let snap = parseSnapSource(source) else { return false }
            guard (try? system.fstatat(AT_FDCWD, mountDir, 0))?.kind == .directory else { return false }
            let yaml = [mountDir, snap.instance, snap.revision, "meta", "snap.yaml"].joined(separator: "/")
            do throws(Errno) {
                _ = try system.fstatat(AT_FDCWD, yaml, 0)
                return false
            } catch .noSuchFileOrDirectory, .notDirectory {
                return true
            } catch {
                return false  // cannot tell: keep it
            }
        }
    }

    /// One gc pass with snapd's sources under `writer`'s lock: what `refresh` runs at its end.
    /// `snapMountDir` nil means `/snap`.
    public static func collectGarbage(
        with writer: StoreWriter, snapMountDir: String? = nil, options: GCOptions = GCOptions()
    ) throws(StoreError) -> GCReport {
        try writer.collectGarbage(
            options: options,
            sourceGone: sourceGone(snapMountDir: snapMountDir ?? defaultSnapMountDir, system: writer.store.system))
    }
}
