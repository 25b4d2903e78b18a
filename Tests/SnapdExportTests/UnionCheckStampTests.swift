import Foundation
import GenerationStore
import GenerationStoreTesting
import Glibc
import SnapdExport
import Testing
import TestSupport

/// A union world whose snapd has a state file and whose boot id is a file of the test's.
private struct StampedWorld {
    let unions: UnionWorld
    var base: String { unions.world.base }
    var stateFile: String { base + "/var/lib/snapd/state.json" }
    var bootIDFile: String { base + "/boot_id" }

    init() throws {
        unions = try UnionWorld()
        try unions.toolAndStay()
        try rewriteState("{}")
        try unions.world.write(bootIDFile, "0c1e2d3f-0000-4000-8000-000000000001\n")
    }

    func remove() { unions.remove() }

    /// snapd's way: a new file renamed over the old one; `settled`: its mtime and the snap mount dir's a minute
    /// ago, so that a refresh may stamp them (`UnionCheckStamp.settleNanoseconds`).
    func rewriteState(_ text: String, settled: Bool = true) throws {
        try unions.world.write(stateFile + ".new", text)
        #expect(rename(stateFile + ".new", stateFile) == 0)
        if settled { settle() }
    }

    /// The state file's and the snap mount dir's mtimes a minute ago (their ctimes stay: nothing sets those back).
    func settle() {
        let past = timespec(tv_sec: time(nil) - 60, tv_nsec: 0)
        for path in [stateFile, unions.world.snapMountDir] {
            var times = [past, past]
            #expect(utimensat(AT_FDCWD, path, &times, 0) == 0, "\(path)")
        }
    }

    func settings(_ system: any SystemCalls) -> SnapdSettings {
        var settings = unions.world.settings(system: system)
        settings.stateFile = stateFile
        settings.bootIDFile = bootIDFile
        return settings
    }

    func exporter(_ system: any SystemCalls = LinuxSystemCalls()) -> UnionExporter {
        UnionExporter(store: unions.world.store(system), settings: settings(system))
    }

    var stamp: String? { unions.world.store().stamp().map { String(decoding: $0, as: UTF8.self) } }

    /// `snap-export` with this world's snapd state file.
    func cli(_ arguments: [String], fault: FaultPoint? = nil) throws -> ProcessResult {
        try unions.cli(["--snapd-state", stateFile] + arguments, fault: fault)
    }
}

@Suite("refresh's stamp: nothing read while snapd's state, the boot and the store are as they were")
struct UnionCheckStampTests {
    @Test func aRefreshWithNothingChangedSinceItsStampReadsNoLinkAndTakesNoLock() throws {
        let world = try StampedWorld()
        defer { world.remove() }
        #expect(world.stamp == nil, "every writer removes it, and only a refresh with nothing to do writes one")
        #expect(try world.exporter().refresh() == UnionExporter.Report())
        let stamp = try #require(world.stamp)
        #expect(stamp.hasPrefix("snap-export union check 2\nboot 0c1e2d3f-0000-4000-8000-000000000001\nroot "))
        #expect(stamp.contains(world.stateFile) && stamp.contains(world.unions.world.snapMountDir))
        #expect(stamp.contains(" " + world.unions.root + "\n"))

        let recording = RecordingSystemCalls()
        let stamped = try world.exporter(recording).refresh()
        #expect(stamped == UnionExporter.Report() && stamped.check == .stamp)
        let calls = Set(recording.log.map(\.name))
        #expect(
            !calls.contains("readlinkat") && !calls.contains("flock") && !calls.contains("getdents"), "\(recording.log)"
        )
        #expect(world.stamp == stamp)
    }

    @Test func snapdRewritingItsStateMakesTheNextRefreshFollowASnapSwitchedOutsideTheHooks() throws {
        let world = try StampedWorld()
        defer { world.remove() }
        _ = try world.exporter().refresh()
        #expect(world.stamp != nil)
        // snapd flips `current`, then records the change in its state file: the stamp no longer stands.
        try world.unions.world.setCurrent("tool", "2")
        try world.rewriteState("{\"changes\":1}")
        let report = try world.exporter().refresh()
        #expect(report.converged == ["tool"] && report.check == .links, "\(report)")
        #expect(world.unions.current("tool") == "2")
        #expect(world.unions.entries("@man").keys.contains("man1/tool-new.1"))
        #expect(try world.exporter().check() == nil)
    }

    @Test func aStampOfAnotherBootOrAnotherSnapMountDirIsNotTrusted() throws {
        let world = try StampedWorld()
        defer { world.remove() }
        _ = try world.exporter().refresh()
        try world.unions.world.setCurrent("tool", "2")
        // A reboot: the state file may be the one of before (snapd had not written it when the power went).
        try world.unions.world.write(world.bootIDFile, "0c1e2d3f-0000-4000-8000-000000000002\n")
        #expect(try world.exporter().refresh().converged == ["tool"])
        #expect(try world.exporter().refresh() == UnionExporter.Report())
        let stamp = try #require(world.stamp)
        #expect(stamp.contains("boot 0c1e2d3f-0000-4000-8000-000000000002\n"))
        // A snap's directory removed (snapd records that too; by hand, the mount dir's ctime says it).
        try world.unions.world.removeSnap("stay")
        #expect(try world.exporter().refresh().retired == ["stay"])
        // The same root checked against another snap mount dir.
        var other = world.settings(LinuxSystemCalls())
        other.snapMountDir = world.base + "/elsewhere"
        let words = UnionCheckStamp.words(other, root: world.unions.root, LinuxSystemCalls())
        #expect(words.map { String(decoding: $0.bytes, as: UTF8.self) } != stamp)
    }

    /// A state file or snap mount dir modified within `settleNanoseconds` may be modified again with the same
    /// mtime (and inode number) on a filesystem of coarse timestamps: no stamp names it, and no lock is taken for one.
    @Test func aStateFileJustWrittenIsCheckedWithoutTheLockAndNotStamped() throws {
        let world = try StampedWorld()
        defer { world.remove() }
        try world.rewriteState("{\"changes\":1}", settled: false)
        let recording = RecordingSystemCalls()
        #expect(try world.exporter(recording).refresh() == UnionExporter.Report())
        #expect(!recording.log.contains { $0.name == "flock" }, "\(recording.log)")
        #expect(world.stamp == nil)
        world.settle()
        _ = try world.exporter().refresh()
        #expect(world.stamp != nil)
        let now = SystemClock.wallNanoseconds()
        let words = try #require(
            UnionCheckStamp.words(
                world.settings(LinuxSystemCalls()), root: world.unions.root, LinuxSystemCalls(), now: now))
        #expect(words.settled)
        #expect(
            UnionCheckStamp.words(
                world.settings(LinuxSystemCalls()), root: world.unions.root, LinuxSystemCalls(),
                now: now - 59_000_000_000)?.settled == false)
    }

    /// A root moved elsewhere keeps its stamp, but not its words: the check runs, and the man link follows the root.
    @Test func aMovedRootIsCheckedAgain() throws {
        let world = try StampedWorld()
        defer { world.remove() }
        _ = try world.exporter().refresh()
        #expect(world.stamp != nil)
        let moved = world.base + "/moved"
        #expect(rename(world.unions.root, moved) == 0)
        world.settle()
        let exporter = UnionExporter(
            store: ExportStore(root: moved, faults: FaultPoints.none), settings: world.settings(LinuxSystemCalls()))
        _ = try exporter.refresh()
        let man = world.unions.world.snapMountDir + "/man"
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: man)) == moved + "/@man/current")
        #expect(try exporter.check() == nil)
    }

    @Test func withoutAStateFileEveryRefreshChecksAndLeavesNoStamp() throws {
        let world = try StampedWorld()
        defer { world.remove() }
        #expect(unlink(world.stateFile) == 0)
        _ = try world.exporter().refresh()
        #expect(world.stamp == nil)
        try world.unions.world.setCurrent("tool", "2")
        #expect(try world.exporter().refresh().converged == ["tool"])
        // No state file known at all: a snap mount dir given without one.
        var settings = world.unions.world.settings()
        #expect(settings.stateFile == nil)
        settings =
            SnapdSettings.resolve(
                rootDir: world.base, snapMountDir: nil, libexecDir: nil, osReleasePath: nil, reexec: nil
            ).settings
        #expect(settings.stateFile == world.stateFile)
        settings =
            SnapdSettings.resolve(
                rootDir: world.base, snapMountDir: world.unions.world.snapMountDir, libexecDir: nil, osReleasePath: nil,
                reexec: nil, stateFile: "/given/state.json"
            ).settings
        #expect(settings.stateFile == "/given/state.json")
    }

    /// After snapd's state changed, the check is made once, under the lock (one link read of each owner in the root
    /// and one in the snap mount dir), and stamped; with the lock held by another writer and `wait: false`, it is made
    /// without the lock, and nothing is written.
    @Test func aStaleStampMeansOneCheckUnderTheLockAndABusyLockOneWithout() throws {
        let world = try StampedWorld()
        defer { world.remove() }
        _ = try world.exporter().refresh()
        let before = try #require(world.stamp)
        try world.rewriteState("{\"changes\":2}")
        let recording = RecordingSystemCalls()
        #expect(try world.exporter(recording).refresh() == UnionExporter.Report())
        let ownerReads = recording.log.filter { $0.name == "readlinkat" }.compactMap(\.arguments.last)
            .filter { ["tool/current", "stay/current"].contains($0) }
        #expect(
            ownerReads.sorted() == ["stay/current", "stay/current", "tool/current", "tool/current"], "\(recording.log)")
        #expect(recording.log.contains { $0.name == "flock" })
        let fresh = try #require(world.stamp)
        #expect(fresh != before)

        try world.rewriteState("{\"changes\":3}")
        let lock = open(world.unions.root + "/" + Layout.lock, O_RDWR)
        #expect(lock >= 0 && flock(lock, LOCK_EX) == 0)
        defer { close(lock) }
        #expect(try world.exporter().refresh(wait: false) == UnionExporter.Report())
        #expect(world.stamp == fresh, "not rewritten without the lock")
        try world.unions.world.setCurrent("tool", "2")
        #expect(try world.exporter().refresh(wait: false, dryRun: true).warnings.count == 1)
    }

    /// A hook killed half-way changes no state file of snapd's; the stamp it removed when it took the lock makes
    /// the next refresh check, and converge.
    @Test(
        .enabled(if: TestEnvironment.faultPointsArmed, "fault points exist only in debug builds"),
        arguments: [FaultPoint.unionWithoutRemoved, .unionOwnerSwitched, .unionWithNew])
    func aHookKilledHalfWayLeavesNoStampAndRefreshConverges(_ point: FaultPoint) throws {
        let world = try StampedWorld()
        defer { world.remove() }
        let first = try world.cli(["refresh", "--no-gc"])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(world.stamp != nil, "refresh left its stamp (the real boot id)")
        try world.unions.world.setCurrent("tool", "2")
        let killed = try world.cli(["link", "tool", "2"], fault: point)
        #expect(killed.signaled && killed.status == SIGKILL, "exit \(killed.status): \(killed.stderr)")
        #expect(world.stamp == nil)
        let refreshed = try world.cli(["refresh", "--no-gc"])
        #expect(refreshed.status == 0, "\(refreshed.stderr)")
        #expect(world.unions.current("tool") == "2")
        #expect(world.unions.entries("@man").keys.contains("man1/tool-new.1"))
        #expect(try world.exporter().check() == nil)
    }
}
