import Glibc

/// What the directory at an export root's path is to the store (docs/format.md, "The root marker").
///
/// A directory is an export root when it holds the marker `.snap-export` (format 2). A root of the last release
/// (format 1) has no marker: it is recognised by its `.lock` and a layout holding only what the store writes, read
/// as it is and marked by the first writer. Anything else (a home directory with `.trash/`, a mistyped `--root`) is
/// refused by every command that does not create a root, before it reads or writes anything there.
public enum RootState: Sendable, Equatable {
    /// Nothing is at the path.
    case absent
    /// An empty directory: a command that creates a root may make it one.
    case empty
    /// An export root: `.snap-export` is there.
    case marked
    /// A format-1 root: no marker, but `.lock` and only the store's layout. Read as it is; a writer marks it.
    case unmarked
    /// Not an export root; why, in words (`'notes.txt' is not part of an export root's layout`).
    case foreign(String)

    /// True for a root the store reads and writes: marked, or a format-1 root it adopts.
    public var isRoot: Bool { self == .marked || self == .unmarked }

    /// The refusal of a path where nothing is: exit 66.
    static func absentRefusal(path: String, _ context: String) -> StoreError {
        StoreError(.missingInput, context, "not an export root: does not exist", path: path)
    }

    /// The refusal of a directory that is not a root (nil for a root), naming `path`: exit 66.
    func refusal(path: String, _ context: String) -> StoreError? {
        let reason: String
        switch self {
        case .marked, .unmarked: return nil
        case .absent: return RootState.absentRefusal(path: path, context)
        case .empty: reason = "no \(Layout.marker) marker (an empty directory: publish, refresh or link make it one)"
        case .foreign(let why): reason = "no \(Layout.marker) marker, and \(why)"
        }
        return StoreError(.missingInput, context, "not an export root: " + reason, path: path)
    }
}

extension ExportStore {
    /// What the root's path is: absent, an empty directory, a (marked or format-1) root, or foreign. One `fstatat`
    /// for a marked root; a format-1 root costs one listing of the root and of each name directory.
    public func rootState() throws(StoreError) -> RootState {
        let context = "cannot read export root"
        guard let rootFd = try openRoot(context) else { return .absent }
        return try rootState(rootFd.raw, context)
    }

    /// Fails (exit 66, naming the root) unless the root's path is an export root, or, with `creating`, absent or an
    /// empty directory too (what a command that creates a root may make one).
    public func requireRoot(creating: Bool = false, _ context: String) throws(StoreError) {
        let state = try rootState()
        if creating && (state == .absent || state == .empty) { return }
        if let refusal = state.refusal(path: root, context) { throw refusal }
    }

    func rootState(_ rootFd: Int32, _ context: String) throws(StoreError) -> RootState {
        if let marker = try system.status(rootFd, Layout.marker, at: path(Layout.marker), context) {
            return marker.kind == .regular ? .marked : .foreign("\(Layout.marker) is not a regular file")
        }
        let entries = try system.entries(rootFd, at: root, context).sorted { $0.name < $1.name }
        if entries.isEmpty { return .empty }
        guard entries.contains(where: { $0.name == Layout.lock }) else {
            return .foreign("no \(Layout.lock) either")
        }
        for entry in entries {
            switch entry.name {
            case Layout.lock, Layout.staging, Layout.trash:
                continue
            case let name where name.hasPrefix("."):
                return .foreign("'\(name)' is not part of an export root's layout")
            case let name:
                guard try system.kind(of: entry, in: rootFd, at: path(name), context) == .directory,
                    let nameFd = try system.openDirectoryIfPresent(rootFd, name, at: path(name), context)
                else { return .foreign("'\(name)' is not an exported name's directory") }
                for inner in try system.entries(nameFd.raw, at: path(name), context) {
                    if let why = try unexpected(inner, in: nameFd.raw, of: name, context) { return .foreign(why) }
                }
            }
        }
        return .unmarked
    }

    /// Why `entry` of the name directory `name` is not what a format-1 writer leaves there (nil when it is): the
    /// links `current`/`previous` (or a generation directory under that name, which an older release let publish
    /// make), `.next-*` and `.retired-*` links, generation directories, and the header cache `.headers` (a regular
    /// file; a name directory's only dot-file of format 2, accepted like the rest of the store's layout).
    private func unexpected(_ entry: DirectoryEntry, in nameFd: Int32, of name: String, _ context: String)
        throws(StoreError) -> String?
    {
        let kind = try system.kind(of: entry, in: nameFd, at: path(name, entry.name), context)
        if Layout.isReservedGenerationName(entry.name) {
            return kind == .symlink || kind == .directory ? nil : "'\(name)/\(entry.name)' is not a link"
        }
        if entry.name.hasPrefix(Layout.nextPrefix) || entry.name.hasPrefix(Layout.retiredPrefix) {
            return kind == .symlink ? nil : "'\(name)/\(entry.name)' is not a link"
        }
        if entry.name == Layout.headers {
            return kind == .regular ? nil : "'\(name)/\(entry.name)' is not a regular file"
        }
        if entry.name.hasPrefix(".") { return "'\(name)/\(entry.name)' is not part of an export root's layout" }
        return kind == .directory ? nil : "'\(name)/\(entry.name)' is not a generation directory"
    }
}

extension StoreWriter {
    /// Writes the root marker (`Layout.marker`, holding `Layout.markerContent`) and makes it durable: `openat`
    /// (`O_CREAT|O_EXCL|O_NOFOLLOW`), `write`, `fsync` of the file, then of the root, before the writer changes
    /// anything else. A failure takes the file back, so the root is as it was.
    static func writeMarker(_ system: any SystemCalls, _ rootFd: Int32, _ store: ExportStore, _ context: String)
        throws(StoreError)
    {
        let markerPath = store.path(Layout.marker)
        let file = try system.call("openat", at: markerPath, context) { () throws(Errno) -> Descriptor in
            try system.openDescriptor(rootFd, Layout.marker, [.writeOnly, .create, .exclusive, .noFollow], mode: 0o644)
        }
        do throws(StoreError) {
            try system.call("write", at: markerPath, context) { () throws(Errno) in
                try system.write(file.raw, Array(Layout.markerContent.utf8))
            }
            try system.sync(file.raw, at: markerPath, context)
        } catch {
            try? system.unlinkat(rootFd, Layout.marker, 0)
            throw error
        }
        try system.sync(rootFd, at: store.root, context)
    }
}
