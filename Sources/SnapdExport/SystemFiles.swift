import CExportShims
import GenerationStore
import Glibc

/// Read-only access to the system's files (snap mount dir, host tools, os-release) through `SystemCalls`,
/// so that tests can observe that reading never writes and can make any read fail.
struct SystemFiles: Sendable {
    let system: any SystemCalls

    /// The largest file read (snap.yaml, info, os-release, exports.json are all small): `MetadataCap.systemFile`.
    static let sizeLimit = MetadataCap.systemFile

    /// The whole content of a file (following symlinks, as snapd does), through the one metadata reader: a FIFO
    /// or device is refused without blocking, a file over `sizeLimit` is refused.
    func read(_ path: String) throws(FileReadFailure) -> [UInt8] {
        try system.readMetadata(AT_FDCWD, path, cap: Self.sizeLimit, followSymlink: true)
    }

    /// `lstat`, or nil when nothing is there (also when a parent is not a directory).
    func lstat(_ path: String) throws(Errno) -> FileStatus? {
        do {
            return try system.fstatat(AT_FDCWD, path, CX_AT_SYMLINK_NOFOLLOW)
        } catch .noSuchFileOrDirectory, .notDirectory {
            return nil
        }
    }

    /// `stat` (following symlinks), or nil when nothing is there.
    func stat(_ path: String) throws(Errno) -> FileStatus? {
        do {
            return try system.fstatat(AT_FDCWD, path, 0)
        } catch .noSuchFileOrDirectory, .notDirectory {
            return nil
        }
    }

    /// The target of a symlink, or nil when nothing is there.
    func readlink(_ path: String) throws(Errno) -> String? {
        do {
            return try system.readlinkat(AT_FDCWD, path)
        } catch .noSuchFileOrDirectory, .notDirectory {
            return nil
        }
    }

    /// The names in a directory, or nil when it does not exist.
    func list(_ path: String) throws(Errno) -> [String]? {
        let fd: Int32
        do {
            fd = try system.open(AT_FDCWD, path, .directory)
        } catch .noSuchFileOrDirectory {
            return nil
        }
        defer { system.close(fd) }
        return try system.listDirectory(fd)
    }
}
