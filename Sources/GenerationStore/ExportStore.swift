import CExportShims
import Glibc

/// The export root: named exports, each a set of immutable generations and a `current` link.
///
/// Reading (`status`, `verify`, `manifest`) never locks and never writes. Writing goes through
/// `withWriter`, which takes `flock(LOCK_EX)` on `<root>/.lock` and hands out a `StoreWriter`.
/// The store knows nothing of snaps: names, generations, sets and entries are all it sees.
public struct ExportStore: Sendable {
    /// The export root's path, as given.
    public let root: String
    /// The system calls every operation goes through.
    public let system: any SystemCalls
    /// Crash points for tests (debug builds only).
    public let faults: FaultPoints

    public init(root: String, system: any SystemCalls = LinuxSystemCalls(), faults: FaultPoints = .fromEnvironment) {
        self.root = root.count > 1 && root.hasSuffix("/") ? String(root.dropLast()) : root
        self.system = system
        self.faults = faults
    }

    /// The absolute path of something below the root, for messages.
    public func path(_ parts: String...) -> String {
        // A loop, not `joined(separator:)`: the stdlib's generic join looks up Array's collection witnesses at run
        // time on its first call, a tenth of a millisecond of every process's start (docs/benchmarks.md, item 5).
        var result = root
        for part in parts {
            result += "/"
            result += part
        }
        return result
    }

    /// Opens the root for reading, or returns nil when it does not exist yet.
    func openRoot(_ context: String) throws(StoreError) -> Descriptor? {
        do {
            return try system.openDescriptor(AT_FDCWD, root, .directory)
        } catch .noSuchFileOrDirectory {
            return nil
        } catch {
            throw .system("openat", error, path: root, context)
        }
    }

    /// The exported names (directories at the root that are not dot-names), sorted.
    public func names() throws(StoreError) -> [String] {
        let context = "cannot list exported names"
        guard let rootFd = try openRoot(context) else { return [] }
        return try exportedNames(rootFd.raw, context)
    }

    func exportedNames(_ rootFd: Int32, _ context: String) throws(StoreError) -> [String] {
        var result: [String] = []
        for entry in try system.entries(rootFd, at: root, context) where !entry.name.hasPrefix(".") {
            if try system.kind(of: entry, in: rootFd, at: path(entry.name), context) == .directory {
                result.append(entry.name)
            }
        }
        return result.sorted()
    }

    /// The generation `link` (`current` or `previous`) of `name` names, or nil when absent.
    public func link(_ link: String, of name: String) throws(StoreError) -> String? {
        let context = "cannot read \(name)/\(link)"
        guard let rootFd = try openRoot(context) else { return nil }
        return try system.link(rootFd.raw, name + "/" + link, at: path(name, link), context)
    }

    /// `link` (`current` or `previous`) of every exported name, sorted by name (nil where absent): one listing of
    /// the root and one `readlinkat` per name, through one descriptor of the root.
    public func links(_ link: String) throws(StoreError) -> [(name: String, target: String?)] {
        let context = "cannot read the exported names' \(link) links"
        guard let rootFd = try openRoot(context) else { return [] }
        var result: [(name: String, target: String?)] = []
        for name in try exportedNames(rootFd.raw, context) {
            result.append((name, try system.link(rootFd.raw, name + "/" + link, at: path(name, link), context)))
        }
        return result
    }

    /// The manifest stored in a published generation.
    public func manifest(name: String, generation: String) throws(StoreError) -> Manifest {
        try manifest(name: name, generation: generation, sets: nil)
    }

    /// The manifest stored in a published generation with only the sets `keep` accepts (the header whole; the
    /// other sets are read and checked, not held).
    public func manifest(name: String, generation: String, sets keep: ((String) -> Bool)?) throws(StoreError)
        -> Manifest
    {
        let context = "cannot read generation \(name)/\(generation)"
        try NameRules.validateComponent(name, what: "exported name", context: context)
        try NameRules.validateGeneration(generation, context: context)
        guard let rootFd = try openRoot(context) else {
            throw StoreError(.missingInput, context, "export root does not exist", path: root)
        }
        let nameFd = try system.openDirectory(rootFd.raw, name, at: path(name), context)
        let genFd = try system.openDirectory(nameFd.raw, generation, at: path(name, generation), context)
        return try system.readManifest(genFd.raw, at: path(name, generation), context, sets: keep)
    }

    /// Only the `inputs` of a published generation's manifest (format 2): from its header, one `pread` of 4 KiB
    /// when the store wrote it; what checking a derived generation against its inputs costs.
    public func inputs(name: String, generation: String) throws(StoreError) -> [String: String]? {
        try header(name: name, generation: generation).inputs
    }

    /// The header of a published generation's manifest (format 2: one `pread` of 4 KiB when the store wrote it).
    public func header(name: String, generation: String) throws(StoreError) -> ManifestHeader {
        let context = "cannot read generation \(name)/\(generation)"
        try NameRules.validateComponent(name, what: "exported name", context: context)
        try NameRules.validateGeneration(generation, context: context)
        guard let rootFd = try openRoot(context) else {
            throw StoreError(.missingInput, context, "export root does not exist", path: root)
        }
        return try system.readManifestHeader(
            rootFd.raw, below: name + "/" + generation, at: path(name, generation), context)
    }

    /// The generation directories of `name` (sorted by name) with their manifests' headers, nil where a manifest
    /// cannot be read (`verify` says why), from `listing` (the caller's one listing of the name directory) and one read of its header cache
    /// (`HeaderCache`). A generation whose record has the inode number the listing gives its directory (`d_ino`) costs
    /// no system call: the record's header is used and the manifest is not opened. Any other generation has its
    /// manifest's header read: `openat` + `pread` of 4 KiB + `close` for format 2. Kinds and inode numbers come from
    /// the listing (`d_type`, `d_ino`; a `stat` only where the filesystem gives none). The listing's other names (links, markers) come
    /// back too, for the caller that needs them; `cacheIsStale` says that the cache is missing a record of a
    /// generation whose header was read, or holds lines that serve no generation (what `gc` rewrites).
    func generations(of name: String, _ nameFd: Int32, listing: [DirectoryEntry], _ context: String)
        throws(StoreError) -> GenerationListing
    {
        let cache = HeaderCache.read(system, nameFd)
        var result: [(generation: String, header: ManifestHeader?)] = []
        var served = 0
        var missing = false
        for entry in listing where Layout.isGenerationName(entry.name) {
            guard try system.kind(of: entry, in: nameFd, at: path(name, entry.name), context) == .directory else {
                continue
            }
            if cache.records[entry.name] != nil, let identity = DirectoryIdentity.of(entry, in: nameFd, system),
                let header = cache.header(of: entry.name, identity: identity)
            {
                result.append((entry.name, header))
                served += 1
                continue
            }
            let header = try? system.readManifestHeader(
                nameFd, below: entry.name, at: path(name, entry.name), checked: false, context)
            if header != nil { missing = true }
            result.append((entry.name, header))
        }
        result.sort { $0.generation < $1.generation }
        let stale = missing || cache.invalidLines > 0 || cache.recordCount > served
        return GenerationListing(generations: result, listing: listing, cacheIsStale: stale)
    }

    /// Current, previous and every generation of each exported name (all names, or only `only`).
    public func status(only: String? = nil) throws(StoreError) -> [NameStatus] {
        let context = "cannot read status"
        guard let rootFd = try openRoot(context) else {
            if let only { throw StoreError(.missingInput, context, "no exported name '\(only)'", path: root) }
            return []
        }
        if let only {
            // One `openat` of the name, not a listing of the root: an exported name is a directory that is not a
            // dot-name, and `O_NOFOLLOW` refuses a link where it belongs.
            let missing = StoreError(.missingInput, context, "no exported name '\(only)'", path: path(only))
            guard !only.isEmpty, !only.hasPrefix("."), !only.utf8.contains(UInt8(ascii: "/")), !only.utf8.contains(0)
            else { throw missing }
            return [try nameStatus(only, rootFd.raw, context, missing: missing)]
        }
        var result: [NameStatus] = []
        for name in try exportedNames(rootFd.raw, context) {
            result.append(try nameStatus(name, rootFd.raw, context))
        }
        return result
    }

    /// The status of the name directory `name` below `rootFd`, opened and listed at once (`openAndList`); where it
    /// is not there (or not a directory, or a link), `missing` when given.
    func nameStatus(_ name: String, _ rootFd: Int32, _ context: String, missing: StoreError? = nil)
        throws(StoreError) -> NameStatus
    {
        let opened: (fd: Int32, entries: [DirectoryEntry])
        do throws(OpenListingFailure) {
            opened = try system.openAndList(rootFd, name, [.noFollow])
        } catch {
            switch error {
            case .open(let errno):
                if let missing, [.noSuchFileOrDirectory, .notDirectory, .tooManySymbolicLinks].contains(errno) {
                    throw missing
                }
                throw .system("openat", errno, path: path(name), context)
            case .list(let errno): throw .system("getdents64", errno, path: path(name), context)
            }
        }
        let nameFd = Descriptor(opened.fd, system)
        var generations = try self.generations(of: name, nameFd.raw, listing: opened.entries, context).generations.map {
            generation, header in
            GenerationSummary(
                name: generation, entries: header?.entries, published: header?.published, source: header?.source,
                version: header?.version)
        }
        generations.sort { ($0.published ?? 0, $0.name) < ($1.published ?? 0, $1.name) }
        var status = NameStatus(name: name, current: nil, previous: nil, generations: generations)
        // Something else where a link belongs (a directory named `current`): reported, and the other names still
        // shown (`verify` says more).
        do {
            status.current = try system.link(nameFd.raw, Layout.current, at: path(name, Layout.current), context)
            status.previous = try system.link(nameFd.raw, Layout.previous, at: path(name, Layout.previous), context)
        } catch  where error.kind == .badData {
            status.problem = error.description
        }
        return status
    }

    /// When each generation of `name` last stopped being current (nanoseconds since the epoch), from the
    /// retirement markers that `switch` and `rollback` write.
    public func retirements(of name: String) throws(StoreError) -> [String: Int64] {
        let context = "cannot read retirement markers of \(name)"
        guard let rootFd = try openRoot(context),
            let nameFd = try system.openDirectoryIfPresent(rootFd.raw, name, at: path(name), context)
        else { return [:] }
        return try RetirementMarkers.read(system, nameFd.raw, at: path(name), context).latest
    }

    /// Runs `body` while no writer runs: `flock(LOCK_SH)` on `<root>/.lock`, opened read-only (so a root the caller
    /// may not write is still checked), waiting for a writer to finish or failing with `.busy` when `wait` is
    /// false. Writers hold `LOCK_EX` on the same file for their whole run, so what `body` reads is settled: no
    /// `.staging` of a running publish, no half-done gc. Without a `.lock` (no writer ever ran) or where it is not
    /// a regular file (`verify` reports that), `body` runs without it. Consumers never lock.
    public func withSharedLock<T>(wait: Bool = true, _ body: () throws -> T) throws -> T {
        let context = "cannot lock export root"
        let lockPath = path(Layout.lock)
        let fd: Int32
        do {
            fd = try system.open(AT_FDCWD, lockPath, [.readOnly, .noFollow, .nonBlocking, .noControllingTerminal])
        } catch .noSuchFileOrDirectory, .tooManySymbolicLinks, .notDirectory {
            return try body()
        } catch {
            throw StoreError.system("openat", error, path: lockPath, context)
        }
        defer { system.close(fd) }
        guard (try? system.fstatat(fd, "", CX_AT_EMPTY_PATH))?.kind == .regular else { return try body() }
        do {
            try system.flock(fd, CX_LOCK_SH | (wait ? 0 : CX_LOCK_NB))
        } catch {
            if error == .wouldBlock {
                throw StoreError(.busy, context, "a writer holds the lock", path: lockPath)
            }
            throw StoreError.system("flock", error, path: lockPath, context)
        }
        return try body()
    }

    /// Runs `body` as the only writer: takes `flock(LOCK_EX)` on `<root>/.lock` (waiting, or failing with `.busy`
    /// when `wait` is false) and releases it afterwards. The root must be an export root (`RootState`; a format-1
    /// root is marked under the lock); with `creatingRoot` (what publish, refresh and link pass) an absent path
    /// (created with mode 0755) or an empty directory becomes one. Anything else fails (`.missingInput`) and
    /// nothing is created there, not even `.lock`.
    public func withWriter<T>(wait: Bool = true, creatingRoot: Bool = false, _ body: (StoreWriter) throws -> T)
        throws -> T
    {
        let writer = try StoreWriter(store: self, wait: wait, creatingRoot: creatingRoot)
        return try body(writer)
    }
}

/// The generations of one name as `ExportStore.generations(of:)` read them.
struct GenerationListing {
    /// Sorted by name, each with its manifest's header (nil where it cannot be read).
    var generations: [(generation: String, header: ManifestHeader?)]
    /// The whole listing of the name directory.
    var listing: [DirectoryEntry]
    /// True when the header cache lacks a record of a generation whose header was read, or holds lines that serve
    /// no present generation (garbage, torn, stale or duplicate records).
    var cacheIsStale: Bool
}

/// One exported name as `status` reports it.
public struct NameStatus: Sendable, Equatable {
    public var name: String
    public var current: String?
    public var previous: String?
    /// In publication order.
    public var generations: [GenerationSummary]
    /// Why `current` or `previous` could not be read (not a link), if so.
    public var problem: String? = nil
}

/// One generation as `status` reports it.
public struct GenerationSummary: Sendable, Equatable {
    public var name: String
    /// Entry count from the manifest; nil when the manifest is unreadable (verify says why).
    public var entries: Int?
    public var published: Int64?
    public var source: String?
    public var version: String?
}
