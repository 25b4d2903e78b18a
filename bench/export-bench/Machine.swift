import CExportBenchLoops
import Glibc

/// What the figures were measured on.
struct Machine {
    var cores: Int
    var cpu: String
    var kernel: String
    var memoryMiB: Int
    var root: Bool

    static func current() -> Machine {
        var names = utsname()
        uname(&names)
        let kernel = withUnsafeBytes(of: &names.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let cpu =
            Disk.read("/proc/cpuinfo")?.split(separator: "\n").first { $0.hasPrefix("model name") }
            .flatMap { $0.split(separator: ":", maxSplits: 1).last }
            .map { $0.trimmingPrefix(" ") }.map(String.init) ?? "unknown"
        let memory =
            Disk.read("/proc/meminfo")?.split(separator: "\n").first { $0.hasPrefix("MemTotal:") }
            .flatMap { $0.split(separator: " ").dropFirst().first }.flatMap { Int($0) } ?? 0
        return Machine(
            cores: sysconf(Int32(_SC_NPROCESSORS_ONLN)), cpu: cpu, kernel: kernel, memoryMiB: memory / 1024,
            root: geteuid() == 0)
    }

    /// The filesystem type of `path`, from `statfs`'s magic number.
    static func filesystemType(_ path: String) -> String {
        let magic = cx_bench_filesystem_type(path)
        guard magic >= 0 else { return "unknown" }
        switch UInt64(magic) {
        case 0xEF53: return "ext4"
        case 0x0102_1994: return "tmpfs"
        case 0x5846_5342: return "xfs"
        case 0x9123_683E: return "btrfs"
        case 0x794C_7630: return "overlay"
        case 0x2FC1_2FC1: return "zfs"
        case 0x6969: return "nfs"
        case 0x6573_5546: return "fuse"
        default: return "0x" + String(UInt64(magic), radix: 16)
        }
    }
}

/// A filesystem the benchmark runs items 1 and 4 on, and how to take it down.
final class TestFilesystem {
    /// How the report names it: `tmpfs`, `ext4 (working dir)`, `xfs (loop)`, …
    let label: String
    let type: String
    /// A directory on it that the benchmark owns.
    let path: String
    private var teardown: [() -> Void] = []

    init(label: String, type: String, path: String) {
        self.label = label
        self.type = type
        self.path = path
    }

    func onTeardown(_ action: @escaping () -> Void) { teardown.append(action) }

    func tearDown() {
        for action in teardown.reversed() { action() }
        teardown = []
    }

    /// The working directory's filesystem: a sub-directory of the scratch directory.
    static func working(_ scratch: String) throws(BenchError) -> TestFilesystem {
        let path = scratch + "/work"
        try Disk.makeDirectory(path)
        let type = Machine.filesystemType(path)
        return TestFilesystem(label: type + " (working dir)", type: type, path: path)
    }

    /// A private tmpfs mounted in the scratch directory when root, else a directory in /dev/shm.
    static func tmpfs(_ scratch: String) throws(BenchError) -> TestFilesystem? {
        if geteuid() == 0 {
            let mountPoint = scratch + "/tmpfs"
            try Disk.makeDirectory(mountPoint)
            if mount("export-bench", mountPoint, "tmpfs", 0, "size=4g,mode=0755") == 0 {
                let filesystem = TestFilesystem(label: "tmpfs", type: "tmpfs", path: mountPoint)
                filesystem.onTeardown { _ = umount2(mountPoint, Int32(MNT_DETACH)) }
                return filesystem
            }
        }
        guard Machine.filesystemType("/dev/shm") == "tmpfs" else { return nil }
        let path = try Disk.temporaryDirectory(in: "/dev/shm", "export-bench")
        let filesystem = TestFilesystem(label: "tmpfs (/dev/shm)", type: "tmpfs", path: path)
        filesystem.onTeardown { Disk.removeTree(path) }
        return filesystem
    }

    /// A loop-mounted image of `type` (`xfs`, `btrfs`) made in the scratch directory; nil (with the reason)
    /// when not root or the mkfs tool is missing.
    static func loop(_ type: String, _ scratch: String) -> (TestFilesystem?, String?) {
        guard geteuid() == 0 else { return (nil, "needs root") }
        guard let mkfs = Runner.find(["/usr/sbin/mkfs.\(type)", "/sbin/mkfs.\(type)", "/usr/bin/mkfs.\(type)"]) else {
            return (nil, "mkfs.\(type) not found")
        }
        guard let mountTool = Runner.find(["/usr/bin/mount", "/bin/mount"]),
            let umountTool = Runner.find(["/usr/bin/umount", "/bin/umount"])
        else { return (nil, "mount not found") }
        let image = scratch + "/\(type).img"
        let mountPoint = scratch + "/\(type)"
        do throws(BenchError) {
            let fd = open(image, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
            if fd < 0 { throw Disk.failure("open", image) }
            let size: off_t = 1 << 30
            let truncated = ftruncate(fd, size)
            close(fd)
            if truncated != 0 { throw Disk.failure("ftruncate", image) }
            // -K: no discard of the image (it would punch holes in the working directory's filesystem meanwhile).
            try Runner.require(mkfs, ["-q", "-f", "-K", image])
            try Disk.makeDirectory(mountPoint)
            try Runner.require(mountTool, ["-o", "loop", image, mountPoint])
        } catch {
            unlink(image)
            return (nil, error.message)
        }
        let filesystem = TestFilesystem(label: "\(type) (loop)", type: type, path: mountPoint)
        filesystem.onTeardown {
            _ = try? Runner.run(umountTool, [mountPoint])
            unlink(image)
        }
        return (filesystem, nil)
    }
}
