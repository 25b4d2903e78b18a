import CExportShims
import Glibc

/// The kind of an inode, as `lstat` reports it.
public enum FileKind: Sendable, Equatable {
    case directory, symlink, regular, other

    /// For messages: "a directory", "a symlink", "a regular file", "a special file".
    public var article: String {
        switch self {
        case .directory: "a directory"
        case .symlink: "a symlink"
        case .regular: "a regular file"
        case .other: "a special file"
        }
    }
}

/// What the store needs from `stat`: kind, device, inode and times.
public struct FileStatus: Sendable, Equatable {
    public var kind: FileKind
    public var device: UInt64
    public var inode: UInt64
    public var mode: UInt32
    public var size: Int64
    /// Last modification, in nanoseconds since the Unix epoch.
    public var modifiedNanoseconds: Int64
    /// Last status change (ctime; `rename` sets it), in nanoseconds since the Unix epoch.
    public var changedNanoseconds: Int64
}

/// The system calls the store makes, one requirement per call, each throwing the `Errno` it failed with.
///
/// `LinuxSystemCalls` is the real implementation; tests wrap it in `RecordingSystemCalls` (target
/// `GenerationStoreTesting`) to observe the order of calls or to inject an errno into any one of them.
/// Every path is relative to a directory descriptor (`*at` calls); calls that can be interrupted are retried on `EINTR` (never `close`).
public protocol SystemCalls: Sendable {
    func openat(_ dirfd: Int32, _ path: String, _ flags: Int32, _ mode: UInt32) throws(Errno) -> Int32
    func close(_ fd: Int32)
    func mkdirat(_ dirfd: Int32, _ path: String, _ mode: UInt32) throws(Errno)
    func symlinkat(_ target: String, _ dirfd: Int32, _ path: String) throws(Errno)
    /// `linkat(2)`: a new name for an existing inode; with `flags` 0 a symlink is linked itself, never followed.
    func linkat(_ olddirfd: Int32, _ old: String, _ newdirfd: Int32, _ new: String, _ flags: Int32) throws(Errno)
    func readlinkat(_ dirfd: Int32, _ path: String) throws(Errno) -> String
    func renameat(_ olddirfd: Int32, _ old: String, _ newdirfd: Int32, _ new: String) throws(Errno)
    /// `renameat(2)` of an entry whose name is not valid UTF-8 (so no `String` can name it) to a `String` name:
    /// the one call that takes a name as bytes; after it, the entry is handled like any other.
    func renameat(_ olddirfd: Int32, bytes old: [UInt8], _ newdirfd: Int32, _ new: String) throws(Errno)
    func renameat2(_ olddirfd: Int32, _ old: String, _ newdirfd: Int32, _ new: String, _ flags: UInt32) throws(Errno)
    func unlinkat(_ dirfd: Int32, _ path: String, _ flags: Int32) throws(Errno)
    func fstatat(_ dirfd: Int32, _ path: String, _ flags: Int32) throws(Errno) -> FileStatus
    func fsync(_ fd: Int32) throws(Errno)
    /// `futimens(2)` of the modification time only.
    func setModificationTime(_ fd: Int32, nanoseconds: Int64) throws(Errno)
    func flock(_ fd: Int32, _ operation: Int32) throws(Errno)
    func write(_ fd: Int32, _ bytes: [UInt8]) throws(Errno)
    /// `read(2)` until end of file or until more than `limit` bytes are read (at most `limit + 1` are returned,
    /// so a caller can tell "exactly at the cap" from "over it").
    func read(_ fd: Int32, upTo limit: Int) throws(Errno) -> [UInt8]
    /// `pread`: up to `buffer.count` bytes at `offset` into `buffer`; the count read, 0 at the end of the file.
    func pread(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer, _ offset: Int64) throws(Errno) -> Int
    /// `getdents64`: directory records (`struct linux_dirent64`) from `fd`'s position into `buffer`; the bytes
    /// filled, 0 at the end. `DirectoryEntries` walks them.
    func getdents(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> Int
    /// `lseek(fd, offset, SEEK_SET)` (a directory's listing starts again at 0).
    func seek(_ fd: Int32, _ offset: Int64) throws(Errno)
    /// Names in a directory, without `.` and `..` (readdir on a duplicate of `fd`).
    func listDirectory(_ fd: Int32) throws(Errno) -> [String]
    /// The id of the mount `fd` lies on (`statx` `STATX_MNT_ID`); `ENOSYS` where the kernel cannot say.
    func mountID(_ fd: Int32) throws(Errno) -> UInt64
    /// The id of the mount `fd` lies on as `name_to_handle_at(fd, "", …, AT_EMPTY_PATH)` reports it (Linux
    /// 2.6.39+; the same id as `statx`'s): `EOPNOTSUPP` on a filesystem without file handles.
    func handleMountID(_ fd: Int32) throws(Errno) -> UInt64
    /// The canonical absolute path of `path` (`realpath(3)`: every symlink and `.`/`..` resolved).
    func realpath(_ path: String) throws(Errno) -> String
}

extension SystemCalls {
    /// Implementations that do not know mount ids say so; callers fall back to comparing devices.
    public func realpath(_ path: String) throws(Errno) -> String {
        guard let resolved = Glibc.realpath(path, nil) else { throw Errno.current }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    public func mountID(_ fd: Int32) throws(Errno) -> UInt64 { throw .notImplemented }

    public func handleMountID(_ fd: Int32) throws(Errno) -> UInt64 { throw .notImplemented }
}

/// Loops a call while it fails with `EINTR`, and turns `-1` into the thread's `Errno`.
@inline(__always)
func valueOrErrno<T: BinaryInteger>(retryOnInterrupt: Bool = true, _ body: () -> T) throws(Errno) -> T {
    while true {
        let result = body()
        if result != -1 { return result }
        let error = Errno.current
        if retryOnInterrupt && error == .interrupted { continue }
        throw error
    }
}

/// The real system calls, straight to the kernel.
public struct LinuxSystemCalls: SystemCalls {
    public init() {}

    public func openat(_ dirfd: Int32, _ path: String, _ flags: Int32, _ mode: UInt32) throws(Errno) -> Int32 {
        try valueOrErrno { cx_openat(dirfd, path, flags | CX_O_CLOEXEC, mode) }
    }

    public func close(_ fd: Int32) {
        _ = Glibc.close(fd)  // never retried: the descriptor is gone even when close reports EINTR
    }

    public func mkdirat(_ dirfd: Int32, _ path: String, _ mode: UInt32) throws(Errno) {
        _ = try valueOrErrno { Glibc.mkdirat(dirfd, path, mode_t(mode)) }
    }

    public func symlinkat(_ target: String, _ dirfd: Int32, _ path: String) throws(Errno) {
        _ = try valueOrErrno { Glibc.symlinkat(target, dirfd, path) }
    }

    public func linkat(_ olddirfd: Int32, _ old: String, _ newdirfd: Int32, _ new: String, _ flags: Int32)
        throws(Errno)
    {
        _ = try valueOrErrno { Glibc.linkat(olddirfd, old, newdirfd, new, flags) }
    }

    public func readlinkat(_ dirfd: Int32, _ path: String) throws(Errno) -> String {
        // On the stack and not zeroed: link reads are what `refresh` does per snap, so no heap buffer per call.
        try withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 4096) { (buffer) throws(Errno) -> String in
            let count = try valueOrErrno { Glibc.readlinkat(dirfd, path, buffer.baseAddress!, 4096) }
            return String(decoding: UnsafeBufferPointer(rebasing: buffer[0..<Int(count)]), as: UTF8.self)
        }
    }

    public func renameat(_ olddirfd: Int32, _ old: String, _ newdirfd: Int32, _ new: String) throws(Errno) {
        _ = try valueOrErrno { Glibc.renameat(olddirfd, old, newdirfd, new) }
    }

    public func renameat(_ olddirfd: Int32, bytes old: [UInt8], _ newdirfd: Int32, _ new: String) throws(Errno) {
        let terminated = old.map { CChar(bitPattern: $0) } + [0]
        _ = try valueOrErrno { Glibc.renameat(olddirfd, terminated, newdirfd, new) }
    }

    public func renameat2(
        _ olddirfd: Int32, _ old: String, _ newdirfd: Int32, _ new: String, _ flags: UInt32
    ) throws(Errno) {
        _ = try valueOrErrno { cx_renameat2(olddirfd, old, newdirfd, new, flags) }
    }

    public func unlinkat(_ dirfd: Int32, _ path: String, _ flags: Int32) throws(Errno) {
        _ = try valueOrErrno { Glibc.unlinkat(dirfd, path, flags) }
    }

    public func fstatat(_ dirfd: Int32, _ path: String, _ flags: Int32) throws(Errno) -> FileStatus {
        var st = stat()
        _ = try valueOrErrno { Glibc.fstatat(dirfd, path, &st, flags) }
        return FileStatus(st)
    }

    public func fsync(_ fd: Int32) throws(Errno) {
        _ = try valueOrErrno { Glibc.fsync(fd) }
    }

    public func setModificationTime(_ fd: Int32, nanoseconds: Int64) throws(Errno) {
        _ = try valueOrErrno {
            cx_set_mtime(fd, nanoseconds / 1_000_000_000, Int(nanoseconds % 1_000_000_000))
        }
    }

    public func flock(_ fd: Int32, _ operation: Int32) throws(Errno) {
        _ = try valueOrErrno { cx_flock(fd, operation) }
    }

    public func write(_ fd: Int32, _ bytes: [UInt8]) throws(Errno) {
        var offset = 0
        while offset < bytes.count {
            let written = try valueOrErrno {
                bytes.withUnsafeBytes { buffer in
                    // Non-empty here (offset < count), so the buffer has a base address.
                    guard let base = buffer.baseAddress else { return 0 }
                    return Glibc.write(fd, base + offset, buffer.count - offset)
                }
            }
            offset += written
        }
    }

    public func read(_ fd: Int32, upTo limit: Int) throws(Errno) -> [UInt8] {
        // An uninitialized chunk: only the pages a read fills are touched (a zeroed 64 KiB chunk cost every
        // small file read a tenth of a millisecond of page faults).
        let chunkSize = min(limit + 1, 65536)
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 1)
        defer { chunk.deallocate() }
        var result: [UInt8] = []
        while result.count <= limit {
            let wanted = min(chunkSize, limit + 1 - result.count)
            let count = try valueOrErrno { Glibc.read(fd, chunk.baseAddress, wanted) }
            if count == 0 { return result }
            result.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[0..<count]))
        }
        return result
    }

    public func pread(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer, _ offset: Int64) throws(Errno) -> Int {
        try valueOrErrno { Glibc.pread(fd, buffer.baseAddress, buffer.count, off_t(offset)) }
    }

    public func getdents(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> Int {
        try valueOrErrno { cx_getdents64(fd, buffer.baseAddress, UInt(buffer.count)) }
    }

    public func seek(_ fd: Int32, _ offset: Int64) throws(Errno) {
        _ = try valueOrErrno { Glibc.lseek(fd, off_t(offset), SEEK_SET) }
    }

    public func realpath(_ path: String) throws(Errno) -> String {
        guard let resolved = Glibc.realpath(path, nil) else { throw Errno.current }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    public func mountID(_ fd: Int32) throws(Errno) -> UInt64 {
        var id: UInt64 = 0
        _ = try valueOrErrno { cx_mount_id(fd, &id) }
        return id
    }

    public func handleMountID(_ fd: Int32) throws(Errno) -> UInt64 {
        var id: Int32 = 0
        _ = try valueOrErrno { cx_handle_mount_id(fd, &id) }
        return UInt64(id)
    }

    public func listDirectory(_ fd: Int32) throws(Errno) -> [String] {
        let copy = try valueOrErrno { Glibc.fcntl(fd, F_DUPFD_CLOEXEC, 0) }
        guard let dir = fdopendir(copy) else {
            let error = Errno.current
            Glibc.close(copy)
            throw error
        }
        defer { closedir(dir) }
        rewinddir(dir)
        var names: [String] = []
        while true {
            errno = 0
            guard let entry = readdir(dir) else {
                if errno != 0 { throw Errno.current }
                return names
            }
            let name = withUnsafePointer(to: entry.pointee.d_name) { pointer in
                pointer.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
    }
}

extension FileStatus {
    init(_ st: stat) {
        let format = st.st_mode & S_IFMT
        let kind: FileKind
        switch format {
        case S_IFDIR: kind = .directory
        case S_IFLNK: kind = .symlink
        case S_IFREG: kind = .regular
        default: kind = .other
        }
        self.init(
            kind: kind, device: UInt64(st.st_dev), inode: UInt64(st.st_ino), mode: UInt32(st.st_mode),
            size: Int64(st.st_size),
            modifiedNanoseconds: Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec),
            changedNanoseconds: Int64(st.st_ctim.tv_sec) * 1_000_000_000 + Int64(st.st_ctim.tv_nsec))
    }
}
