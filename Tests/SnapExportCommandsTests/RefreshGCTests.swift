import Foundation
import GenerationStore
import Testing

@Suite("refresh ends with a gc pass")
struct RefreshGCTests {
    /// snapd revisions refreshed one after the other, each through `refresh`: the last is current.
    func refreshed(_ world: SnapdCommandWorld, _ revisions: [String]) throws {
        for (index, revision) in revisions.enumerated() {
            try world.addSnap("snapd", revision, type: "snapd", version: "2.6\(index)")
            #expect(world.run(["refresh", "--no-gc"]).code == 0)
        }
    }

    @Test func aRefreshThatSwitchesRemovesTheGenerationOfARevisionSnapdRemoved() throws {
        let world = try SnapdCommandWorld()
        defer { world.directory.remove() }
        try refreshed(world, ["10", "11"])
        // snapd refreshes to 12 and removes revision 10, an hour later.
        try FileManager.default.removeItem(atPath: world.base + "/snap/snapd/10")
        try world.addSnap("snapd", "12", type: "snapd", version: "2.62")
        let refresh = world.run(["refresh"], environment: ["SNAP_EXPORT_NOW": "+3600"])
        #expect(refresh.code == 0, "\(refresh.err)")
        #expect(refresh.out.contains("gc: removed snapd/10: source gone"), "\(refresh.out)")
        #expect(!FileManager.default.fileExists(atPath: world.base + "/export/snapd/10"))
        #expect(world.run(["verify"]).code == 0)
    }

    @Test func theRefreshPassLooksAtTheSnapdNameOnly() throws {
        let world = try SnapdCommandWorld()
        defer { world.directory.remove() }
        try refreshed(world, ["10"])
        let manifest = world.base + "/m.json"
        try #"{"source": "hand", "sets": {"s": {"e": "/t"}}}"#.write(
            toFile: manifest, atomically: false, encoding: .utf8)
        for generation in ["a", "b", "c", "d", "e"] {
            #expect(world.run(["publish", "other", generation, "--manifest", manifest]).code == 0)
        }
        #expect(world.run(["switch", "other", "e"]).code == 0)
        try world.addSnap("snapd", "11", type: "snapd", version: "2.61")
        let json = try world.json(["refresh"], environment: ["SNAP_EXPORT_NOW": "+3600"])
        let gc = try #require(json["gc"] as? [String: Any])
        let seen = Set(((gc["kept"] as? [[String: Any]]) ?? []).compactMap { $0["name"] as? String })
        #expect(seen == ["snapd"])
        // `gc` itself looks at every name: beyond keep 2 of other's.
        #expect(world.run(["gc"], environment: ["SNAP_EXPORT_NOW": "+3600"]).out.contains("removed other/a"))
    }

    @Test func noGCSkipsThePassAndADryRunSaysWhatThePassWouldRemove() throws {
        let world = try SnapdCommandWorld()
        defer { world.directory.remove() }
        try refreshed(world, ["9", "10", "11"])
        try FileManager.default.removeItem(atPath: world.base + "/snap/snapd/9")
        try world.addSnap("snapd", "12", type: "snapd", version: "2.63")

        let dry = try world.json(["refresh", "--dry-run"], environment: ["SNAP_EXPORT_NOW": "+3600"])
        let gc = try #require(dry["gc"] as? [String: Any])
        let removed = try #require(gc["removed"] as? [[String: Any]])
        #expect(removed.map { $0["generation"] as? String } == ["9"])
        #expect(gc["dry_run"] as? Bool == true)
        #expect(FileManager.default.fileExists(atPath: world.base + "/export/snapd/9"))

        let skipped = try world.json(["refresh", "--no-gc"], environment: ["SNAP_EXPORT_NOW": "+3600"])
        #expect(skipped["gc"] is NSNull)
        #expect(world.current == "12")
        #expect(FileManager.default.fileExists(atPath: world.base + "/export/snapd/9"))
    }
}
