import CExportShims
import Glibc

/// The few compound operations every algorithm needs, each relative to a directory descriptor and never
/// following a symlink in the last component. `where` is the absolute path, for error messages only.
extension SystemCalls {
    func openDirectory(
        _ dirfd: Int32, _ name: String, at path: String, _ context: String
    ) throws(StoreError) -> Descriptor {
        do {
            return Descriptor(try openat(dirfd, name, O_RDONLY | CX_O_DIRECTORY | CX_O_NOFOLLOW, 0), self)
        } catch {
            throw .system("open", error, path: path, context)
        }
    }

    /// Opens a directory, or returns nil if it does not exist.
    func openDirectoryIfPresent(
        _ dirfd: Int32, _ name: String, at path: String, _ context: String
    ) throws(StoreError) -> Descriptor? {
        do {
            return Descriptor(try openat(dirfd, name, O_RDONLY | CX_O_DIRECTORY | CX_O_NOFOLLOW, 0), self)
        } catch .noSuchFileOrDirectory {
            return nil
        } catch {
            throw .system("open", error, path: path, context)
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
            throw .system("lstat", error, path: path, context)
        }
    }

    /// `readlink`, or nil if nothing is there.
    func link(_ dirfd: Int32, _ name: String, at path: String, _ context: String) throws(StoreError) -> String? {
        do {
            return try readlinkat(dirfd, name)
        } catch .noSuchFileOrDirectory {
            return nil
        } catch {
            throw .system("readlink", error, path: path, context)
        }
    }

    /// The whole content of a regular file, opened without following a symlink.
    func readFile(_ dirfd: Int32, _ name: String, at path: String, _ context: String) throws(StoreError) -> [UInt8] {
        let file: Descriptor
        do {
            file = Descriptor(try openat(dirfd, name, O_RDONLY | CX_O_NOFOLLOW, 0), self)
        } catch {
            throw .system("open", error, path: path, context)
        }
        do {
            return try read(file.raw)
        } catch {
            throw .system("read", error, path: path, context)
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
}
