import CExportShims
import GenerationStore
import Glibc

/// `<snap mount dir>/man -> <root>/@man/current`: where man-db finds the man union (docs/exports.md).
///
/// man-db (2.9.1 and later) searches `<dir>/../man` for every `<dir>` on `PATH` that has no `MANPATH_MAP`, so
/// with `/snap/bin` on `PATH` it reads `/snap/man`; Debian's `/etc/manpath.config` maps `/snap/man` to its own
/// index (`MANDB_MAP /snap/man /var/cache/man/snap`). snapd's PR 8079 chose the same place. The link is made or
/// replaced atomically (a temporary `.man.snap-export-<random>` link renamed over it) and only when what is there
/// is absent or a link to some `…/@man/current`: anything else (a snap named `man` is mounted there) is left
/// alone with a warning that says how to reach the union.
public struct ManPageLink: Sendable {
    public let settings: SnapdSettings
    /// The export root, absolute.
    public let root: String
    let system: any SystemCalls

    public init(settings: SnapdSettings, root: String, system: any SystemCalls = LinuxSystemCalls()) {
        self.settings = settings
        self.root = root
        self.system = system
    }

    /// The name in the snap mount dir.
    public static let name = "man"
    /// The prefix of the temporary link; `repair` removes leftovers.
    public static let temporaryPrefix = ".man.snap-export-"

    /// `<snap mount dir>/man`.
    public var path: String { settings.snapMountDir + "/" + Self.name }
    /// `<root>/@man/current`.
    public var target: String { [root, UnionKind.man.exportName, Layout.current].joined(separator: "/") }

    /// What is at `path`.
    enum State: Equatable {
        case absent, ours, oursElsewhere(String), foreign(String)
    }

    func state() -> State {
        let files = SystemFiles(system: system)
        let found: FileStatus?
        do throws(Errno) {
            found = try files.lstat(path)
        } catch {
            return .foreign("cannot be read (\(error))")
        }
        guard let status = found else { return .absent }
        guard status.kind == .symlink, let value = (try? files.readlink(path)) ?? nil else {
            return .foreign(status.kind == .directory ? "is a directory (a snap named 'man'?)" : "is not a symlink")
        }
        if value == target { return .ours }
        let suffix = "/" + UnionKind.man.exportName + "/" + Layout.current
        return value.hasSuffix(suffix) ? .oursElsewhere(value) : .foreign("is a symlink to \(value)")
    }

    /// True when the link names another root's man union (the root moved). An absent link is made whenever the man
    /// union is switched to a generation with pages, before the switch, so `refresh` need not look for it.
    public func needsUpdate() -> Bool {
        if case .oursElsewhere = state() { return true }
        return false
    }

    /// Makes `path` name `target` unless it already does or is not ours; returns the warnings. Needs the snap mount
    /// dir to exist (it is not created).
    public func ensure() -> [SnapdWarning] {
        let state = state()
        switch state {
        case .ours: return []
        case .foreign(let what):
            return [
                SnapdWarning(
                    path: path,
                    message: "\(what); left alone, so man does not find the snaps' pages there. The man union is "
                        + "\(target): add it to MANPATH (MANPATH=\(target): man PAGE) or run man -M \(target) PAGE")
            ]
        case .absent, .oursElsewhere:
            break
        }
        let context = "cannot link \(path) to the man union"
        do throws(Errno) {
            let directory = try system.open(AT_FDCWD, settings.snapMountDir, [.directory])
            defer { system.close(directory) }
            let temporary = Self.temporaryPrefix + String(UInt64.random(in: .min ... .max), radix: 16)
            try system.symlinkat(target, directory, temporary)
            do {
                if state == .absent {
                    // Never replace what appeared meanwhile (snapd mounting a snap named man).
                    try system.renameat2(directory, temporary, directory, Self.name, RenameFlags.noReplace)
                } else {
                    try system.renameat(directory, temporary, directory, Self.name)
                }
            } catch .invalidArgument, .notImplemented {
                try system.renameat(directory, temporary, directory, Self.name)
            } catch {
                try? system.unlinkat(directory, temporary, 0)
                throw error
            }
            try system.fsync(directory)
            return []
        } catch {
            return [SnapdWarning(path: path, message: "\(context): \(error)")]
        }
    }

    /// Removes `.man.snap-export-*` links a crashed writer left in the snap mount dir; returns their paths.
    public func repair() throws(StoreError) -> [String] {
        let context = "cannot repair the man link"
        let files = SystemFiles(system: system)
        let names: [String]
        do {
            guard let listed = try files.list(settings.snapMountDir) else { return [] }
            names = listed
        } catch {
            throw .system("readdir", error, path: settings.snapMountDir, context)
        }
        var removed: [String] = []
        for name in names.sorted() where name.hasPrefix(Self.temporaryPrefix) {
            let path = settings.snapMountDir + "/" + name
            guard ((try? files.lstat(path)) ?? nil)?.kind == .symlink else { continue }
            do {
                try system.unlinkat(AT_FDCWD, path, 0)
            } catch {
                throw .system("unlinkat", error, path: path, context)
            }
            removed.append(path)
        }
        return removed
    }
}
