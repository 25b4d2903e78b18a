import Foundation
import GenerationStore
import Glibc
import Synchronization
import Testing
import TestSupport

/// Holds `flock(LOCK_EX)` on `<root>/.lock` as another writer would, until `release`.
private final class HeldLock {
    private var fd: Int32

    init(root: String) throws {
        fd = open(root + "/.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw CLIFailure(message: "open \(root)/.lock: errno \(errno)") }
        try LinuxSystemCalls().flock(fd, LOCK_EX)
    }

    func release() {
        if fd >= 0 { close(fd) }
        fd = -1
    }

    deinit { release() }
}

@Suite("Writers take the lock; readers never do")
struct CLILockTests {
    @Test(
        "--no-wait makes a writer exit 75 while another holds the lock, and changes nothing",
        arguments: CLIRunner.allCases)
    func noWaitFailsWhileLocked(_ runner: CLIRunner) throws {
        let fixture = try CLIFixture()
        defer { fixture.remove() }
        try fixture.populate()
        let status = try fixture.statusJSON()
        let tree = fixture.snapshot()
        let lock = try HeldLock(root: fixture.root)
        for arguments in [
            ["publish", "demo", "g9", "--entry", "tools/a=/x"], ["switch", "demo", "g1"], ["rollback", "demo"],
            ["repair"], ["verify"],
        ] {
            let result = try fixture.run(["--no-wait"] + arguments, runner)
            #expect(result.status == 75, "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains(fixture.root + "/.lock"), "\(arguments): \(result.stderr)")
        }
        // Readers never lock (verify, above, holds it shared: issue 9, item 8).
        #expect(try fixture.run(["status", "--json"], runner).stdout == status)
        #expect(fixture.snapshot() == tree)
        lock.release()
        // Waits rather than --no-wait: a child that another test thread is spawning at this moment holds a copy of
        // the released descriptor (and so the flock) until it execs and O_CLOEXEC closes it.
        #expect(try fixture.run(["switch", "demo", "g1"], runner).status == 0)
    }

    @Test(
        "without --no-wait a writer waits for the lock, then does its work; so does verify (LOCK_SH)",
        arguments: [["publish", "demo", "g9", "--entry", "tools/a=/x"], ["verify"]])
    func writerWaitsForTheLock(_ command: [String]) throws {
        let fixture = try CLIFixture()
        defer { fixture.remove() }
        try fixture.populate()
        let lock = try HeldLock(root: fixture.root)
        let root = fixture.root
        // The probe sees the holder, not a waiter, before the writer starts.
        #expect(FileLocks.flockWaiters(on: root + "/.lock") == [])
        let pid = Atomic<Int32>(0)
        let result = Mutex<CLIResult?>(nil)
        let writer = JoinableThread {
            let child = try? snapExport(
                ["--root", root] + command,
                started: { pid.store($0, ordering: .releasing) })
            result.withLock { $0 = child.map { CLIResult(status: $0.status, stdout: $0.stdout, stderr: $0.stderr) } }
        }
        defer {
            lock.release()
            writer.join()
        }
        // The kernel's lock table lists the writer as queued for the lock: it is blocked in flock, not on its way.
        let queued = waitUntil(seconds: 30) {
            let child = pid.load(ordering: .acquiring)
            return (child != 0 && FileLocks.flockWaiters(on: root + "/.lock").contains(child))
                || result.withLock { $0 } != nil
        }
        #expect(queued, "the writer never queued for \(root)/.lock")
        #expect(FileLocks.flockWaiters(on: root + "/.lock") == [pid.load(ordering: .acquiring)])
        // Still waiting: nothing published while the lock is held.
        #expect(result.withLock { $0 } == nil, "\(String(describing: result.withLock { $0 }))")
        #expect(!FileManager.default.fileExists(atPath: root + "/demo/g9"))
        lock.release()
        writer.join()
        let child = try #require(result.withLock { $0 })
        #expect(child.status == 0, "\(child.stderr)")
        #expect(FileManager.default.fileExists(atPath: root + "/demo/g9") == (command[0] == "publish"))
    }
}
