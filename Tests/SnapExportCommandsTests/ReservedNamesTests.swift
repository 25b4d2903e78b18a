import Foundation
import Testing
import TestSupport

/// Issue 9, item 3: the names the layout uses (`current`, `previous`) are refused wherever names enter, and a root
/// that already holds one is reported without stopping status, gc, verify or repair.
@Suite("Reserved names: refused where names enter; a root holding one is reported and survives")
struct ReservedNamesTests {
    @Test("publish of a generation named current or previous: exit 65 naming the rule, nothing written")
    func publishRefuses() throws {
        let fixture = try CLIFixture()
        defer { fixture.remove() }
        try fixture.populate()
        let before = fixture.snapshot()
        for generation in ["current", "previous"] {
            let result = try fixture.run(["publish", "demo", generation, "--entry", "tools/a=/bin/true"])
            #expect(result.status == 65, "\(result.stderr)")
            #expect(result.stderr.contains("'\(generation)' is a name the store's layout uses"), "\(result.stderr)")
        }
        #expect(fixture.snapshot() == before)
    }

    @Test("link of a revision named previous is refused; refresh skips a snapd revision directory named previous")
    func snapdLayerRefuses() throws {
        let world = try SnapdCommandWorld()
        defer { world.directory.remove() }
        try world.addSnap("snapd", "1", type: "snapd", version: "2.63")
        _ = try world.json(["refresh"])
        try world.addSnap("snapd", "previous", type: "snapd", version: "2.64", current: false)
        let refresh = world.run(["refresh"])
        #expect(refresh.code == 0, "\(refresh.err)")
        #expect(refresh.err.contains("/snap/snapd/previous: not a snap revision"), "\(refresh.err)")
        #expect(world.current == "1")
        #expect(!FileManager.default.fileExists(atPath: world.base + "/export/snapd/previous"))
        try world.addSnap("app", "previous", type: "app", version: "1.0", current: false)
        let link = world.run(["link", "app", "previous"])
        #expect(link.code == 65, "\(link.err)")
        #expect(world.run(["verify"]).code == 0)
    }

    @Test("a root holding a directory named previous: status warns and shows the others, gc skips that name only, verify reports, repair exits 0")
    func rootHoldingOneSurvives() throws {
        let fixture = try CLIFixture()
        defer { fixture.remove() }
        try fixture.populate()
        try fixture.succeed(["publish", "solo", "g2", "--entry", "tools/a=/opt/solo/b"])
        try fixture.succeed(["switch", "solo", "g2"])
        try fixture.succeed(["switch", "solo", "g1"])
        try fixture.succeed(["publish", "solo", "g3", "--entry", "tools/a=/opt/solo/c"])
        try FileManager.default.removeItem(atPath: fixture.root + "/demo/previous")
        try FileManager.default.createDirectory(atPath: fixture.root + "/demo/previous", withIntermediateDirectories: false)
        let status = try fixture.run(["status"])
        #expect(status.status == 0, "\(status.stderr)")
        #expect(status.stderr.contains("demo/previous") && status.stderr.contains("not a link to a generation"))
        #expect(status.stdout.contains("solo"))
        let demoBefore = try FileManager.default.contentsOfDirectory(atPath: fixture.root + "/demo").sorted()
        let gc = try fixture.run(["gc", "--grace", "0", "--keep", "0"])
        #expect(gc.status == 1, "\(gc.stderr)")
        #expect(gc.stderr.contains(fixture.root + "/demo") && gc.stderr.contains("none of its generations removed"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: fixture.root + "/demo").sorted() == demoBefore)
        #expect(!FileManager.default.fileExists(atPath: fixture.root + "/solo/g3"), "gc still collects the other names")
        let verify = try fixture.run(["verify"])
        #expect(verify.status == 1 && verify.stdout.contains("demo/previous: is not a symlink"), "\(verify.stdout)")
        #expect(try fixture.run(["repair"]).status == 0)
    }
}
