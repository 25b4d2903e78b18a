import GenerationStore

/// The real system calls without `fsync`, for building item 9's fixtures only (thousands of generations): the
/// fixture is made durable afterwards with one `syncfs` (`Disk.syncFilesystem`), so what the measured commands
/// find on disk is what durable publishes would have left. Never used for anything that is measured.
struct SetupSystemCalls: SystemCalls {
    let real = LinuxSystemCalls()

    func openat(_ dirfd: Int32, _ path: String, _ flags: Int32, _ mode: UInt32) throws(Errno) -> Int32 {
        try real.openat(dirfd, path, flags, mode)
    }
    func close(_ fd: Int32) { real.close(fd) }
    func mkdirat(_ dirfd: Int32, _ path: String, _ mode: UInt32) throws(Errno) { try real.mkdirat(dirfd, path, mode) }
    func symlinkat(_ target: String, _ dirfd: Int32, _ path: String) throws(Errno) {
        try real.symlinkat(target, dirfd, path)
    }
    func linkat(_ olddirfd: Int32, _ old: String, _ newdirfd: Int32, _ new: String, _ flags: Int32) throws(Errno) {
        try real.linkat(olddirfd, old, newdirfd, new, flags)
    }
    func readlinkat(_ dirfd: Int32, _ path: String) throws(Errno) -> String { try real.readlinkat(dirfd, path) }
    func renameat(_ olddirfd: Int32, _ old: String, _ newdirfd: Int32, _ new: String) throws(Errno) {
        try real.renameat(olddirfd, old, newdirfd, new)
    }
    func renameat(_ olddirfd: Int32, bytes old: [UInt8], _ newdirfd: Int32, _ new: String) throws(Errno) {
        try real.renameat(olddirfd, bytes: old, newdirfd, new)
    }
    func renameat2(_ olddirfd: Int32, _ old: String, _ newdirfd: Int32, _ new: String, _ flags: UInt32) throws(Errno)
    {
        try real.renameat2(olddirfd, old, newdirfd, new, flags)
    }
    func unlinkat(_ dirfd: Int32, _ path: String, _ flags: Int32) throws(Errno) { try real.unlinkat(dirfd, path, flags) }
    func fstatat(_ dirfd: Int32, _ path: String, _ flags: Int32) throws(Errno) -> FileStatus {
        try real.fstatat(dirfd, path, flags)
    }
    /// The one difference: nothing.
    func fsync(_ fd: Int32) throws(Errno) {}
    func setModificationTime(_ fd: Int32, nanoseconds: Int64) throws(Errno) {
        try real.setModificationTime(fd, nanoseconds: nanoseconds)
    }
    func flock(_ fd: Int32, _ operation: Int32) throws(Errno) { try real.flock(fd, operation) }
    func write(_ fd: Int32, _ bytes: [UInt8]) throws(Errno) { try real.write(fd, bytes) }
    func read(_ fd: Int32, upTo limit: Int) throws(Errno) -> [UInt8] { try real.read(fd, upTo: limit) }
    func pread(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer, _ offset: Int64) throws(Errno) -> Int {
        try real.pread(fd, buffer, offset)
    }
    func getdents(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> Int {
        try real.getdents(fd, buffer)
    }
    func seek(_ fd: Int32, _ offset: Int64) throws(Errno) { try real.seek(fd, offset) }
    func listDirectory(_ fd: Int32) throws(Errno) -> [String] { try real.listDirectory(fd) }
    func mountID(_ fd: Int32) throws(Errno) -> UInt64 { try real.mountID(fd) }
    func handleMountID(_ fd: Int32) throws(Errno) -> UInt64 { try real.handleMountID(fd) }
    func realpath(_ path: String) throws(Errno) -> String { try real.realpath(path) }
}
