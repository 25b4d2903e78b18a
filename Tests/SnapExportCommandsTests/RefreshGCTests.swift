import Foundation
import GenerationStore
import Testing

@Suite("refresh ends with a gc pass")
struct RefreshGCTests {
    /// Sets `published` of a generation's manifest back by an hour, as if it had been published long ago.
    func age(_ world: SnapdCommandWorld, _ generation: String) throws {
        let path = world.base + "/export/snapd/\(generation)/.manifest.json"
        var object = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
        let published = try #require(object["published"] as? Int64)
        object["published"] = published - 3_600_000_000_000
        try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: path))
    }

    @Test func aRefreshAfterASnapRevisionWasRemovedAlsoRemovesItsOldGeneration() throws {
        let world = try SnapdCommandWorld()
        defer { world.directory.remove() }
        try world.addSnap("snapd", "10", type: "snapd", version: "2.61", current: false)
        try world.addSnap("snapd", "11", type: "snapd", version: "2.62")
        #expect(world.run(["refresh"]).code == 0)
        #expect(FileManager.default.fileExists(atPath: world.base + "/export/snapd/10"))

        // snapd removed revision 10 a while after it was published.
        try FileManager.default.removeItem(atPath: world.base + "/snap/snapd/10")
        try age(world, "10")
        let refresh = world.run(["refresh"])
        #expect(refresh.code == 0, "\(refresh.err)")
        #expect(refresh.out.contains("gc: removed snapd/10: source gone"), "\(refresh.out)")
        #expect(!FileManager.default.fileExists(atPath: world.base + "/export/snapd/10"))
        #expect(world.run(["verify"]).code == 0)
    }

    @Test func noGCSkipsThePassAndTheJSONSaysSo() throws {
        let world = try SnapdCommandWorld()
        defer { world.directory.remove() }
        try world.addSnap("snapd", "10", type: "snapd", version: "2.61", current: false)
        try world.addSnap("snapd", "11", type: "snapd", version: "2.62")
        #expect(world.run(["refresh", "--no-gc"]).code == 0)
        try FileManager.default.removeItem(atPath: world.base + "/snap/snapd/10")
        try age(world, "10")

        let skipped = world.run(["refresh", "--no-gc", "--json"])
        let skippedJSON = try #require(
            try JSONSerialization.jsonObject(with: Data(skipped.out.utf8)) as? [String: Any])
        #expect(skippedJSON["gc"] is NSNull)
        #expect(FileManager.default.fileExists(atPath: world.base + "/export/snapd/10"))

        let dry = world.run(["refresh", "--dry-run", "--json"])
        let dryJSON = try #require(try JSONSerialization.jsonObject(with: Data(dry.out.utf8)) as? [String: Any])
        let gc = try #require(dryJSON["gc"] as? [String: Any])
        let removed = try #require(gc["removed"] as? [[String: Any]])
        #expect(removed.map { $0["generation"] as? String } == ["10"])
        #expect(gc["dry_run"] as? Bool == true)
        #expect(FileManager.default.fileExists(atPath: world.base + "/export/snapd/10"))
    }
}
