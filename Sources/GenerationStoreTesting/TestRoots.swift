import GenerationStore
import Glibc

/// Export roots for tests that build a tree by hand.
public enum TestRoots {
    /// Makes `path` an export root as a writer creating one leaves it, before it takes the lock: the directory
    /// (and any missing parent) and the root marker (`Layout.marker` holding `Layout.markerContent`). Fixtures make
    /// their roots through this one helper; a test of an unmarked (format-1) root adds `.lock` and leaves this out.
    public static func make(_ path: String) throws {
        let system = LinuxSystemCalls()
        try system.makeDirectories(path, "cannot make test root")
        let fd = try system.open(
            AT_FDCWD, path + "/" + Layout.marker, [.writeOnly, .create, .truncate, .noFollow], mode: 0o644)
        defer { system.close(fd) }
        try system.write(fd, Array(Layout.markerContent.utf8))
    }
}
