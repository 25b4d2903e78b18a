import CExportShims
import Glibc

/// The few compound operations every algorithm needs, each relative to a directory descriptor and never
/// following a symlink in the last component. `where` is the absolute path, for error messages only.
extension SystemCalls {
    /// Runs `body`, one system call named `name`; its failure becomes the store's error naming that call,
    /// `path` and `context`. Each call of a sequence gets its own, so an error never blames the wrong one.
    func call<T: ~Copyable>(_ name: String, at path: String, _ context: String, _ body: () throws(Errno) -> T)
        throws(StoreError) -> T
    {
        do {
            return try body()
        } catch {
            throw .system(name, error, path: path, context)
        }
    }

    func openDirectory(
        _ dirfd: Int32, _ name: String, at path: String, _ context: String
    ) throws(StoreError) -> Descriptor {
        do {
            return try openDescriptor(dirfd, name, [.directory, .noFollow])
        } catch {
            throw .system("openat", error, path: path, context)
        }
    }

    /// Opens a directory, or returns nil if it does not exist.
    func openDirectoryIfPresent(
        _ dirfd: Int32, _ name: String, at path: String, _ context: String
    ) throws(StoreError) -> Descriptor? {
        do {
            return try openDescriptor(dirfd, name, [.directory, .noFollow])
        } catch .noSuchFileOrDirectory {
            return nil
        } catch {
            throw .system("openat", error, path: path, context)
        }
    }

    /// Creates a directory (mode 0755) unless it exists; returns true when it made it.
    @discardableResult
    func makeDirectory(_ dirfd: Int32, _ name: String, at path: String, _ context: String) throws(StoreError) -> Bool {
        do {
            try mkdirat(dirfd, name, 0o755)
            return true
        } catch .fileExists {
            return false
        } catch {
            throw .system("mkdirat", error, path: path, context)
        }
    }

    /// `lstat`, or nil if nothing is there.
    func status(_ dirfd: Int32, _ name: String, at path: String, _ context: String) throws(StoreError) -> FileStatus? {
        do {
            return try fstatat(dirfd, name, CX_AT_SYMLINK_NOFOLLOW)
        } catch .noSuchFileOrDirectory {
            return nil
        } catch {
            throw .system("fstatat", error, path: path, context)
        }
    }

    /// `readlink`, or nil if nothing is there.
    func link(_ dirfd: Int32, _ name: String, at path: String, _ context: String) throws(StoreError) -> String? {
        do {
            return try readlinkat(dirfd, name)
        } catch .noSuchFileOrDirectory {
            return nil
        } catch {
            throw .system("readlinkat", error, path: path, context)
        }
    }

    /// The whole content of a file, opened without following a symlink unless `options` say otherwise; an
    /// error names the call that failed and `path`.
    public func readFile(
        _ dirfd: Int32, _ name: String, at path: String, _ context: String, options: OpenOptions = .noFollow
    ) throws(StoreError) -> [UInt8] {
        do {
            return try readWholeFile(dirfd, name, options)
        } catch {
            throw .system(error.call, error.errno, path: path, context)
        }
    }

    func names(_ dirfd: Int32, at path: String, _ context: String) throws(StoreError) -> [String] {
        do {
            return try listDirectory(dirfd)
        } catch {
            throw .system("readdir", error, path: path, context)
        }
    }

    func sync(_ fd: Int32, at path: String, _ context: String) throws(StoreError) {
        do {
            try fsync(fd)
        } catch {
            throw .system("fsync", error, path: path, context)
        }
    }

    /// The manifest of the generation directory `directory` below `dirfd` (or of `dirfd` itself when
    /// `directory` is empty); `directoryPath` is that generation's absolute path, for messages.
    func readManifest(
        _ dirfd: Int32, below directory: String = "", at directoryPath: String, _ context: String
    ) throws(StoreError) -> Manifest {
        let relative = directory.isEmpty ? Manifest.fileName : directory + "/" + Manifest.fileName
        let file = directoryPath + "/" + Manifest.fileName
        return try Manifest.decode(try readFile(dirfd, relative, at: file, context), path: file, context: context)
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
