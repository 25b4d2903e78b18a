import CExportShims
import Glibc

/// The inode number of a generation directory, what a header cache record is matched by: `d_ino` from the name
/// directory's listing when readers check a record (no system call per generation), `st_ino` of `fstatat` when a
/// writer makes one (the same number on the filesystems the store supports; where they differ, records never match
/// and every header is read from its manifest). Kept as its bit pattern, so a number above `Int64.max` is kept.
///
/// A record never outlives its generation's directory on purpose: gc rewrites the cache when it removes
/// generations, and `publish` removes a cache that holds a record of the generation it is about to publish. Only a
/// generation removed by something else (a gc killed before its rewrite) leaves a stale record, and that one is
/// dropped before the name can be published again, whatever inode number the new directory gets.
struct DirectoryIdentity: Sendable, Equatable {
    var inode: Int64

    init(inode: Int64) { self.inode = inode }

    init(inode: UInt64) { self.inode = Int64(bitPattern: inode) }

    /// The identity of `entry` of a name directory's listing: its `d_ino`, or, where the listing gives none (0),
    /// one `fstatat` without following a link; nil when that fails or it is not a directory.
    static func of(_ entry: DirectoryEntry, in nameFd: Int32, _ system: any SystemCalls) -> DirectoryIdentity? {
        if entry.inode != 0 { return DirectoryIdentity(inode: entry.inode) }
        return of(entry.name, in: nameFd, system)
    }

    /// The identity of the directory `generation` below `nameFd` from `fstatat(AT_SYMLINK_NOFOLLOW)`; nil when it
    /// fails or it is not a directory.
    static func of(_ generation: String, in nameFd: Int32, _ system: any SystemCalls) -> DirectoryIdentity? {
        guard let status = try? system.fstatat(nameFd, generation, CX_AT_SYMLINK_NOFOLLOW), status.kind == .directory
        else { return nil }
        return DirectoryIdentity(inode: status.inode)
    }
}

/// A name's header cache, `<name>/.headers` (docs/format.md, "The header cache"): what gc and `status` need of
/// each generation (its manifest's header), kept where one read per name gives it, so that they open no manifest.
///
/// A cache, never an authority. Each line is one record: a JSON object with the generation's name, the inode number
/// of its directory (`DirectoryIdentity`) and its manifest's header, ending in `"sets": {}` (read by
/// `ManifestReader`, the one parser of manifests). A reader uses a generation's last record only when its inode
/// number is the directory's as the listing gives it; a generation without one (no record, a stale one, garbage, a torn last line, a cache over its cap
/// or that is not a regular file) has its manifest's header read as before. `publish` appends a record after its
/// rename, without fsync (a lost record only costs that read); `gc` rewrites the file (a temporary file in
/// `.staging`, then a rename) when it removed generations of the name, and the gc command also when records are
/// missing or stale.
struct HeaderCache {
    /// What a record says besides the header, as `ManifestReader.readHeaderRecord` finds it.
    struct RecordKeys {
        var generation: String?
        var inode: Int64?
    }

    struct Record: Equatable {
        var identity: DirectoryIdentity
        var header: ManifestHeader
    }

    /// Generation → its last valid record.
    var records: [String: Record] = [:]
    /// Valid records read, duplicates included.
    var recordCount = 0
    /// Non-empty lines that are not a valid record, a torn last line included.
    var invalidLines = 0

    /// The most a cache is read: a larger one (only a hostile or damaged one is) is ignored whole.
    static let cap = 16 << 20
    /// The first read; the cache of a name with a few generations (a few hundred bytes each) fits in it.
    static let readSize = 4096

    /// The record of `generation` whose identity is `identity`, if the cache holds it.
    func header(of generation: String, identity: DirectoryIdentity) -> ManifestHeader? {
        guard let record = records[generation], record.identity == identity else { return nil }
        return record.header
    }

    /// The cache of the name directory `nameFd`: empty when there is none, and whenever it cannot be read
    /// (`openat` without following a link or blocking on a FIFO, then `pread`s until one returns less than it was
    /// given room for, at most `cap` bytes). Never fails: a cache that cannot be used is as good as none.
    static func read(_ system: any SystemCalls, _ nameFd: Int32) -> HeaderCache {
        guard
            let fd = try? system.open(
                nameFd, Layout.headers, [.readOnly, .noFollow, .nonBlocking, .noControllingTerminal])
        else { return HeaderCache() }
        defer { system.close(fd) }
        var bytes: [UInt8] = []
        var room = readSize
        while true {
            // Uninitialized: only what the read fills is touched (no zeroed buffer per name).
            let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: room, alignment: 1)
            defer { chunk.deallocate() }
            let count: Int
            do throws(Errno) {
                count = try system.pread(fd, chunk, Int64(bytes.count))
            } catch {
                return HeaderCache()  // a directory (EISDIR), a FIFO (ESPIPE), any other failure: no cache
            }
            bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[0..<count]))
            if bytes.count > cap { return HeaderCache() }
            if count < room { break }
            room = min(room * 4, 1 << 20)
        }
        return parse(bytes)
    }

    /// The records of `bytes`: one per line that ends in a newline and parses whole; anything else is counted in
    /// `invalidLines` and ignored.
    static func parse(_ bytes: [UInt8]) -> HeaderCache {
        var cache = HeaderCache()
        var start = 0
        var reader = ManifestReader(bytes: bytes, range: 0..<0)
        while start < bytes.count {
            guard let newline = bytes[start...].firstIndex(of: 0x0A) else {
                cache.invalidLines += 1  // a torn last line: its record was not written whole
                break
            }
            defer { start = newline + 1 }
            if newline == start { continue }
            reader.restart(at: start..<newline)
            guard let (keys, header) = try? reader.readHeaderRecord(), let generation = keys.generation,
                let inode = keys.inode
            else {
                cache.invalidLines += 1
                continue
            }
            cache.records[generation] = Record(identity: DirectoryIdentity(inode: inode), header: header)
            cache.recordCount += 1
        }
        return cache
    }

    /// The record of `generation` as one line, newline included: `{"generation": …, "inode": …`, the
    /// header's keys as a format 2 manifest writes them, then `"sets": {}}`.
    static func line(generation: String, identity: DirectoryIdentity, header: ManifestHeader) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        out.append(contentsOf: "{\"generation\":".utf8)
        Manifest.appendJSONString(generation, to: &out)
        out.append(contentsOf: ",\"inode\":\(identity.inode),".utf8)
        header.appendFields(to: &out, pretty: false)
        out.append(contentsOf: "\"sets\":{}}\n".utf8)
        return out
    }
}

extension StoreWriter {
    /// Appends the record of the generation `name/generation`, just renamed into place with `header`: `fstatat` of
    /// its directory for its inode number, then `openat(O_WRONLY|O_APPEND|O_CREAT|O_NOFOLLOW|O_NONBLOCK, 0644)` of
    /// `<name>/.headers`, one `write` and `close`; no fsync. Failures are ignored: nothing a consumer sees depends
    /// on the cache, and a missing record only means a reader reads that manifest's header.
    ///
    /// The write starts with a newline: a record torn by an earlier failed write then stays a line of its own, which
    /// cannot parse (it is a strict prefix of an object), and this record is a whole line whatever came before.
    func appendHeaderRecord(_ nameFd: Int32, _ generation: String, _ header: ManifestHeader) {
        guard let identity = DirectoryIdentity.of(generation, in: nameFd, system),
            let fd = try? system.open(
                nameFd, Layout.headers,
                [.writeOnly, .append, .create, .noFollow, .nonBlocking, .noControllingTerminal], mode: 0o644)
        else { return }
        defer { system.close(fd) }
        let line = HeaderCache.line(generation: generation, identity: identity, header: header)
        try? system.write(fd, [0x0A] + line)
    }

    /// Before publishing `generation` (absent now): removes the cache of the name directory if it holds a record of
    /// that name, which can only be stale (the generation was removed by something that did not rewrite the cache,
    /// such as a gc killed before its rewrite). Otherwise a publish killed between its rename and its append could
    /// leave that record to a new directory that gets the old one's inode number (file systems reuse them). One read of the cache per publish; the next `gc` writes
    /// a new one.
    func forgetStaleHeaderRecords(_ nameFd: Int32, _ generation: String) {
        if HeaderCache.read(system, nameFd).records[generation] != nil {
            try? system.unlinkat(nameFd, Layout.headers, 0)
        }
    }

    /// Replaces the header cache of `name` by one record per generation of `headers` (those whose header is
    /// known), each with the inode number of its directory (`DirectoryIdentity.of`: the listing's, else `fstatat`): written to a temporary file in
    /// `.staging`, then renamed over `<name>/.headers` (no fsync: a cache). With no record to write, the cache is
    /// removed. Failures are ignored and leave the old cache, whose stale records readers do not use.
    func rewriteHeaderCache(
        _ name: String, _ nameFd: Int32, _ headers: [(generation: String, header: ManifestHeader?)],
        listing: [DirectoryEntry]
    ) {
        var entries: [String: DirectoryEntry] = [:]
        for entry in listing { entries[entry.name] = entry }
        var bytes: [UInt8] = []
        for (generation, header) in headers {
            guard let header, let entry = entries[generation],
                let identity = DirectoryIdentity.of(entry, in: nameFd, system)
            else { continue }
            bytes += HeaderCache.line(generation: generation, identity: identity, header: header)
        }
        if bytes.isEmpty {
            try? system.unlinkat(nameFd, Layout.headers, 0)
            return
        }
        let context = "cannot rewrite the header cache of \(name)"
        guard (try? system.makeDirectory(rootFd, Layout.staging, at: store.path(Layout.staging), context)) != nil,
            let stagingFd = try? system.open(rootFd, Layout.staging, [.directory, .noFollow])
        else { return }
        defer { system.close(stagingFd) }
        let temporary = temporaryName()
        guard
            let fd = try? system.open(
                stagingFd, temporary, [.writeOnly, .create, .exclusive, .noFollow], mode: 0o644)
        else { return }
        let written = (try? system.write(fd, bytes)) != nil
        system.close(fd)
        if !written || (try? system.renameat(stagingFd, temporary, nameFd, Layout.headers)) == nil {
            try? system.unlinkat(stagingFd, temporary, 0)
        }
    }
}
