import CExportBenchLoops
import CExportShims
import GenerationStore
import Glibc

/// Plain file-system helpers for setting up scratch trees (not the store: the store is what is measured).
enum Disk {
    static func makeDirectory(_ path: String) throws(BenchError) {
        if mkdir(path, 0o755) != 0 && errno != EEXIST { throw failure("mkdir", path) }
    }

    static func makeDirectories(_ path: String) throws(BenchError) {
        do {
            try LinuxSystemCalls().makeDirectories(path, "cannot create the benchmark's tree")
        } catch {
            throw BenchError("\(error)")
        }
    }

    static func symlink(_ target: String, _ path: String) throws(BenchError) {
        if Glibc.symlink(target, path) != 0 { throw failure("symlink", path) }
    }

    /// Creates or truncates `path` with `text`, through the store's one write loop.
    static func write(_ path: String, _ text: String) throws(BenchError) {
        let system = LinuxSystemCalls()
        do {
            let fd = try system.open(AT_FDCWD, path, [.writeOnly, .create, .truncate], mode: 0o644)
            defer { system.close(fd) }
            try system.write(fd, Array(text.utf8))
        } catch {
            throw BenchError("write \(path): \(error)")
        }
    }

    /// The whole file as text (at most 64 MiB), through the store's one metadata reader; nil when it cannot be read.
    static func read(_ path: String) -> String? {
        guard let bytes = try? LinuxSystemCalls().readMetadata(AT_FDCWD, path, cap: 64 << 20, followSymlink: true)
        else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func openDirectory(_ path: String) throws(BenchError) -> Int32 {
        do {
            return try LinuxSystemCalls().open(AT_FDCWD, path, .directory)
        } catch {
            throw BenchError("open \(path): \(error)")
        }
    }

    static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    static func isExecutable(_ path: String) -> Bool { access(path, X_OK) == 0 }

    /// The canonical absolute path.
    static func realPath(_ path: String) throws(BenchError) -> String {
        do {
            return try LinuxSystemCalls().realpath(path)
        } catch {
            throw BenchError("realpath \(path): \(error)")
        }
    }

    /// A fresh directory `<parent>/<prefix>.XXXXXX`.
    static func temporaryDirectory(in parent: String, _ prefix: String) throws(BenchError) -> String {
        var template = Array((parent + "/" + prefix + ".XXXXXX").utf8CString)
        let made = template.withUnsafeMutableBufferPointer { buffer in buffer.baseAddress.flatMap { mkdtemp($0) } }
        guard let made else { throw failure("mkdtemp", parent) }
        return try realPath(String(cString: made))
    }

    /// `rm -rf --one-file-system path`: never crosses into a mount left below it.
    static func removeTree(_ path: String) {
        _ = try? Runner.run("/bin/rm", ["-rf", "--one-file-system", path])
    }

    /// Flushes the filesystem holding `path`, so earlier writes do not leak into the next measurement.
    static func syncFilesystem(_ path: String) {
        let fd = open(path, O_RDONLY | CX_O_CLOEXEC)
        if fd >= 0 {
            _ = cx_syncfs(fd)
            close(fd)
        }
    }

    static func failure(_ call: String, _ path: String) -> BenchError {
        BenchError("\(call) \(path): \(String(cString: strerror(errno)))")
    }
}

/// Whole child processes, through `cx_bench_run` (posix_spawn + wait4).
enum Runner {
    struct Run {
        var wallNanoseconds: UInt64
        var peakRSSKiB: Int
        var status: Int32
    }

    /// Runs `path` with `arguments`; stdout and stderr go to `output` (nil: /dev/null).
    static func run(_ path: String, _ arguments: [String], output: String? = nil) throws(BenchError) -> Run {
        let argv = ([path] + arguments).map { strdup($0) }
        defer { for pointer in argv { free(pointer) } }
        var pointers: [UnsafeMutablePointer<CChar>?] = argv + [nil]
        var wall: UInt64 = 0
        var rss = 0
        var status: Int32 = 0
        let result = pointers.withUnsafeMutableBufferPointer { buffer in
            if let output { return cx_bench_run(path, buffer.baseAddress, output, &wall, &rss, &status) }
            return cx_bench_run(path, buffer.baseAddress, nil, &wall, &rss, &status)
        }
        if result != 0 { throw Disk.failure("spawn", path) }
        return Run(wallNanoseconds: wall, peakRSSKiB: rss, status: status)
    }

    /// Runs a set-up command that must succeed.
    static func require(_ path: String, _ arguments: [String]) throws(BenchError) {
        let run = try run(path, arguments)
        if run.status != 0 { throw BenchError("\(path) \(arguments.joined(separator: " ")) exited \(run.status)") }
    }

    /// The first of `candidates` that is executable.
    static func find(_ candidates: [String]) -> String? { candidates.first(where: Disk.isExecutable) }
}
