import CExportShims
import Glibc

/// Publishing a generation: built in `.staging/`, made visible in one rename.
extension StoreWriter {
    /// The result of `publish`.
    public enum PublishOutcome: Sendable, Equatable {
        /// The generation was built and made visible.
        case published
        /// A generation with the same content already exists under that name; nothing was written.
        case unchanged
    }

    /// A published generation of the same name whose entries a new generation may share: its name and manifest
    /// (as the caller read or built it).
    public struct Reuse: Sendable {
        public var generation: String
        public var manifest: Manifest

        public init(generation: String, manifest: Manifest) {
            self.generation = generation
            self.manifest = manifest
        }
    }

    /// Publishes `manifest` as `<name>/<generation>`, complete and synced before it becomes visible in one rename
    /// (docs/format.md, "publish"). The same content again is a no-op; other content under an existing name fails
    /// (`.cannotCreate`) and changes nothing.
    ///
    /// With `reusing`, an entry whose set, name and target are the same in that generation is made with
    /// `linkat` of its symlink inode (never followed) instead of a new `symlinkat`: published generations never
    /// change, so sharing the inode is safe, and it costs only the directory entry. Where `linkat` is refused
    /// (another filesystem, `EPERM`, `EMLINK`), that entry and the rest get fresh symlinks.
    @discardableResult
    public func publish(
        name: String, generation: String, manifest input: Manifest, reusing previous: Reuse? = nil
    ) throws(StoreError) -> PublishOutcome {
        let context = "cannot publish \(name)/\(generation)"
        try NameRules.validateComponent(name, what: "exported name", context: context)
        try NameRules.validateGeneration(generation, context: context)
        try input.validate(context: context)
        try dropStamp(context)
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
        manifest.published = SystemClock.wallNanoseconds()

        try system.makeDirectory(rootFd, Layout.staging, at: store.path(Layout.staging), context)
        let stagingFd = try system.openDirectory(rootFd, Layout.staging, at: store.path(Layout.staging), context)
        let stagingName = temporaryName()
        let stagingPath = store.path(Layout.staging, stagingName)
        try system.makeDirectory(stagingFd.raw, stagingName, at: stagingPath, context)
        store.faults.hit(.publishStagingCreated)
        do {
            var reuseFd: Int32 = -1
            if let previous, previous.generation != generation {
                reuseFd = (try? system.open(nameFd, previous.generation, [.directory, .noFollow])) ?? -1
            }
            defer { if reuseFd >= 0 { system.close(reuseFd) } }
            try build(
                manifest, in: stagingFd.raw, stagingName, at: stagingPath,
                reusing: reuseFd >= 0 ? previous?.manifest : nil, from: reuseFd, context)
        } catch {
            _ = try? removeTree(stagingFd.raw, stagingName, at: stagingPath)
            throw error
        }
        store.faults.hit(.publishSynced)
        forgetStaleHeaderRecords(nameFd, generation)
        do {
            try renameNoReplace(stagingFd.raw, stagingName, nameFd, generation)
        } catch {
            _ = try? removeTree(stagingFd.raw, stagingName, at: stagingPath)
            throw .system("renameat2", error, path: finalPath, context)
        }
        store.faults.hit(.publishRenamed)
        // Before the directory's fsync, which then makes a new cache file's name durable too; the record itself is
        // never synced (a cache).
        appendHeaderRecord(nameFd, generation, manifest.header)
        try system.sync(nameFd, at: store.path(name), context)
        knownGenerations.insert(name + "/" + generation)
        readableGenerations.insert(name + "/" + generation)
        return .published
    }

    /// Lays out the sets, entries and manifest under `.staging/<stagingName>` and fsyncs all of it.
    private func build(
        _ manifest: Manifest, in stagingFd: Int32, _ stagingName: String, at path: String,
        reusing reuse: Manifest?, from reuseFd: Int32, _ context: String
    ) throws(StoreError) {
        var linking = reuse != nil
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
            let fd = try system.call("openat", at: path + "/" + relative, context) { () throws(Errno) -> Int32 in
                try system.open(parent, last, [.directory, .noFollow])
            }
            created[relative] = fd
            return fd
        }
        // Sorted once: the entries are laid out and the manifest written in the same (byte) order.
        let ordered = manifest.entriesInByteOrder()
        for (set, entries) in ordered {
            let setFd = try directory(set)
            let old = linking ? reuse?.sets[set] : nil
            var sharedSet: Int32 = -1
            if let old, !old.isEmpty {
                sharedSet = (try? system.open(reuseFd, set, [.directory, .noFollow])) ?? -1
            }
            defer { if sharedSet >= 0 { system.close(sharedSet) } }
            for (entry, target) in entries {
                if linking, sharedSet >= 0, old?[entry] == target {
                    do {
                        try system.linkat(sharedSet, entry, setFd, entry, 0)
                        continue
                    } catch .noSuchFileOrDirectory {
                        // That entry is not there after all: a fresh symlink, and keep linking the others.
                    } catch {
                        linking = false  // EXDEV, EPERM, EMLINK, ENOTSUP…: fresh symlinks from here on
                    }
                }
                do {
                    try system.symlinkat(target, setFd, entry)
                } catch {
                    throw .system("symlinkat", error, path: path + "/" + set + "/" + entry, context)
                }
            }
        }
        let manifestPath = path + "/" + Manifest.fileName
        let file = try system.call("openat", at: manifestPath, context) { () throws(Errno) -> Descriptor in
            try system.openDescriptor(
                genFd.raw, Manifest.fileName, [.writeOnly, .create, .exclusive, .noFollow], mode: 0o644)
        }
        try system.call("write", at: manifestPath, context) { () throws(Errno) in
            try system.write(file.raw, manifest.encoded(ordered: ordered))
        }
        try system.sync(file.raw, at: manifestPath, context)
        store.faults.hit(.publishEntriesWritten)
        if reuse != nil {
            // A consumer that caches per directory and mtime (fontconfig) must see the successor's set directories
            // as changed: the kernel's coarse clock can give two generations built within a tick the same mtime.
            for (relative, fd) in created.sorted(by: { $0.key < $1.key }) {
                guard let old = try? system.fstatat(reuseFd, relative, CX_AT_SYMLINK_NOFOLLOW),
                    let new = try? system.fstatat(fd, "", CX_AT_EMPTY_PATH),
                    new.modifiedNanoseconds <= old.modifiedNanoseconds
                else { continue }
                do {
                    try system.setModificationTime(fd, nanoseconds: old.modifiedNanoseconds + 1_000)
                } catch {
                    throw .system("futimens", error, path: path + "/" + relative, context)
                }
            }
        }
        for (relative, fd) in created.sorted(by: { $0.key.count > $1.key.count }) {
            try system.sync(fd, at: path + "/" + relative, context)
        }
        try system.sync(genFd.raw, at: path, context)
    }
}
