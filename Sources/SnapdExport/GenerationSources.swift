import GenerationStore
import Glibc

/// When the source of a generation is gone, for gc: the snapd meaning of the sources `refresh` records
/// (their form is `SnapSource`'s).
///
/// - `snap:<instance>/<revision>` is gone when `<snap mount dir>/<instance>/<revision>/meta/snap.yaml` does
///   not exist (the revision was removed), provided the snap mount dir itself exists (a missing or wrong
///   mount dir must not make every snap generation look gone).
/// - `host` is gone when it is superseded: a generation of the same name with source `host` was published
///   after it (the host's package changed and was exported anew).
/// - Any other source is never gone; only gc's keep-N applies to it.
public enum GenerationSources {
    /// Where snaps are mounted unless told otherwise.
    public static let defaultSnapMountDir = SnapdDirectories.defaultSnapMountDir

    /// The predicate gc takes, for snaps mounted under `snapMountDir`.
    public static func sourceGone(
        snapMountDir: String = defaultSnapMountDir, system: any SystemCalls = LinuxSystemCalls()
    ) -> SourceGonePredicate {
        let mountDir =
            snapMountDir.count > 1 && snapMountDir.hasSuffix("/") ? String(snapMountDir.dropLast()) : snapMountDir
        return { record, siblings in
            switch SnapSource(manifestSource: record.header.source) {
            case .host:
                guard let index = siblings.firstIndex(where: { $0.generation == record.generation }) else {
                    return false
                }
                let later = siblings[(index + 1)...]
                return later.contains { SnapSource(manifestSource: $0.header.source) == .host }
            case .snap(let instance, let revision):
                return snapRevisionGone(instance: instance, revision: revision, mountDir: mountDir, system: system)
            case nil:
                return false
            }
        }
    }

    /// True when `<mountDir>/<instance>/<revision>/meta/snap.yaml` is known not to exist while `mountDir` does.
    static func snapRevisionGone(
        instance: String, revision: String, mountDir: String, system: any SystemCalls
    ) -> Bool {
        let yaml = mountDir + "/" + instance + "/" + revision + "/meta/snap.yaml"
        do throws(Errno) {
            _ = try system.fstatat(AT_FDCWD, yaml, 0)
            return false
        } catch .noSuchFileOrDirectory, .notDirectory {
            // Missing, and the mount dir is there after it was found missing: gone. (Stat'ing the mount dir only
            // here costs one call per missing revision, not one per generation.)
            return (try? system.fstatat(AT_FDCWD, mountDir, 0))?.kind == .directory
        } catch {
            return false  // cannot tell: keep it
        }
    }

    /// One gc pass with snapd's sources under `writer`'s lock (of the names in `only`, or of all).
    /// `snapMountDir` nil means `/snap`.
    public static func collectGarbage(
        with writer: StoreWriter, snapMountDir: String? = nil, options: GCOptions = GCOptions(),
        only: Set<String>? = nil
    ) throws(StoreError) -> GCReport {
        let gone = sourceGone(snapMountDir: snapMountDir ?? defaultSnapMountDir, system: writer.store.system)
        // A generation a union's current was built from (fonts name it directly) is never gone while it is.
        var named: Set<String> = []
        for kind in UnionKind.allCases {
            guard let current = try? writer.store.link(Layout.current, of: kind.exportName),
                let inputs = (try? writer.store.inputs(name: kind.exportName, generation: current)) ?? nil
            else { continue }
            for (name, generation) in inputs { named.insert(name + "/" + generation) }
        }
        let protected = named
        return try writer.collectGarbage(
            options: options,
            sourceGone: { record, siblings in
                !protected.contains(record.name + "/" + record.generation) && gone(record, siblings)
            },
            only: only)
    }
}
