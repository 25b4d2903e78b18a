import CExportShims
import Glibc

/// The one writer of an export root, holding `flock(LOCK_EX)` on `<root>/.lock` for its lifetime.
///
/// Every mutation is relative to directory descriptors with `*at` calls that never follow a symlink in the
/// last component. Obtain one with `ExportStore.withWriter`.
public final class StoreWriter {
    public let store: ExportStore
    let system: any SystemCalls
    let rootFd: Int32
    private let lockFd: Int32
    private var nameFds: [String: Int32] = [:]
    /// Temporary names are `<random base + sequence>` in hex: one `getrandom` per writer, not one per name.
    private let temporaryBase = UInt64.random(in: .min ... .max)
    private var temporarySequence: UInt64 = 0
    /// `name/generation` of generations this writer saw as directories (or published). Only a writer holding the
    /// lock removes generations, so within this writer's lifetime they stay: the check need not be repeated.
    private var knownGenerations: Set<String> = []
    /// What `current` and `previous` of a name point to, as this writer last read or wrote them: the same argument
    /// (only a lock holder changes them) lets a long-lived writer flip with exactly the raw flip's system calls.
    /// Cleared before each change and set again once it is complete, so a failure makes the next call re-read.
    private var linkCache: [String: Links] = [:]

    struct Links {
        var current: String?
        var previous: String?
    }

    /// `current` and `previous` of `name`, read once per writer.
    func links(of name: String, _ nameFd: Int32, _ context: String) throws(StoreError) -> Links {
        if let cached = linkCache[name] { return cached }
        let links = Links(
            current: try system.link(nameFd, Layout.current, at: store.path(name, Layout.current), context),
            previous: try system.link(nameFd, Layout.previous, at: store.path(name, Layout.previous), context))
        linkCache[name] = links
        return links
    }

    init(store: ExportStore, wait: Bool) throws(StoreError) {
        self.store = store
        self.system = store.system
        let context = "cannot lock export root"
        do {
            rootFd = try system.openat(AT_FDCWD, store.root, O_RDONLY | CX_O_DIRECTORY, 0)
        } catch .noSuchFileOrDirectory {
            // First write: create the root (mode 0755), then open it.
            try system.makeDirectories(store.root, context)
            do {
                rootFd = try system.openat(AT_FDCWD, store.root, O_RDONLY | CX_O_DIRECTORY, 0)
            } catch {
                throw .system("open", error, path: store.root, context)
            }
        } catch {
            throw .system("open", error, path: store.root, context)
        }
        do {
            lockFd = try system.openat(rootFd, Layout.lock, O_RDWR | O_CREAT | CX_O_NOFOLLOW, 0o644)
        } catch {
            system.close(rootFd)
            throw .system("open", error, path: store.path(Layout.lock), context)
        }
        do {
            try system.flock(lockFd, CX_LOCK_EX | (wait ? 0 : CX_LOCK_NB))
        } catch {
            system.close(lockFd)
            system.close(rootFd)
            if error == .wouldBlock {
                throw StoreError(.busy, context, "another writer holds the lock", path: store.path(Layout.lock))
            }
            throw .system("flock", error, path: store.path(Layout.lock), context)
        }
    }

    deinit {
        for fd in nameFds.values { system.close(fd) }
        system.close(lockFd)  // closing the last descriptor releases the flock
        system.close(rootFd)
    }

    /// A fresh name for `.staging/…`, `.trash/…`, `.next-…` and marker suffixes: 16 hex digits, unique per writer
    /// and, through the random base, across writers and crashed leftovers.
    func temporaryName() -> String {
        temporarySequence &+= 1
        let hex = String(temporaryBase &+ temporarySequence, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// The directory of an exported name, opened once per writer; created (and the root synced) if asked.
    func nameDirectory(_ name: String, create: Bool, _ context: String) throws(StoreError) -> Int32 {
        if let fd = nameFds[name] { return fd }
        if create {
            if try system.makeDirectory(rootFd, name, at: store.path(name), context) {
                try system.sync(rootFd, at: store.root, context)
            }
        }
        let fd: Int32
        do {
            fd = try system.openat(rootFd, name, O_RDONLY | CX_O_DIRECTORY | CX_O_NOFOLLOW, 0)
        } catch .noSuchFileOrDirectory {
            throw StoreError(.missingInput, context, "no exported name '\(name)'", path: store.path(name))
        } catch {
            throw .system("open", error, path: store.path(name), context)
        }
        nameFds[name] = fd
        return fd
    }

    /// A generation directory of `name` exists (as a directory, not a link).
    func requireGeneration(_ nameFd: Int32, _ name: String, _ generation: String, _ context: String) throws(StoreError)
    {
        if knownGenerations.contains(name + "/" + generation) { return }
        let path = store.path(name, generation)
        guard let status = try system.status(nameFd, generation, at: path, context) else {
            throw StoreError(.missingInput, context, "generation does not exist", path: path)
        }
        guard status.kind == .directory else {
            throw StoreError(.badData, context, "not a generation directory", path: path)
        }
        knownGenerations.insert(name + "/" + generation)
    }

    /// Forgets a generation this writer is removing.
    func forgetGeneration(_ name: String, _ generation: String) {
        knownGenerations.remove(name + "/" + generation)
    }

    // MARK: publish

    /// The result of `publish`.
    public enum PublishOutcome: Sendable, Equatable {
        /// The generation was built and made visible.
        case published
        /// A generation with the same content already exists under that name; nothing was written.
        case unchanged
    }

    /// Publishes `manifest` as `<name>/<generation>`: built in `.staging/<random>` with `mkdirat`/`symlinkat`,
    /// every directory and the manifest fsynced, then made visible in one `renameat2(RENAME_NOREPLACE)` and
    /// `<name>/` fsynced. The same content again is a no-op; other content under an existing name fails
    /// (`.cannotCreate`) and changes nothing.
    @discardableResult
    public func publish(name: String, generation: String, manifest input: Manifest) throws(StoreError) -> PublishOutcome
    {
        let context = "cannot publish \(name)/\(generation)"
        try NameRules.validateComponent(name, what: "exported name", context: context)
        try NameRules.validateComponent(generation, what: "generation", context: context)
        try input.validate(context: context)
        let nameFd = try nameDirectory(name, create: true, context)
        let finalPath = store.path(name, generation)
        if let existing = try system.status(nameFd, generation, at: finalPath, context) {
            guard existing.kind == .directory else {
                throw StoreError(.cannotCreate, context, "exists and is not a generation directory", path: finalPath)
            }
            let stored = try system.readManifest(nameFd, below: generation, at: finalPath, context)
            if stored.hasSameContent(as: input) { return .unchanged }
            throw StoreError(
                .cannotCreate, context,
                "generation exists with different content (published generations never change; use a new name)",
                path: finalPath)
        }
        var manifest = input
        manifest.published = Clock.wallNanoseconds()

        try system.makeDirectory(rootFd, Layout.staging, at: store.path(Layout.staging), context)
        let stagingFd = try system.openDirectory(rootFd, Layout.staging, at: store.path(Layout.staging), context)
        let stagingName = temporaryName()
        let stagingPath = store.path(Layout.staging, stagingName)
        try system.makeDirectory(stagingFd.raw, stagingName, at: stagingPath, context)
        store.faults.hit(.publishStagingCreated)
        do {
            try build(manifest, in: stagingFd.raw, stagingName, at: stagingPath, context)
        } catch {
            _ = try? removeTree(stagingFd.raw, stagingName, at: stagingPath)
            throw error
        }
        store.faults.hit(.publishSynced)
        do {
            try renameNoReplace(stagingFd.raw, stagingName, nameFd, generation)
        } catch {
            _ = try? removeTree(stagingFd.raw, stagingName, at: stagingPath)
            throw .system("renameat2", error, path: finalPath, context)
        }
        store.faults.hit(.publishRenamed)
        try system.sync(nameFd, at: store.path(name), context)
        knownGenerations.insert(name + "/" + generation)
        return .published
    }

    /// Lays out the sets, entries and manifest under `.staging/<stagingName>` and fsyncs all of it.
    private func build(
        _ manifest: Manifest, in stagingFd: Int32, _ stagingName: String, at path: String, _ context: String
    ) throws(StoreError) {
        let genFd = try system.openDirectory(stagingFd, stagingName, at: path, context)
        var created: [String: Int32] = [:]  // relative directory path → descriptor
        defer { for fd in created.values { system.close(fd) } }
        func directory(_ relative: String) throws(StoreError) -> Int32 {
            if let fd = created[relative] { return fd }
            let parts = relative.split(separator: "/")
            let parentPath = parts.dropLast().joined(separator: "/")
            let parent = parentPath.isEmpty ? genFd.raw : try directory(parentPath)
            let last = String(parts.last ?? "")
            try system.makeDirectory(parent, last, at: path + "/" + relative, context)
            let fd: Int32
            do {
                fd = try system.openat(parent, last, O_RDONLY | CX_O_DIRECTORY | CX_O_NOFOLLOW, 0)
            } catch {
                throw .system("open", error, path: path + "/" + relative, context)
            }
            created[relative] = fd
            return fd
        }
        for set in manifest.sets.keys.sorted() {
            let setFd = try directory(set)
            for (entry, target) in manifest.sets[set, default: [:]].sorted(by: { $0.key < $1.key }) {
                do {
                    try system.symlinkat(target, setFd, entry)
                } catch {
                    throw .system("symlinkat", error, path: path + "/" + set + "/" + entry, context)
                }
            }
        }
        let manifestPath = path + "/" + Manifest.fileName
        do {
            let file = Descriptor(
                try system.openat(genFd.raw, Manifest.fileName, O_WRONLY | O_CREAT | O_EXCL | CX_O_NOFOLLOW, 0o644),
                system)
            try system.write(file.raw, manifest.encoded())
            try system.fsync(file.raw)
        } catch {
            throw .system("write", error, path: manifestPath, context)
        }
        store.faults.hit(.publishEntriesWritten)
        for relative in created.keys.sorted(by: { $0.count > $1.count }) {
            try system.sync(created[relative] ?? -1, at: path + "/" + relative, context)
        }
        try system.sync(genFd.raw, at: path, context)
    }

    /// `renameat2(RENAME_NOREPLACE)`, or plain `renameat` where the kernel or filesystem refuses the flag
    /// (safe: the writer holds the lock and checked that the destination is absent).
    private func renameNoReplace(_ oldFd: Int32, _ old: String, _ newFd: Int32, _ new: String) throws(Errno) {
        do {
            try system.renameat2(oldFd, old, newFd, new, RenameFlags.noReplace)
        } catch .invalidArgument, .notImplemented {
            try system.renameat(oldFd, old, newFd, new)
        }
    }

    // MARK: switch and rollback

    /// The result of `switchCurrent` and `rollback`.
    public enum SwitchOutcome: Sendable, Equatable {
        /// `current` now names the generation; `from` is what it named before (now `previous`), if anything.
        case switched(from: String?)
        /// `current` already named that generation; nothing was written.
        case unchanged
    }

    /// Points `<name>/current` at `generation` atomically: `symlinkat(.next-<random>)`, a retirement marker for
    /// the displaced generation, `renameat2(RENAME_EXCHANGE)` with `current` (`RENAME_NOREPLACE` the first time),
    /// the displaced link renamed over `previous`, then (if `durable`) `fsync` of `<name>/`. A constant number of
    /// system calls whatever the size of the generation. Where the flags are refused (`EINVAL`, `ENOSYS`) it falls
    /// back to `symlinkat` + `renameat`, which never leaves `current` absent either.
    @discardableResult
    public func switchCurrent(name: String, to generation: String, durable: Bool = true) throws(StoreError)
        -> SwitchOutcome
    {
        let context = "cannot switch \(name) to \(generation)"
        try NameRules.validateComponent(name, what: "exported name", context: context)
        try NameRules.validateComponent(generation, what: "generation", context: context)
        let nameFd = try nameDirectory(name, create: false, context)
        try requireGeneration(nameFd, name, generation, context)
        let links = try self.links(of: name, nameFd, context)
        let old = links.current
        if old == generation { return .unchanged }
        linkCache[name] = nil
        let next = Layout.nextPrefix + temporaryName()
        let nextPath = store.path(name, next)
        do {
            try system.symlinkat(generation, nameFd, next)
        } catch {
            throw .system("symlinkat", error, path: nextPath, context)
        }
        store.faults.hit(.switchLinked)
        guard let old else {
            do {
                try renameNoReplace(nameFd, next, nameFd, Layout.current)
            } catch {
                try? system.unlinkat(nameFd, next, 0)
                throw .system("renameat2", error, path: store.path(name, Layout.current), context)
            }
            store.faults.hit(.switchPreviousSet)
            if durable { try system.sync(nameFd, at: store.path(name), context) }
            linkCache[name] = Links(current: generation, previous: links.previous)
            return .switched(from: nil)
        }
        // The generation leaving `previous` leaves the protected pair now: record durably when it stopped being
        // current, which is when its link became `previous` (the link's ctime; rename sets it). Switching back to
        // `previous` (the common flip) retires nothing beyond the pair and writes no marker.
        let leaving = links.previous
        var marker: String?
        if let leaving, leaving != generation, leaving != old {
            let since = try system.status(nameFd, Layout.previous, at: store.path(name, Layout.previous), context)
            marker = try writeMarker(
                nameFd, name, retiring: leaving, since: since?.changedNanoseconds ?? Clock.wallNanoseconds(), context
            ) { try? self.system.unlinkat(nameFd, next, 0) }
        }
        var exchanged = true
        do {
            try system.renameat2(nameFd, next, nameFd, Layout.current, RenameFlags.exchange)
        } catch .invalidArgument, .notImplemented {
            exchanged = false
        } catch {
            // Nothing changed: take back the link and the marker.
            try? system.unlinkat(nameFd, next, 0)
            if let marker { try? system.unlinkat(nameFd, marker, 0) }
            throw .system("renameat2", error, path: store.path(name, Layout.current), context)
        }
        if exchanged {
            store.faults.hit(.switchExchanged)
            // current already names the new generation and `next` the old one: only previous is left to set.
            do {
                try system.renameat(nameFd, next, nameFd, Layout.previous)
            } catch {
                try? system.unlinkat(nameFd, next, 0)
                throw .system("renameat", error, path: store.path(name, Layout.previous), context)
            }
        } else {
            try replaceWithoutFlags(nameFd, name, current: generation, previous: old, consuming: next, context)
        }
        store.faults.hit(.switchPreviousSet)
        if durable { try system.sync(nameFd, at: store.path(name), context) }
        linkCache[name] = Links(current: generation, previous: old)
        return .switched(from: old)
    }

    /// Swaps `current` and `previous` with one `renameat2(RENAME_EXCHANGE)` and fsyncs `<name>/`.
    /// Fails (`.missingInput`) and changes nothing when there is no `previous` or it names no generation.
    @discardableResult
    public func rollback(name: String) throws(StoreError) -> (from: String, to: String) {
        let context = "cannot roll back \(name)"
        try NameRules.validateComponent(name, what: "exported name", context: context)
        let nameFd = try nameDirectory(name, create: false, context)
        let links = try self.links(of: name, nameFd, context)
        guard let previous = links.previous else {
            throw StoreError(
                .missingInput, context, "there is no previous generation", path: store.path(name, Layout.previous))
        }
        guard let current = links.current else {
            throw StoreError(
                .missingInput, context, "there is no current generation", path: store.path(name, Layout.current))
        }
        try NameRules.validateComponent(previous, what: "generation named by previous", context: context)
        try requireGeneration(nameFd, name, previous, context)
        linkCache[name] = nil
        // Nothing leaves the current/previous pair, so no marker: the exchange sets the ctime of the link that
        // becomes `previous`, which is when its generation stopped being current.
        do {
            try system.renameat2(nameFd, Layout.current, nameFd, Layout.previous, RenameFlags.exchange)
        } catch .invalidArgument, .notImplemented {
            let next = Layout.nextPrefix + temporaryName()
            do {
                try system.symlinkat(previous, nameFd, next)
            } catch {
                throw .system("symlinkat", error, path: store.path(name, next), context)
            }
            try replaceWithoutFlags(nameFd, name, current: previous, previous: current, consuming: next, context)
        } catch {
            throw .system("renameat2", error, path: store.path(name, Layout.current), context)
        }
        store.faults.hit(.rollbackExchanged)
        try system.sync(nameFd, at: store.path(name), context)
        linkCache[name] = Links(current: previous, previous: current)
        return (from: current, to: previous)
    }

    /// The fallback without `renameat2` flags: `next` (already naming the new current) is renamed over
    /// `current`, and a second fresh link over `previous`. `current` is replaced atomically, never absent.
    private func replaceWithoutFlags(
        _ nameFd: Int32, _ name: String, current: String, previous: String, consuming next: String, _ context: String
    ) throws(StoreError) {
        let second = Layout.nextPrefix + temporaryName()
        do {
            try system.symlinkat(previous, nameFd, second)
        } catch {
            try? system.unlinkat(nameFd, next, 0)
            throw .system("symlinkat", error, path: store.path(name, second), context)
        }
        do {
            try system.renameat(nameFd, next, nameFd, Layout.current)
        } catch {
            try? system.unlinkat(nameFd, next, 0)
            try? system.unlinkat(nameFd, second, 0)
            throw .system("renameat", error, path: store.path(name, Layout.current), context)
        }
        do {
            try system.renameat(nameFd, second, nameFd, Layout.previous)
        } catch {
            try? system.unlinkat(nameFd, second, 0)
            throw .system("renameat", error, path: store.path(name, Layout.previous), context)
        }
    }

    /// Records durably (in the directory the caller fsyncs) that `generation` stopped being current at `since`;
    /// returns the marker's name, so a caller whose flip then fails can take it back.
    private func writeMarker(
        _ nameFd: Int32, _ name: String, retiring generation: String, since: Int64, _ context: String,
        onFailure: () -> Void
    ) throws(StoreError) -> String {
        let marker = RetirementMarkers.name(time: since, suffix: temporaryName())
        do {
            try system.symlinkat(generation, nameFd, marker)
        } catch {
            onFailure()
            throw .system("symlinkat", error, path: store.path(name, marker), context)
        }
        return marker
    }
}
