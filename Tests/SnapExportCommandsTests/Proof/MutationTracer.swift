import Foundation
import GenerationStore
import Glibc
import Synchronization

/// One change a command made to the file system, as the crash-state model sees it (docs/crash-model.md).
///
/// Paths are relative to the export root (`""` is the root itself). Directories are also named by their inode,
/// because `fsync` acts on an inode, whatever name it has by then.
struct Mutation: Sendable, Equatable, CustomStringConvertible {
    enum Kind: Sendable, Equatable {
        case mkdir(String)
        /// `openat(O_CREAT)` that made a new, empty regular file.
        case create(String)
        /// Bytes appended to a regular file opened for writing.
        case write(String, [UInt8])
        case symlink(target: String, String)
        /// `linkat`: a second name for the inode at the first path (the store links symlinks, never follows them).
        case link(String, String)
        /// `futimens` of the modification time: times are not modelled, so no change to replay.
        case touch(String)
        /// `renameat`, or `renameat2` with `RENAME_NOREPLACE` (`exchange` false) or `RENAME_EXCHANGE`.
        case rename(String, String, exchange: Bool)
        case unlink(String)
        case rmdir(String)
        /// `fsync` of a file or directory: a barrier, no change of its own.
        case fsync(String)
    }

    /// An inode: device and number.
    struct Inode: Sendable, Hashable {
        var device: UInt64
        var number: UInt64
    }

    var kind: Kind
    /// The directory whose entry this changes; for a rename, the directory of the new name. nil for `fsync`.
    var home: Inode?
    /// The file a `write` or `fsync` acts on.
    var target: Inode?
    /// The system call, for reports.
    var call: String

    /// The paths this mutation names.
    var paths: [String] {
        switch kind {
        case .mkdir(let p), .create(let p), .write(let p, _), .unlink(let p), .rmdir(let p), .fsync(let p): return [p]
        case .symlink(_, let p): return [p]
        case .rename(let a, let b, _), .link(let a, let b): return [a, b]
        case .touch: return []
        }
    }

    var isBarrier: Bool {
        if case .fsync = kind { return true }
        return false
    }

    var description: String {
        switch kind {
        case .mkdir(let p): return "mkdirat(\(p))"
        case .create(let p): return "openat(\(p), O_CREAT)"
        case .write(let p, let bytes): return "write(\(p), \(bytes.count) bytes)"
        case .symlink(let t, let p): return "symlinkat(\(t), \(p))"
        case .link(let a, let b): return "linkat(\(a), \(b))"
        case .touch(let p): return "futimens(\(p))"
        case .rename(let a, let b, let exchange): return "\(call)(\(a), \(b)\(exchange ? ", RENAME_EXCHANGE" : ""))"
        case .unlink(let p): return "unlinkat(\(p))"
        case .rmdir(let p): return "unlinkat(\(p), AT_REMOVEDIR)"
        case .fsync(let p): return "fsync(\(p))"
        }
    }
}

/// A `SystemCalls` seam that records every mutation a command makes below an export root, in order, as
/// `Mutation`s the crash-state model can replay, and that can fail or skip any one of them.
///
/// It forwards to `base` (by default the real kernel). Each directory descriptor is resolved to its path through
/// `/proc/self/fd` before the call, so the record names root-relative paths, not descriptors. A mutation outside
/// the root is recorded in `outside` (the tool must never make one).
final class MutationTracer: SystemCalls {
    struct State {
        var mutations: [Mutation] = []
        var outside: [String] = []
        /// Descriptors opened for writing: the root-relative path of the file.
        var files: [Int32: String] = [:]
        /// Mutating calls seen so far (whether they succeeded or not), for `failing`.
        var mutatingCalls = 0
        /// Each mutating call as it was attempted, for naming injections.
        var attempts: [Mutation.Kind] = []
    }

    /// What to do with mutating call number `index` (0-based, in the order they are attempted): fail it with an
    /// errno without reaching the kernel, or skip it (pretend it succeeded, for deliberately broken variants).
    enum Sabotage: Sendable {
        case fail(Int, Errno)
        case skip(@Sendable (Mutation.Kind) -> Bool)
    }

    let root: String
    private let base: any SystemCalls
    private let sabotage: Sabotage?
    /// Refuses every `renameat2` with `EINVAL`, as a filesystem without its flags does (the fallback path).
    private let refusesRenameFlags: Bool
    private let state = Mutex(State())

    /// Traces mutations below `root` (an existing directory), forwarding to `base`.
    init(
        root: String, base: any SystemCalls = LinuxSystemCalls(), sabotage: Sabotage? = nil,
        refusesRenameFlags: Bool = false
    ) {
        self.refusesRenameFlags = refusesRenameFlags
        let resolved = Glibc.realpath(root, nil)
        self.root = resolved.map { String(cString: $0) } ?? root
        free(resolved)
        self.base = base
        self.sabotage = sabotage
    }

    var mutations: [Mutation] { state.withLock { $0.mutations } }
    var outside: [String] { state.withLock { $0.outside } }
    /// Every mutating call attempted, in order (the indices `Sabotage.fail` counts).
    var attemptKinds: [Mutation.Kind] { state.withLock { $0.attempts } }

    // MARK: resolving descriptors

    private func directoryPath(_ fd: Int32) -> String {
        if fd == AT_FDCWD { return FileManager.default.currentDirectoryPath }
        var buffer = [CChar](repeating: 0, count: 4097)
        let count = Glibc.readlink("/proc/self/fd/\(fd)", &buffer, 4096)
        guard count >= 0 else { return "?fd\(fd)" }
        return String(cString: Array(buffer[0..<count]) + [0])
    }

    private func inode(_ fd: Int32) -> Mutation.Inode? {
        var st = stat()
        guard fstat(fd, &st) == 0 else { return nil }
        return Mutation.Inode(device: UInt64(st.st_dev), number: UInt64(st.st_ino))
    }

    /// The root-relative path of `path` in `dirfd`, or nil (and recorded in `outside`) when it lies outside.
    private func relative(_ dirfd: Int32, _ path: String) -> String? {
        let absolute = path.hasPrefix("/") ? path : directoryPath(dirfd) + (path.isEmpty ? "" : "/" + path)
        if absolute == root { return "" }
        if absolute.hasPrefix(root + "/") { return String(absolute.dropFirst(root.count + 1)) }
        state.withLock { $0.outside.append(absolute) }
        return nil
    }

    private func relativeOfDescriptor(_ fd: Int32) -> String? { relative(fd, "") }

    /// Counts a mutating call and applies the sabotage: throws, returns true to skip it, or false to perform it.
    private func attempt(_ kind: Mutation.Kind) throws(Errno) -> Bool {
        let index: Int = state.withLock {
            $0.attempts.append(kind)
            $0.mutatingCalls += 1
            return $0.mutatingCalls - 1
        }
        switch sabotage {
        case .fail(let target, let errno) where target == index: throw errno
        case .skip(let predicate) where predicate(kind): return true
        default: return false
        }
    }

    private func record(_ mutation: Mutation) { state.withLock { $0.mutations.append(mutation) } }

    // MARK: the seam

    func openat(_ dirfd: Int32, _ path: String, _ flags: Int32, _ mode: UInt32) throws(Errno) -> Int32 {
        let writes = flags & O_ACCMODE != O_RDONLY
        let creates = flags & O_CREAT != 0
        guard writes || creates else { return try base.openat(dirfd, path, flags, mode) }
        let place = relative(dirfd, path)
        var existed = true
        if creates {
            existed = (try? base.fstatat(dirfd, path, AT_SYMLINK_NOFOLLOW)) != nil
            if !existed, let place { _ = try attempt(.create(place)) }
        }
        let home = inode(dirfd)
        let fd = try base.openat(dirfd, path, flags, mode)
        if let place {
            if !existed { record(Mutation(kind: .create(place), home: home, call: "openat")) }
            state.withLock { $0.files[fd] = place }
        }
        return fd
    }

    func close(_ fd: Int32) {
        state.withLock { _ = $0.files.removeValue(forKey: fd) }
        base.close(fd)
    }

    func mkdirat(_ dirfd: Int32, _ path: String, _ mode: UInt32) throws(Errno) {
        guard let place = relative(dirfd, path) else { return try base.mkdirat(dirfd, path, mode) }
        if try attempt(.mkdir(place)) { return }
        try base.mkdirat(dirfd, path, mode)
        record(Mutation(kind: .mkdir(place), home: inode(dirfd), call: "mkdirat"))
    }

    func symlinkat(_ target: String, _ dirfd: Int32, _ path: String) throws(Errno) {
        guard let place = relative(dirfd, path) else { return try base.symlinkat(target, dirfd, path) }
        if try attempt(.symlink(target: target, place)) { return }
        try base.symlinkat(target, dirfd, path)
        record(Mutation(kind: .symlink(target: target, place), home: inode(dirfd), call: "symlinkat"))
    }

    func linkat(_ olddirfd: Int32, _ old: String, _ newdirfd: Int32, _ new: String, _ flags: Int32) throws(Errno) {
        guard let from = relative(olddirfd, old), let to = relative(newdirfd, new) else {
            return try base.linkat(olddirfd, old, newdirfd, new, flags)
        }
        if try attempt(.link(from, to)) { return }
        try base.linkat(olddirfd, old, newdirfd, new, flags)
        record(Mutation(kind: .link(from, to), home: inode(newdirfd), call: "linkat"))
    }

    func setModificationTime(_ fd: Int32, nanoseconds: Int64) throws(Errno) {
        guard let place = relativeOfDescriptor(fd) else { return try base.setModificationTime(fd, nanoseconds: nanoseconds) }
        if try attempt(.touch(place)) { return }
        try base.setModificationTime(fd, nanoseconds: nanoseconds)
    }

    func readlinkat(_ dirfd: Int32, _ path: String) throws(Errno) -> String { try base.readlinkat(dirfd, path) }

    func renameat(_ olddirfd: Int32, bytes old: [UInt8], _ newdirfd: Int32, _ new: String) throws(Errno) {
        // Names that are not UTF-8 are outside the file model: forwarded, not traced (no proof case makes one).
        try base.renameat(olddirfd, bytes: old, newdirfd, new)
    }

    func renameat(_ olddirfd: Int32, _ old: String, _ newdirfd: Int32, _ new: String) throws(Errno) {
        guard let from = relative(olddirfd, old), let to = relative(newdirfd, new) else {
            return try base.renameat(olddirfd, old, newdirfd, new)
        }
        if try attempt(.rename(from, to, exchange: false)) { return }
        try base.renameat(olddirfd, old, newdirfd, new)
        record(Mutation(kind: .rename(from, to, exchange: false), home: inode(newdirfd), call: "renameat"))
    }

    func renameat2(_ olddirfd: Int32, _ old: String, _ newdirfd: Int32, _ new: String, _ flags: UInt32) throws(Errno)
    {
        if refusesRenameFlags { throw .invalidArgument }
        guard let from = relative(olddirfd, old), let to = relative(newdirfd, new) else {
            return try base.renameat2(olddirfd, old, newdirfd, new, flags)
        }
        let exchange = flags & RenameFlags.exchange != 0
        if try attempt(.rename(from, to, exchange: exchange)) { return }
        try base.renameat2(olddirfd, old, newdirfd, new, flags)
        record(Mutation(kind: .rename(from, to, exchange: exchange), home: inode(newdirfd), call: "renameat2"))
    }

    func unlinkat(_ dirfd: Int32, _ path: String, _ flags: Int32) throws(Errno) {
        guard let place = relative(dirfd, path) else { return try base.unlinkat(dirfd, path, flags) }
        let kind: Mutation.Kind = flags & AT_REMOVEDIR != 0 ? .rmdir(place) : .unlink(place)
        if try attempt(kind) { return }
        try base.unlinkat(dirfd, path, flags)
        record(Mutation(kind: kind, home: inode(dirfd), call: "unlinkat"))
    }

    func fstatat(_ dirfd: Int32, _ path: String, _ flags: Int32) throws(Errno) -> FileStatus {
        try base.fstatat(dirfd, path, flags)
    }

    func fsync(_ fd: Int32) throws(Errno) {
        guard let place = relativeOfDescriptor(fd) else { return try base.fsync(fd) }
        if try attempt(.fsync(place)) { return }
        try base.fsync(fd)
        record(Mutation(kind: .fsync(place), target: inode(fd), call: "fsync"))
    }

    func flock(_ fd: Int32, _ operation: Int32) throws(Errno) { try base.flock(fd, operation) }

    func write(_ fd: Int32, _ bytes: [UInt8]) throws(Errno) {
        guard let place = state.withLock({ $0.files[fd] }) else { return try base.write(fd, bytes) }
        if try attempt(.write(place, bytes)) { return }
        try base.write(fd, bytes)
        record(Mutation(kind: .write(place, bytes), target: inode(fd), call: "write"))
    }

    func read(_ fd: Int32, upTo limit: Int) throws(Errno) -> [UInt8] { try base.read(fd, upTo: limit) }
    func pread(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer, _ offset: Int64) throws(Errno) -> Int {
        try base.pread(fd, buffer, offset)
    }
    func getdents(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> Int {
        try base.getdents(fd, buffer)
    }
    func seek(_ fd: Int32, _ offset: Int64) throws(Errno) { try base.seek(fd, offset) }
    func listDirectory(_ fd: Int32) throws(Errno) -> [String] { try base.listDirectory(fd) }
    func mountID(_ fd: Int32) throws(Errno) -> UInt64 { try base.mountID(fd) }
    func handleMountID(_ fd: Int32) throws(Errno) -> UInt64 { try base.handleMountID(fd) }
    func realpath(_ path: String) throws(Errno) -> String { try base.realpath(path) }
}
