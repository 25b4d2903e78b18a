import GenerationStore
import Synchronization

/// A `SystemCalls` seam that records every call and can make any one fail with a chosen errno.
///
/// It forwards to a real implementation, so the algorithms run on real directories while a test
/// observes their exact order of calls (`log`) or simulates a kernel that refuses a flag
/// (`inject(.invalidArgument, into: "renameat2")`).
public final class RecordingSystemCalls: SystemCalls {
    /// One recorded call: its name and the names (not descriptors) it was given; calls on a descriptor
    /// (`fsync`, `write`) record the name the descriptor was opened with (`openat`'s last argument).
    public struct Call: Sendable, Equatable, CustomStringConvertible {
        public var name: String
        public var arguments: [String]
        public var description: String { "\(name)(\(arguments.joined(separator: ", ")))" }
    }

    struct Injection {
        var call: String
        var errno: Errno
        var remaining: Int
        var matching: (@Sendable (Call) -> Bool)?
    }

    struct State {
        var log: [Call] = []
        var injections: [Injection] = []
        var recording = true
        /// Descriptor → the name it was opened with, so `fsync` and `write` say what they act on.
        var descriptors: [Int32: String] = [:]
    }

    private let base: any SystemCalls
    private let state = Mutex(State())

    /// Wraps `base`, by default the real kernel.
    public init(base: any SystemCalls = LinuxSystemCalls()) { self.base = base }

    /// Every call so far, in order.
    public var log: [Call] { state.withLock { $0.log } }

    /// The names of every call so far, in order.
    public var names: [String] { log.map(\.name) }

    /// Forgets the calls recorded so far.
    public func reset() { state.withLock { $0.log.removeAll() } }

    /// Makes the next `times` calls named `call` (and matching `where`, if given) fail with `errno`,
    /// without reaching the kernel.
    public func inject(
        _ errno: Errno, into call: String, times: Int = .max, where matching: (@Sendable (Call) -> Bool)? = nil
    ) {
        state.withLock {
            $0.injections.append(Injection(call: call, errno: errno, remaining: times, matching: matching))
        }
    }

    private func enter(_ name: String, _ arguments: [String]) throws(Errno) {
        let call = Call(name: name, arguments: arguments)
        let injected: Errno? = state.withLock { state in
            state.log.append(call)
            for index in state.injections.indices {
                let injection = state.injections[index]
                guard injection.call == name, injection.remaining > 0, injection.matching?(call) ?? true else {
                    continue
                }
                state.injections[index].remaining -= 1
                return injection.errno
            }
            return nil
        }
        if let injected { throw injected }
    }

    public func openat(_ dirfd: Int32, _ path: String, _ flags: Int32, _ mode: UInt32) throws(Errno) -> Int32 {
        try enter("openat", [path])
        let fd = try base.openat(dirfd, path, flags, mode)
        state.withLock { $0.descriptors[fd] = path }
        return fd
    }

    public func close(_ fd: Int32) {
        try? enter("close", [opened(fd)])  // "?" for a descriptor this seam did not open, or closed already
        state.withLock { _ = $0.descriptors.removeValue(forKey: fd) }
        base.close(fd)
    }

    /// The name `fd` was opened with, or `?` for a descriptor this seam did not open.
    private func opened(_ fd: Int32) -> String { state.withLock { $0.descriptors[fd] ?? "?" } }

    public func mkdirat(_ dirfd: Int32, _ path: String, _ mode: UInt32) throws(Errno) {
        try enter("mkdirat", [path])
        try base.mkdirat(dirfd, path, mode)
    }

    public func symlinkat(_ target: String, _ dirfd: Int32, _ path: String) throws(Errno) {
        try enter("symlinkat", [target, path])
        try base.symlinkat(target, dirfd, path)
    }

    public func setModificationTime(_ fd: Int32, nanoseconds: Int64) throws(Errno) {
        try enter("futimens", [opened(fd)])
        try base.setModificationTime(fd, nanoseconds: nanoseconds)
    }

    public func linkat(_ olddirfd: Int32, _ old: String, _ newdirfd: Int32, _ new: String, _ flags: Int32)
        throws(Errno)
    {
        try enter("linkat", [old, new])
        try base.linkat(olddirfd, old, newdirfd, new, flags)
    }

    public func readlinkat(_ dirfd: Int32, _ path: String) throws(Errno) -> String {
        try enter("readlinkat", [path])
        return try base.readlinkat(dirfd, path)
    }

    public func renameat(_ olddirfd: Int32, _ old: String, _ newdirfd: Int32, _ new: String) throws(Errno) {
        try enter("renameat", [old, new])
        try base.renameat(olddirfd, old, newdirfd, new)
    }

    public func renameat(_ olddirfd: Int32, bytes old: [UInt8], _ newdirfd: Int32, _ new: String) throws(Errno) {
        try enter("renameat", [NameRules.printable(bytes: old), new])
        try base.renameat(olddirfd, bytes: old, newdirfd, new)
    }

    public func renameat2(
        _ olddirfd: Int32, _ old: String, _ newdirfd: Int32, _ new: String, _ flags: UInt32
    ) throws(Errno) {
        try enter("renameat2", [old, new, RenameFlags.describe(flags)])
        try base.renameat2(olddirfd, old, newdirfd, new, flags)
    }

    public func unlinkat(_ dirfd: Int32, _ path: String, _ flags: Int32) throws(Errno) {
        try enter("unlinkat", [path])
        try base.unlinkat(dirfd, path, flags)
    }

    public func fstatat(_ dirfd: Int32, _ path: String, _ flags: Int32) throws(Errno) -> FileStatus {
        try enter("fstatat", [path])
        return try base.fstatat(dirfd, path, flags)
    }

    public func fsync(_ fd: Int32) throws(Errno) {
        try enter("fsync", [opened(fd)])
        try base.fsync(fd)
    }

    public func flock(_ fd: Int32, _ operation: Int32) throws(Errno) {
        try enter("flock", [])
        try base.flock(fd, operation)
    }

    public func write(_ fd: Int32, _ bytes: [UInt8]) throws(Errno) {
        try enter("write", [opened(fd)])
        try base.write(fd, bytes)
    }

    public func read(_ fd: Int32, upTo limit: Int) throws(Errno) -> [UInt8] {
        try enter("read", [opened(fd)])
        return try base.read(fd, upTo: limit)
    }

    public func pread(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer, _ offset: Int64) throws(Errno) -> Int {
        try enter("pread", [opened(fd), "\(buffer.count) bytes"])
        return try base.pread(fd, buffer, offset)
    }

    public func getdents(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> Int {
        try enter("getdents", [opened(fd)])
        return try base.getdents(fd, buffer)
    }

    public func seek(_ fd: Int32, _ offset: Int64) throws(Errno) {
        try enter("lseek", [opened(fd)])
        try base.seek(fd, offset)
    }

    public func listDirectory(_ fd: Int32) throws(Errno) -> [String] {
        try enter("listDirectory", [])
        return try base.listDirectory(fd)
    }

    public func realpath(_ path: String) throws(Errno) -> String {
        try enter("realpath", [path])
        return try base.realpath(path)
    }

    public func mountID(_ fd: Int32) throws(Errno) -> UInt64 {
        try enter("mountID", [])
        return try base.mountID(fd)
    }

    public func handleMountID(_ fd: Int32) throws(Errno) -> UInt64 {
        try enter("name_to_handle_at", [opened(fd)])
        return try base.handleMountID(fd)
    }
}
