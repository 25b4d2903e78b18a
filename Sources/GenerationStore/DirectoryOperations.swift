import CExportShims
import Glibc

/// The few compound operations every algorithm needs, each relative to a directory descriptor and never
/// following a symlink in the last component. `at` is the absolute path, for error messages only: an autoclosure,
/// so that a call that succeeds (gc makes several per generation) builds no path string.
extension SystemCalls {
    /// Runs `body`, one system call named `name`; its failure becomes the store's error naming that call,
    /// `path` and `context`. Each call of a sequence gets its own, so an error never blames the wrong one.
    func call<T: ~Copyable>(
        _ name: String, at path: @autoclosure () -> String, _ context: String, _ body: () throws(Errno) -> T
    )
        throws(StoreError) -> T
    {
        do {
            return try body()
        } catch {
            throw .system(name, error, path: path(), context)
        }
    }

    func openDirectory(
        _ dirfd: Int32, _ name: String, at path: @autoclosure () -> String, _ context: String
    ) throws(StoreError) -> Descriptor {
        do {
            return try openDescriptor(dirfd, name, [.directory, .noFollow])
        } catch {
            throw .system("openat", error, path: path(), context)
        }
    }

    /// Opens a directory, or returns nil if it does not exist.
    func openDirectoryIfPresent(
        _ dirfd: Int32, _ name: String, at path: @autoclosure () -> String, _ context: String
    ) throws(StoreError) -> Descriptor? {
        do {
            return try openDescriptor(dirfd, name, [.directory, .noFollow])
        } catch .noSuchFileOrDirectory {
            return nil
        } catch {
            throw .system("openat", error, path: path(), context)
        }
    }

    /// Creates a directory (mode 0755) unless it exists; returns true when it made it.
    @discardableResult
    func makeDirectory(_ dirfd: Int32, _ name: String, at path: @autoclosure () -> String, _ context: String)
        throws(StoreError) -> Bool
    {
        do {
            try mkdirat(dirfd, name, 0o755)
            return true
        } catch .fileExists {
            return false
        } catch {
            throw .system("mkdirat", error, path: path(), context)
        }
    }

    /// `lstat`, or nil if nothing is there.
    func status(_ dirfd: Int32, _ name: String, at path: @autoclosure () -> String, _ context: String)
        throws(StoreError) -> FileStatus?
    {
        do {
            return try fstatat(dirfd, name, CX_AT_SYMLINK_NOFOLLOW)
        } catch .noSuchFileOrDirectory {
            return nil
        } catch {
            throw .system("fstatat", error, path: path(), context)
        }
    }

    /// `readlink`, or nil if nothing is there.
    func link(_ dirfd: Int32, _ name: String, at path: @autoclosure () -> String, _ context: String) throws(StoreError)
        -> String?
    {
        do {
            return try readlinkat(dirfd, name)
        } catch .noSuchFileOrDirectory {
            return nil
        } catch .invalidArgument {
            // Something else where the store keeps a link (`current`, `previous`): say so, and what to do.
            var failure = StoreError.system("readlinkat", .invalidArgument, path: path(), context)
            failure.kind = .badData
            let kind = (try? fstatat(dirfd, name, CX_AT_SYMLINK_NOFOLLOW))?.kind.article ?? "not a symlink"
            failure.reason += "; it is \(kind), not a link to a generation: move it out of the export root"
            throw failure
        } catch {
            throw .system("readlinkat", error, path: path(), context)
        }
    }

    /// The whole content of a metadata file (`readMetadata`: never blocks, regular files only, at most `cap`
    /// bytes); an error names the call that failed or refused it, and `path`.
    public func readFile(
        _ dirfd: Int32, _ name: String, at path: @autoclosure () -> String, _ context: String, cap: Int,
        followSymlink: Bool = false,
        stream: Bool = false
    ) throws(StoreError) -> [UInt8] {
        do {
            return try readMetadata(dirfd, name, cap: cap, followSymlink: followSymlink, stream: stream)
        } catch {
            throw .read(error, path: path(), context)
        }
    }

    /// The names of the directory that are valid UTF-8 (`entries` also gives the others, as bytes).
    func names(_ dirfd: Int32, at path: @autoclosure () -> String, _ context: String) throws(StoreError) -> [String] {
        try entries(dirfd, at: path(), context).compactMap { $0.undecodable == nil ? $0.name : nil }
    }

    func sync(_ fd: Int32, at path: @autoclosure () -> String, _ context: String) throws(StoreError) {
        do {
            try fsync(fd)
        } catch {
            throw .system("fsync", error, path: path(), context)
        }
    }

    /// The whole manifest of the generation directory `directory` below `dirfd` (or of `dirfd` itself when
    /// `directory` is empty); `directoryPath` is that generation's absolute path, for messages. Holds every entry:
    /// for one generation's content only (publish's comparison, `ExportStore.manifest`); gc, `status` and `verify`
    /// stream (`streamManifest`).
    func readManifest(
        _ dirfd: Int32, below directory: String = "", at directoryPath: @autoclosure () -> String,
        _ context: String, sets keep: ((String) -> Bool)? = nil
    ) throws(StoreError) -> Manifest {
        let relative = directory.isEmpty ? Manifest.fileName : directory + "/" + Manifest.fileName
        let path = directoryPath() + "/" + Manifest.fileName
        let file = try openManifest(dirfd, relative, at: path, context)
        var reader = ManifestReader(system: self, fd: file.raw)
        guard let keep else {
            return try Manifest.collect(path: path, context) {
                (set, entry) throws(ManifestReader.Failure) -> ManifestHeader in
                try reader.read(headerOnly: false, set: set, entry: entry)
            }
        }
        // Only the sets `keep` names are held; the others are read (and checked) and dropped.
        var kept: Set<String> = []
        return try Manifest.collect(path: path, context) {
            (set, entry) throws(ManifestReader.Failure) -> ManifestHeader in
            try reader.read(
                headerOnly: false,
                set: { (name) throws(ManifestReader.Failure) in
                    if keep(name) {
                        kept.insert(name)
                        try set(name)
                    }
                },
                entry: { (name, entryName, target) throws(ManifestReader.Failure) in
                    if kept.contains(name) { try entry(name, entryName, target) }
                })
        }
    }

    /// The entries of the directory `fd`, as `directoryEntries`; an error names `path`.
    func entries(_ fd: Int32, at path: @autoclosure () -> String, _ context: String) throws(StoreError)
        -> [DirectoryEntry]
    {
        do {
            return try directoryEntries(fd)
        } catch {
            throw .system("getdents64", error, path: path(), context)
        }
    }

    /// The kind of `entry` below `dirfd`: `d_type` when the listing gave it, else `lstat`; nil if it is gone.
    func kind(of entry: DirectoryEntry, in dirfd: Int32, at path: @autoclosure () -> String, _ context: String)
        throws(StoreError)
        -> FileKind?
    {
        if let kind = entry.kind { return kind }
        return try status(dirfd, entry.name, at: path(), context)?.kind
    }
}

extension SystemCalls {
    /// `mkdir -p path` with mode 0755: every missing component of `path` (absolute, or relative to the working
    /// directory) is created; components that exist are left as they are.
    public func makeDirectories(_ path: String, _ context: String) throws(StoreError) {
        var prefix = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            prefix += "/" + part
            do {
                try mkdirat(AT_FDCWD, prefix, 0o755)
            } catch .fileExists {
                continue
            } catch {
                throw .system("mkdirat", error, path: prefix, context)
            }
        }
    }
}
