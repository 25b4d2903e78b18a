import CExportShims
import GenerationStore
import Glibc
import Synchronization

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

    /// The predicate gc takes, for snaps mounted under `snapMountDir`. Its descriptor of the mount dir
    /// (`SnapMountDirectory`) is closed when the predicate goes; `collectGarbage(with:)` closes it at the end of its
    /// pass.
    public static func sourceGone(
        snapMountDir: String = defaultSnapMountDir, system: any SystemCalls = LinuxSystemCalls()
    ) -> SourceGonePredicate {
        sourceGone(SnapMountDirectory(snapMountDir, system: system))
    }

    static func sourceGone(_ mountDirectory: SnapMountDirectory) -> SourceGonePredicate {
        { record, siblings in
            switch SnapSource(manifestSource: record.header.source) {
            case .host:
                guard let index = siblings.firstIndex(where: { $0.generation == record.generation }) else {
                    return false
                }
                let later = siblings[(index + 1)...]
                return later.contains { SnapSource(manifestSource: $0.header.source) == .host }
            case .snap(let instance, let revision):
                return mountDirectory.revisionGone(instance: instance, revision: revision)
            case nil:
                return false
            }
        }
    }

    /// One gc pass with snapd's sources under `writer`'s lock (of the names in `only`, or of all).
    /// `snapMountDir` nil means `/snap`.
    public static func collectGarbage(
        with writer: StoreWriter, snapMountDir: String? = nil, options: GCOptions = GCOptions(),
        only: Set<String>? = nil
    ) throws(StoreError) -> GCReport {
        let mountDirectory = SnapMountDirectory(snapMountDir ?? defaultSnapMountDir, system: writer.store.system)
        defer { mountDirectory.close() }
        let gone = sourceGone(mountDirectory)
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

/// The snap mount dir as gc's source predicate looks into it: whether `<mount dir>/<instance>/<revision>/meta/snap.yaml`
/// exists is asked relative to one descriptor of the mount dir, opened (`openat(O_DIRECTORY)`, following links as
/// a path would, and one `fstat` for its identity) at the first question and kept until `close()`, so a pass costs
/// one short lookup per snap generation it asks about instead of a walk of the whole path, and a pass that asks
/// about none opens nothing.
///
/// The answers are those of the absolute path: missing (`ENOENT`, `ENOTDIR`) while the mount dir is a directory
/// is gone; anything else is not. A miss counts only when the directory at the mount dir's path (one `stat`, per
/// missing revision as before) is the one the descriptor holds; when it is another (replaced during the pass), the
/// question is asked again by the absolute path. Where the mount dir cannot be opened, or after `close()`, every
/// question is asked by the absolute path.
final class SnapMountDirectory: Sendable {
    private enum State {
        case unopened
        case open(fd: Int32, device: UInt64, inode: UInt64)
        case unavailable
    }

    let path: String
    private let system: any SystemCalls
    private let state = Mutex<State>(.unopened)

    /// `path` without a trailing slash (but `/`).
    init(_ path: String, system: any SystemCalls) {
        self.path = path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
        self.system = system
    }

    deinit { close() }

    /// Closes the descriptor (if open); later questions are asked by the absolute path.
    func close() {
        state.withLock { state in
            if case .open(let fd, _, _) = state { system.close(fd) }
            state = .unavailable
        }
    }

    /// True when `<mount dir>/<instance>/<revision>/meta/snap.yaml` is known not to exist while the mount dir does.
    func revisionGone(instance: String, revision: String) -> Bool {
        let relative = instance + "/" + revision + "/meta/snap.yaml"
        let opened = state.withLock { state -> (fd: Int32, device: UInt64, inode: UInt64)? in
            if case .unopened = state { state = open() }
            if case .open(let fd, let device, let inode) = state { return (fd, device, inode) }
            return nil
        }
        guard let opened else { return absoluteGone(relative) }
        do throws(Errno) {
            _ = try system.fstatat(opened.fd, relative, 0)
            return false
        } catch .noSuchFileOrDirectory, .notDirectory {
            guard let now = try? system.fstatat(AT_FDCWD, path, 0), now.kind == .directory else { return false }
            if now.device == opened.device && now.inode == opened.inode { return true }
            return absoluteGone(relative)
        } catch {
            return false  // cannot tell: keep it
        }
    }

    private func open() -> State {
        guard let fd = try? system.open(AT_FDCWD, path, [.directory]) else { return .unavailable }
        guard let status = try? system.fstatat(fd, "", CX_AT_EMPTY_PATH), status.kind == .directory else {
            system.close(fd)
            return .unavailable
        }
        return .open(fd: fd, device: status.device, inode: status.inode)
    }

    /// The question asked by the absolute path `<mount dir>/<relative>`.
    private func absoluteGone(_ relative: String) -> Bool {
        do throws(Errno) {
            _ = try system.fstatat(AT_FDCWD, path + "/" + relative, 0)
            return false
        } catch .noSuchFileOrDirectory, .notDirectory {
            // Missing, and the mount dir is there after it was found missing: gone. (Stat'ing the mount dir only
            // here costs one call per missing revision, not one per generation.)
            return (try? system.fstatat(AT_FDCWD, path, 0))?.kind == .directory
        } catch {
            return false  // cannot tell: keep it
        }
    }
}
