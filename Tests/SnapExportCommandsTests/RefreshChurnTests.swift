import Foundation
import GenerationStore
import GenerationStoreTesting
import Testing

/// refresh and gc agree on one rule (docs/gc.md): refresh publishes only what `current` is to name, so once the
/// store has settled a refresh with nothing changed on the host writes nothing and takes no lock, however far the
/// clock (`SNAP_EXPORT_NOW`) is moved.
@Suite("refresh never churns")
struct RefreshChurnTests {
    /// Calls that change something on disk, or take the lock.
    static let writingCalls: Set<String> = [
        "mkdirat", "symlinkat", "renameat", "renameat2", "unlinkat", "write", "fsync", "flock",
    ]

    /// What a call log did that a no-op must not: writes, the lock, opening `.lock`.
    static func writes(_ log: [RecordingSystemCalls.Call]) -> [String] {
        log.filter { writingCalls.contains($0.name) || $0.arguments.contains { $0.hasSuffix(".lock") } }
            .map(\.description)
    }

    /// Everything under the export root with its inode and ctime, to prove nothing was replaced.
    static func snapshot(_ root: String) throws -> [String: String] {
        var result: [String: String] = [:]
        let enumerator = try #require(FileManager.default.enumerator(atPath: root))
        while let relative = enumerator.nextObject() as? String {
            var st = stat()
            #expect(lstat(root + "/" + relative, &st) == 0)
            result[relative] = "\(st.st_ino) \(st.st_ctim.tv_sec).\(st.st_ctim.tv_nsec)"
        }
        return result
    }

    /// A host with five mounted snapd revisions (current 15), two of core and the host's tools.
    func world() throws -> SnapdCommandWorld {
        let world = try SnapdCommandWorld()
        for revision in 11...15 {
            try world.addSnap("snapd", "\(revision)", type: "snapd", version: "2.6\(revision - 10)", current: false)
        }
        try world.addSnap("snapd", "15", type: "snapd", version: "2.65")
        try world.addSnap("core", "1", type: "os", version: "2.50", current: false)
        try world.addSnap("core", "2", type: "os", version: "2.51")
        return world
    }

    @Test func refreshPublishesOnlyTheGenerationCurrentNames() throws {
        let world = try world()
        defer { world.directory.remove() }
        let json = try world.json(["refresh"])
        let published = try #require(json["published"] as? [[String: Any]])
        #expect(published.map { $0["generation"] as? String } == ["15"])
        #expect(world.current == "15")
        let names = try FileManager.default.contentsOfDirectory(atPath: world.base + "/export/snapd")
        #expect(names.filter { !$0.hasPrefix(".") && $0 != "current" && $0 != "previous" } == ["15"])
    }

    @Test(arguments: ["+0", "+601", "+86400", "+31536000"])
    func aNoOpRefreshWritesNothingAndTakesNoLockAtAnyAge(_ now: String) throws {
        let world = try world()
        defer { world.directory.remove() }
        // A store with history: three refreshes of snapd, each a switch.
        for revision in ["13", "14", "15"] {
            try world.addSnap("snapd", revision, type: "snapd", version: "2.6\(Int(revision)! - 10)")
            #expect(world.run(["refresh"]).code == 0)
        }
        #expect(world.current == "15")
        let before = try Self.snapshot(world.base + "/export")
        for _ in 0..<3 {
            let system = RecordingSystemCalls()
            let result = world.run(["refresh", "--json"], environment: ["SNAP_EXPORT_NOW": now], system: system)
            #expect(result.code == 0, "\(result.err)")
            #expect(Self.writes(system.log) == [], "refresh at \(now) wrote or locked")
            let json = try #require(try JSONSerialization.jsonObject(with: Data(result.out.utf8)) as? [String: Any])
            #expect(json["changed"] as? Bool == false)
            #expect(json["gc"] is NSNull)
        }
        #expect(try Self.snapshot(world.base + "/export") == before)
    }

    @Test func aRevertToARevisionGCRemovedIsAPublishAndASwitch() throws {
        let world = try world()
        defer { world.directory.remove() }
        for revision in ["12", "13", "14", "15"] {
            try world.addSnap("snapd", revision, type: "snapd", version: "2.6\(Int(revision)! - 10)")
            #expect(world.run(["refresh"]).code == 0)
        }
        // Long after: gc removes 12, beyond keep 0; no refresh brings it back while 15 is current.
        #expect(world.run(["gc", "--keep", "0"], environment: ["SNAP_EXPORT_NOW": "+3600"]).code == 0)
        #expect(!FileManager.default.fileExists(atPath: world.base + "/export/snapd/12"))
        #expect(world.run(["refresh"], environment: ["SNAP_EXPORT_NOW": "+7200"]).code == 0)
        #expect(!FileManager.default.fileExists(atPath: world.base + "/export/snapd/12"))

        // snap revert snapd --revision 12: current goes back, refresh publishes 12 again and switches to it.
        try world.addSnap("snapd", "12", type: "snapd", version: "2.62")
        let json = try world.json(["refresh"], environment: ["SNAP_EXPORT_NOW": "+7200"])
        let published = try #require(json["published"] as? [[String: Any]])
        #expect(published.map { $0["generation"] as? String } == ["12"])
        #expect(json["changed"] as? Bool == true)
        #expect(world.current == "12")
        #expect(world.run(["verify"]).code == 0)
    }

    @Test func theGCPassOfARefreshThatSwitchedRemovesWhatTheSwitchMadeRemovable() throws {
        // 13 leaves the current/previous pair with this switch, its revision is gone: the pass removes it.
        let world = try world()
        defer { world.directory.remove() }
        for revision in ["13", "14"] {
            try world.addSnap("snapd", revision, type: "snapd", version: "2.6\(Int(revision)! - 10)")
            #expect(world.run(["refresh"]).code == 0)
        }
        try FileManager.default.removeItem(atPath: world.base + "/snap/snapd/13")
        try world.addSnap("snapd", "15", type: "snapd", version: "2.65")
        let json = try world.json(["refresh"], environment: ["SNAP_EXPORT_NOW": "+3600"])
        let gc = try #require(json["gc"] as? [String: Any])
        let removed = try #require(gc["removed"] as? [[String: Any]])
        #expect(removed.map { $0["generation"] as? String } == ["13"])
        #expect(json["changed"] as? Bool == true)
    }
}
