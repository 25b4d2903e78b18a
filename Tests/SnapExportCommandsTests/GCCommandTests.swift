import Foundation
import GenerationStore
import SnapExportCommands
import Testing
import TestSupport

/// `snap-export gc` through the built binary: options, snapd's sources, dry run, crashes.
@Suite struct GCCommandTests {
    @Test(arguments: [("0", 0), ("90", 90), ("90s", 90), ("15m", 900), ("2h", 7200), ("7d", 604_800)])
    func graceDurationsAreSecondsOrANumberWithAUnit(text: String, seconds: Int64) throws {
        let world = try GCWorld()
        defer { world.remove() }
        try world.publishSnap("snapd", "1")
        try world.switchTo("1")
        let result = try world.cli(["gc", "--grace", text, "--dry-run"])
        #expect(result.status == 0, "\(result.stderr)")
    }

    @Test(arguments: [
        ["--grace", "10x"], ["--grace", "-5"], ["--grace", "m"], ["--keep", "-1"], ["--keep", "two"], ["extra"],
    ])
    func badOptionsAreUsageErrors(arguments: [String]) throws {
        let world = try GCWorld()
        defer { world.remove() }
        let result = try world.cli(["gc"] + arguments)
        #expect(result.status == 64)
        #expect(result.stderr.contains("usage: snap-export gc"))
    }

    @Test func removedSnapRevisionsAndSupersededHostExportsGoWhileCurrentAndPreviousStay() throws {
        let world = try GCWorld()
        defer { world.remove() }
        for revision in ["1", "2", "3", "4"] { try world.publishSnap("snapd", revision) }
        for host in ["host-a", "host-b"] {
            let result = try world.cli([
                "publish", "snapd", host, "--source", "host", "--entry", "tools/info=/usr/lib/snapd/info",
            ])
            #expect(result.status == 0)
        }
        try world.publishSnap("core", "16928")
        try world.switchTo("1")
        try world.switchTo("2")
        try world.switchTo("3")
        try world.removeSnap("snapd", "1")
        try world.removeSnap("snapd", "2")  // previous: stays although gone
        let result = try world.cli(["gc", "--grace", "0", "--keep", "2", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let json = try parsedJSON(result.stdout)
        #expect(generations(json, "removed") == ["snapd/1", "snapd/4", "snapd/host-a"])
        #expect(reasonCodes(json, "1") == ["source-gone"])
        #expect(reasonCodes(json, "host-a") == ["source-gone"])
        #expect(reasonCodes(json, "4") == ["beyond-keep-n"])
        #expect(reasonCodes(json, "2") == ["previous"])
        #expect(reasonCodes(json, "3") == ["current"])
        #expect(reasonCodes(json, "core_16928") == ["keep-n"])
        #expect(reasonCodes(json, "host-b") == ["keep-n"])
        #expect(world.generations() == ["2", "3", "core_16928", "host-b"])
        #expect(try snapExport(["--root", world.root, "verify"]).status == 0)
    }

    @Test func aDryRunPrintsTheSameDecisionsAndChangesNothing() throws {
        let world = try GCWorld()
        defer { world.remove() }
        for revision in ["1", "2", "3", "4"] { try world.publishSnap("snapd", revision) }
        for revision in ["1", "2", "3", "4"] { try world.switchTo(revision) }
        try world.removeSnap("snapd", "1")
        let before = try run(["/usr/bin/find", world.root, "-printf", "%p %y %i %l %s\\n"]).stdout
        let dry = try world.cli(["gc", "--grace", "0", "--keep", "0", "--dry-run"])
        #expect(try run(["/usr/bin/find", world.root, "-printf", "%p %y %i %l %s\\n"]).stdout == before)
        #expect(dry.stdout.contains("would remove snapd/1: source gone"))
        #expect(dry.stdout.contains("would remove snapd/2: beyond keep-n"))
        #expect(dry.stdout.contains("kept snapd/3: previous"))
        #expect(dry.stdout.contains("kept snapd/4: current"))
        let real = try world.cli(["gc", "--grace", "0", "--keep", "0"])
        #expect(
            real.stdout.replacingOccurrences(of: "removed", with: "would remove")
                .replacingOccurrences(of: "pruned", with: "would prune") == dry.stdout)
        #expect(world.generations() == ["3", "4"])
    }

    @Test func theDefaultGracePeriodKeepsWhatWasJustRetired() throws {
        let world = try GCWorld()
        defer { world.remove() }
        for revision in ["1", "2", "3"] { try world.publishSnap("snapd", revision) }
        for revision in ["1", "2", "3"] { try world.switchTo(revision) }
        try world.removeSnap("snapd", "1")
        let result = try world.cli(["gc", "--keep", "0"])
        #expect(result.stdout.contains("kept snapd/1: grace: stopped being current"), "\(result.stdout)")
        #expect(world.generations() == ["1", "2", "3"])
    }

    @Test(arguments: [FaultPoint.gcTrashed, .gcDeleting])
    func aGCKilledBetweenTheRenameAndTheEndOfTheDeleteIsFinishedByTheNext(point: FaultPoint) throws {
        let world = try GCWorld()
        defer { world.remove() }
        for revision in ["1", "2", "3"] { try world.publishSnap("snapd", revision) }
        for revision in ["1", "2", "3"] { try world.switchTo(revision) }
        try world.removeSnap("snapd", "1")
        let crashed = try world.cli(["gc", "--grace", "0"], fault: point.rawValue)
        #expect(crashed.signaled && crashed.status == SIGKILL)
        #expect(world.generations() == ["2", "3"], "the generation disappeared in one rename")
        let verify = try parsedJSON(try world.cli(["verify", "--json"]).stdout)
        let problems = (verify["problems"] as? [[String: Any]]) ?? []
        #expect(problems.count == 1)
        #expect((problems.first?["path"] as? String)?.contains("/.trash/") == true)
        let next = try world.cli(["gc", "--grace", "0", "--json"])
        #expect(next.status == 0)
        #expect((try parsedJSON(next.stdout)["trash_finished"] as? [String])?.count == 1)
        #expect(try world.cli(["verify"]).status == 0)
    }
}
