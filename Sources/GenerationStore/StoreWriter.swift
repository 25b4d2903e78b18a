import CExportShims
import Glibc

/// The one writer of an export root, holding `flock(LOCK_EX)` on `<root>/.lock` for its lifetime.
///
/// Every mutation is relative to directory descriptors with `*at` calls that never follow a symlink in the
/// last component. Obtain one with `ExportStore.withWriter`. This file holds the lock, the descriptors and
/// what the writer caches; each operation is an extension in its own file: `StoreWriter+Publish.swift`,
/// `StoreWriter+Switch.swift` (switch and rollback), `Repair.swift`, `TreeRemoval.swift` and
/// `GarbageCollection.swift`.
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
    var knownGenerations: Set<String> = []
    /// Those of them whose manifest header this writer read or wrote (`requireGeneration(readable:)`).
    var readableGenerations: Set<String> = []
    /// What `current` and `previous` of a name point to, as this writer last read or wrote them: the same argument
    /// (only a lock holder changes them) lets a long-lived writer flip with exactly the raw flip's system calls.
    /// Cleared before each change and set again once it is complete, so a failure makes the next call re-read.
    var linkCache: [String: Links] = [:]
    /// True once this writer removed the root's stamp (`dropStamp`), until it writes one.
    var stampDropped = false

    struct Links {
        var current: String?
        var previous: String?
    }

    /// `current` and `previous` of `name`, read once per writer; a switch interrupted after its exchange is
    /// completed first (one more `readlinkat`, of the pending link that would say so).
    func links(of name: String, _ nameFd: Int32, _ context: String) throws(StoreError) -> Links {
        if let cached = linkCache[name] { return cached }
        let current = try system.link(nameFd, Layout.current, at: store.path(name, Layout.current), context)
        let completed = try completeInterruptedSwitch(name, nameFd, current: current, context)
        var previous = completed
        if previous == nil {
            previous = try system.link(nameFd, Layout.previous, at: store.path(name, Layout.previous), context)
        }
        let links = Links(current: current, previous: previous)
        linkCache[name] = links
        return links
    }

    /// Opens the root and takes the lock. Only a directory that is an export root is written: one with the marker,
    /// or a format-1 root (`.lock` and only the store's layout), which gets the marker under the lock; with
    /// `creatingRoot`, also an absent path (made with mode 0755) or an empty directory, which becomes a root.
    /// Anything else is refused (`.missingInput`, naming the root) before `.lock` is created or anything written.
    init(store: ExportStore, wait: Bool, creatingRoot: Bool) throws(StoreError) {
        self.store = store
        self.system = store.system
        let context = "cannot lock export root"
        // The descriptors are stored only once the lock is held: a class whose initializer throws after every stored
        // property is set runs its deinit, which would close them a second time (closing whatever file the process
        // opened under the same numbers in between).
        let root: Int32
        do {
            root = try system.open(AT_FDCWD, store.root, .directory)
        } catch .noSuchFileOrDirectory {
            guard creatingRoot else { throw RootState.absentRefusal(path: store.root, context) }
            // First write: create the root (mode 0755), then open it.
            try system.makeDirectories(store.root, context)
            do {
                root = try system.open(AT_FDCWD, store.root, .directory)
            } catch {
                throw .system("openat", error, path: store.root, context)
            }
        } catch {
            throw .system("openat", error, path: store.root, context)
        }
        let state: RootState
        do {
            state = try store.rootState(root, context)
        } catch {
            system.close(root)
            throw error
        }
        if let refusal = state.refusal(path: store.root, context), !(creatingRoot && state == .empty) {
            system.close(root)
            throw refusal
        }
        let lock: Int32
        do {
            lock = try system.open(root, Layout.lock, [.readWrite, .create, .noFollow], mode: 0o644)
        } catch {
            let kind = try? system.fstatat(root, Layout.lock, CX_AT_SYMLINK_NOFOLLOW).kind
            system.close(root)
            var failure = StoreError.system("openat", error, path: store.path(Layout.lock), context)
            if let kind, kind != .regular {
                failure.reason += "; it is \(kind.article), not the lock file: remove it while no snap-export runs"
            }
            throw failure
        }
        do {
            try system.flock(lock, CX_LOCK_EX | (wait ? 0 : CX_LOCK_NB))
        } catch {
            system.close(lock)
            system.close(root)
            if error == .wouldBlock {
                throw StoreError(.busy, context, "another writer holds the lock", path: store.path(Layout.lock))
            }
            throw .system("flock", error, path: store.path(Layout.lock), context)
        }
        if state != .marked {
            // Under the lock: the root as it is now (another writer may have marked it meanwhile), then the marker.
            do throws(StoreError) {
                let locked = try store.rootState(root, context)
                if locked != .marked {
                    if let refusal = locked.refusal(path: store.root, context) { throw refusal }
                    try StoreWriter.writeMarker(system, root, store, context)
                }
            } catch {
                system.close(lock)
                system.close(root)
                throw error
            }
        }
        rootFd = root
        lockFd = lock
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
        return Layout.hexDigits(temporaryBase &+ temporarySequence)
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
            fd = try system.open(rootFd, name, [.directory, .noFollow])
        } catch .noSuchFileOrDirectory {
            throw StoreError(.missingInput, context, "no exported name '\(name)'", path: store.path(name))
        } catch {
            throw .system("openat", error, path: store.path(name), context)
        }
        nameFds[name] = fd
        return fd
    }

    /// The directory of an exported name (as `nameDirectory`, never created) with its listing: when this writer has
    /// not opened it yet, opened and listed at once (`openAndList`: no `lseek`); else its kept descriptor is listed
    /// from the start.
    func listNameDirectory(_ name: String, _ context: String) throws(StoreError) -> (
        fd: Int32, listing: [DirectoryEntry]
    ) {
        if let fd = nameFds[name] { return (fd, try system.entries(fd, at: store.path(name), context)) }
        do throws(OpenListingFailure) {
            let (fd, listing) = try system.openAndList(rootFd, name, [.noFollow])
            nameFds[name] = fd
            return (fd, listing)
        } catch {
            switch error {
            case .open(.noSuchFileOrDirectory):
                throw StoreError(.missingInput, context, "no exported name '\(name)'", path: store.path(name))
            case .open(let errno): throw .system("openat", errno, path: store.path(name), context)
            case .list(let errno): throw .system("getdents64", errno, path: store.path(name), context)
            }
        }
    }

    /// Closes and forgets the descriptor of a name whose directory this writer removes.
    func forgetName(_ name: String) {
        if let fd = nameFds.removeValue(forKey: name) { system.close(fd) }
        linkCache[name] = nil
    }

    /// A generation directory of `name` exists (as a directory, not a link); with `readable`, also its manifest's
    /// header reads (one `pread`): what `switch` and `rollback` require of a generation they make current.
    func requireGeneration(
        _ nameFd: Int32, _ name: String, _ generation: String, readable: Bool = false, _ context: String
    ) throws(StoreError) {
        let key = name + "/" + generation
        if readable ? readableGenerations.contains(key) : knownGenerations.contains(key) { return }
        let path = store.path(name, generation)
        if !knownGenerations.contains(key) {
            guard let status = try system.status(nameFd, generation, at: path, context) else {
                throw StoreError(.missingInput, context, "generation does not exist", path: path)
            }
            guard status.kind == .directory else {
                throw StoreError(.badData, context, "not a generation directory", path: path)
            }
            knownGenerations.insert(key)
        }
        guard readable else { return }
        do {
            _ = try system.readManifestHeader(nameFd, below: generation, at: path, context)
        } catch {
            throw StoreError(
                .badData, context,
                "its manifest cannot be read (\(error.reason)), so it may be incomplete: not made current "
                    + "('snap-export verify' says more; publish it again under another name)",
                path: error.path ?? path, syscall: error.syscall, errno: error.errno)
        }
        readableGenerations.insert(key)
    }

    /// True when `generation` of `name` is a directory (what `current` names may be gone: a dangling link).
    func isGeneration(_ nameFd: Int32, _ name: String, _ generation: String, _ context: String) throws(StoreError)
        -> Bool
    {
        if knownGenerations.contains(name + "/" + generation) { return true }
        guard (try? NameRules.validateGeneration(generation, context: "")) != nil else {
            return false
        }
        return try system.status(nameFd, generation, at: store.path(name, generation), context)?.kind == .directory
    }

    /// Forgets a generation this writer is removing.
    func forgetGeneration(_ name: String, _ generation: String) {
        knownGenerations.remove(name + "/" + generation)
        readableGenerations.remove(name + "/" + generation)
    }

    /// `renameat2(RENAME_NOREPLACE)`, or plain `renameat` where the kernel or filesystem refuses the flag
    /// (safe: the writer holds the lock and checked that the destination is absent).
    func renameNoReplace(_ oldFd: Int32, _ old: String, _ newFd: Int32, _ new: String) throws(Errno) {
        do {
            try system.renameat2(oldFd, old, newFd, new, RenameFlags.noReplace)
        } catch .invalidArgument, .notImplemented {
            try system.renameat(oldFd, old, newFd, new)
        }
    }
}
