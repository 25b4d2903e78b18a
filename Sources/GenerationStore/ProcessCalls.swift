import CExportShims
import Glibc

/// Running another program, for the consumers' cache refreshes after a union switch (`fc-cache`, `mandb`): the
/// three calls, wrapped once. Requirements of `SystemCalls` with these real implementations, so a test seam can
/// replace them.
extension SystemCalls {
    /// `posix_spawn(2)` of `path` with `arguments` (argv[0] first) and `environment` (`KEY=VALUE`); standard input,
    /// output and error are `/dev/null`. Returns the child's process id.
    public func spawnProcess(_ path: String, _ arguments: [String], _ environment: [String]) throws(Errno) -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for fd in [Int32(0), 1, 2] {
            posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0)
        }
        func cStrings(_ strings: [String]) -> [UnsafeMutablePointer<CChar>?] { strings.map { strdup($0) } + [nil] }
        let argv = cStrings(arguments)
        let envp = cStrings(environment)
        defer { for pointer in argv + envp { free(pointer) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, path, &actions, nil, argv, envp)
        if result != 0 { throw Errno(rawValue: result) }
        return pid
    }

    /// Waits for `pid` to exit for at most `timeoutMilliseconds` (`pidfd_open` + `poll`, or `waitpid(WNOHANG)`
    /// rounds on kernels before 5.3); returns its wait status, or nil when it still runs.
    public func waitProcess(_ pid: Int32, timeoutMilliseconds: Int32) throws(Errno) -> Int32? {
        var status: Int32 = 0
        let pidfd = cx_pidfd_open(pid)
        if pidfd >= 0 {
            defer { Glibc.close(pidfd) }
            var poller = pollfd(fd: pidfd, events: Int16(POLLIN), revents: 0)
            let ready = try valueOrErrno { poll(&poller, 1, timeoutMilliseconds) }
            if ready == 0 { return nil }
            _ = try valueOrErrno { waitpid(pid, &status, 0) }
            return status
        }
        var waited: Int32 = 0
        while true {
            let done = try valueOrErrno { waitpid(pid, &status, WNOHANG) }
            if done == pid { return status }
            if waited >= timeoutMilliseconds { return nil }
            var pause = timespec(tv_sec: 0, tv_nsec: 5_000_000)
            nanosleep(&pause, nil)
            waited += 5
        }
    }

    /// `kill(2)`, then reaps the child.
    public func killProcess(_ pid: Int32, _ signal: Int32) {
        _ = Glibc.kill(pid, signal)
        var status: Int32 = 0
        _ = waitpid(pid, &status, 0)
    }
}
