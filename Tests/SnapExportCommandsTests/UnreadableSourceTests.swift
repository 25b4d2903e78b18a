import Foundation
import GenerationStore
import GenerationStoreTesting
import SnapExportCommands
import Synchronization
import Testing
import TestSupport

/// Issue 9, item 7: a transient read error (`EIO`) while reading what the provider rule decides on must never
/// change the provider. Each case fails one read through the seam and checks that `snapd/current` stays, that
/// nothing is published, that the message names the path and the reason, and that the exit code is 74.
@Suite("unreadable sources never change the provider")
struct UnreadableSourceTests {
    /// Counts the calls a predicate has seen, so an injection can spare the first ones (the unlocked plan)
    /// and hit a later one (the re-plan under the lock).
    final class Seen: Sendable {
        let count = Mutex(0)
        func next() -> Int { count.withLock { $0 += 1; return $0 } }
    }

    /// One read to fail: the call and the path (relative to the world's base), and a word of the message.
    struct Case: Sendable, CustomTestStringConvertible {
        var call: String
        var path: String
        var testDescription: String { "\(call) \(path)" }
    }

    static let cases: [Case] = [
        // The snap mount dir's `current` link of the snapd snap (the adversarial run's case).
        Case(call: "readlinkat", path: "snap/snapd/current"),
        // The snapd snap's directory, its new revision's entry, its snap.yaml, info and one of its tools.
        Case(call: "openat", path: "snap/snapd"),
        Case(call: "fstatat", path: "snap/snapd/21800"),
        Case(call: "openat", path: "snap/snapd/21800/meta/snap.yaml"),
        Case(call: "openat", path: "snap/snapd/21800/usr/lib/snapd/info"),
        Case(call: "read", path: "snap/snapd/21800/usr/lib/snapd/info"),
        Case(call: "fstatat", path: "snap/snapd/21800/usr/lib/snapd/snap-exec"),
        // The binary whose presence decides the re-exec (followed through `current`).
        Case(call: "fstatat", path: "snap/snapd/current/usr/bin/snap"),
        // The host's info and tools, compared with or fallen back to.
        Case(call: "openat", path: "usr/lib/snapd/info"),
        Case(call: "fstatat", path: "usr/lib/snapd/snapctl"),
        // os-release: an unreadable one is not `ID=linux`.
        Case(call: "openat", path: "os-release"),
        Case(call: "read", path: "os-release"),
    ]

    /// A host at 2.60 whose snapd snap 21759 (2.63) is exported, then snapd refreshed to 21800 (2.64): a refresh
    /// has work to do, so it plans, takes the lock and plans again.
    func world() throws -> SnapdCommandWorld {
        let world = try SnapdCommandWorld()
        try world.addSnap("snapd", "21759", type: "snapd", version: "2.63")
        let first = world.run(["refresh"])
        try #require(first.code == 0, "\(first.err)")
        try #require(world.current == "21759")
        try world.addSnap("snapd", "21800", type: "snapd", version: "2.64")
        return world
    }

    func failing(_ world: SnapdCommandWorld, _ failure: Case, sparing spared: Int) -> RecordingSystemCalls {
        let recording = RecordingSystemCalls()
        let path = world.base + "/" + failure.path
        let seen = Seen()
        recording.inject(.ioError, into: failure.call) { call in
            call.arguments.first == path && seen.next() > spared
        }
        return recording
    }

    func expectUnchanged(
        _ world: SnapdCommandWorld, _ failure: Case, _ result: (code: Int32, out: String, err: String)
    ) {
        #expect(result.code == 74, "exit \(result.code): \(result.err)")
        #expect(world.current == "21759", "current: \(world.current ?? "(none)")")
        #expect(!FileManager.default.fileExists(atPath: world.base + "/export/snapd/21800"))
        #expect(!FileManager.default.fileExists(atPath: world.base + "/export/snapd/host"))
        #expect(result.err.contains(world.base + "/" + failure.path), "\(result.err)")
        #expect(result.err.contains("Input/output error"), "\(result.err)")
        #expect(result.err.contains("snapd/current unchanged"), "\(result.err)")
    }

    /// The read fails from the first plan on.
    @Test(arguments: cases)
    func refreshKeepsCurrentWhenARead(failsThroughout failure: Case) throws {
        let world = try world()
        defer { world.directory.remove() }
        let result = world.run(["refresh"], system: failing(world, failure, sparing: 0))
        expectUnchanged(world, failure, result)
        // Once the read works again, the refresh does what it had to.
        let healed = world.run(["refresh"])
        #expect(healed.code == 0, "\(healed.err)")
        #expect(world.current == "21800")
    }

    /// The read succeeds in the unlocked plan and fails in the re-plan under the lock: what the adversarial run
    /// did to `<smd>/snapd/current`, where the refresh switched to the older host tools and exited 0.
    @Test(arguments: cases.filter { $0.path == "snap/snapd/current" || $0.path.hasSuffix("/info") })
    func refreshKeepsCurrentWhenTheLockedReplan(fails failure: Case) throws {
        let world = try world()
        defer { world.directory.remove() }
        // The unlocked plan reads each of these once (os-release is read once, before either plan).
        let result = world.run(["refresh"], system: failing(world, failure, sparing: 1))
        expectUnchanged(world, failure, result)
    }

    @Test func explainSaysSoAndExits74() throws {
        let world = try world()
        defer { world.directory.remove() }
        let failure = Case(call: "readlinkat", path: "snap/snapd/current")
        let result = world.run(["explain"], system: failing(world, failure, sparing: 0))
        #expect(result.code == 74, "\(result.err)")
        #expect(result.out.contains("not certain which provider"), "\(result.out)")
    }

    /// A failed read of a snap the rule does not look at changes nothing of the decision: with re-exec off the
    /// host provides whatever the snapd snap holds.
    @Test func aReadTheRuleDoesNotNeedDoesNotStopIt() throws {
        let world = try world()
        defer { world.directory.remove() }
        let failure = Case(call: "readlinkat", path: "snap/snapd/current")
        let result = world.run(
            ["refresh"], environment: ["SNAP_REEXEC": "0"], system: failing(world, failure, sparing: 0))
        #expect(result.code == 0, "\(result.err)")
        #expect(world.current == "host")
    }

    /// `link` of a revision whose files cannot be read: exit 74, nothing changed.
    @Test func linkOfAnUnreadableRevisionExits74() throws {
        let world = try world()
        defer { world.directory.remove() }
        let failure = Case(call: "openat", path: "snap/snapd/21800/meta/snap.yaml")
        let result = world.run(["link", "snapd", "21800"], system: failing(world, failure, sparing: 0))
        #expect(result.code == 74, "\(result.err)")
        #expect(world.current == "21759")
        #expect(result.err.contains(world.base + "/" + failure.path), "\(result.err)")
    }
}
