import Foundation
import GenerationStore
import SnapExportCommands
import Testing
import TestSupport

/// A fake snapd system in plain directories for the snapd commands.
struct SnapdCommandWorld {
    let directory: TemporaryDirectory
    var base: String { directory.path.replacingOccurrences(of: "//", with: "/") }
    var tools = [
        "etelpmoc.sh", "info", "snap-confine", "snap-discard-ns", "snap-exec", "snap-gdb-shim",
        "snap-gdbserver-shim", "snap-update-ns", "snapctl",
    ]

    init(id: String = "ubuntu", hostVersion: String = "2.60") throws {
        directory = try TemporaryDirectory("snapd-commands")
        try write("os-release", "ID=\(id)\nID_LIKE=debian\n")
        for tool in tools {
            try write("usr/lib/snapd/\(tool)", tool == "info" ? "VERSION=\(hostVersion)\n" : "#!/bin/sh\n")
        }
        try FileManager.default.createDirectory(atPath: base + "/snap", withIntermediateDirectories: true)
    }

    func write(_ relative: String, _ text: String) throws {
        let path = base + "/" + relative
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: path, atomically: false, encoding: .utf8)
    }

    func addSnap(_ instance: String, _ revision: String, type: String, version: String, current: Bool = true) throws {
        try write(
            "snap/\(instance)/\(revision)/meta/snap.yaml", "name: \(instance)\nversion: \(version)\ntype: \(type)\n")
        if type == "snapd" || type == "os" {
            try write("snap/\(instance)/\(revision)/usr/bin/snap", "#!/bin/sh\n")
            for tool in tools {
                try write(
                    "snap/\(instance)/\(revision)/usr/lib/snapd/\(tool)",
                    tool == "info" ? "VERSION=\(version)\n" : "x")
            }
        }
        if current {
            let link = base + "/snap/\(instance)/current"
            try? FileManager.default.removeItem(atPath: link)
            try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: revision)
        }
    }

    /// Runs snap-export in-process with this world's global options.
    func run(
        _ arguments: [String], environment: [String: String] = [:], system: any SystemCalls = LinuxSystemCalls()
    ) -> (code: Int32, out: String, err: String) {
        let console = CapturedConsole()
        let code = SnapExportTool.run(
            [
                "--root", base + "/export", "--host-root", base, "--snap-mount-dir", base + "/snap", "--libexec-dir",
                base + "/usr/lib/snapd",
                "--os-release", base + "/os-release",
            ] + arguments,
            environment: environment, console: console, system: system)
        return (code, console.output, console.errors)
    }

    func json(_ arguments: [String], environment: [String: String] = [:]) throws -> [String: Any] {
        let result = run(arguments + ["--json"], environment: environment)
        try #require(result.code == 0, "\(arguments): \(result.err)")
        return try #require(try JSONSerialization.jsonObject(with: Data(result.out.utf8)) as? [String: Any])
    }

    var current: String? { try? FileManager.default.destinationOfSymbolicLink(atPath: base + "/export/snapd/current") }
}

@Suite("snapd commands: refresh, explain, link, unlink")
struct SnapdCommandTests {
    @Test(arguments: ["refresh", "explain", "link", "unlink"])
    func everySnapdCommandHasHelp(_ command: String) throws {
        let world = try SnapdCommandWorld()
        defer { world.directory.remove() }
        let result = world.run([command, "--help"])
        #expect(result.code == 0)
        #expect(result.out.contains("usage: snap-export \(command)"))
        #expect(world.run(["--help"]).out.contains(command))
    }

    @Test func refreshReportsWhatItDidAndThenThatNothingChanged() throws {
        let world = try SnapdCommandWorld()
        defer { world.directory.remove() }
        try world.addSnap("snapd", "21759", type: "snapd", version: "2.63")
        let first = try world.json(["refresh"])
        #expect(first["changed"] as? Bool == true && first["current"] as? String == "21759")
        let published = (first["published"] as? [[String: Any]] ?? []).compactMap { $0["generation"] as? String }
        #expect(published == ["21759"])
        #expect((first["provider"] as? [String: Any])?["source"] as? String == "snap:snapd/21759")
        let second = world.run(["refresh"])
        #expect(second.code == 0 && second.out.contains("nothing changed") && second.out.contains("21759"))
        #expect(world.current == "21759")
    }

    @Test func dryRunSaysWhatWouldHappenAndWritesNothing() throws {
        let world = try SnapdCommandWorld()
        defer { world.directory.remove() }
        try world.addSnap("core", "16928", type: "os", version: "2.61")
        let result = world.run(["refresh", "--dry-run"])
        #expect(result.code == 0)
        #expect(result.out.contains("would publish snapd/core_16928") && result.out.contains("would switch"))
        #expect(!FileManager.default.fileExists(atPath: world.base + "/export"))
    }

    @Test func snapReexecFromTheEnvironmentIsHonoured() throws {
        let world = try SnapdCommandWorld()
        defer { world.directory.remove() }
        try world.addSnap("snapd", "5", type: "snapd", version: "2.70")
        #expect(try world.json(["refresh"], environment: ["SNAP_REEXEC": "0"])["current"] as? String == "host")
        #expect(try world.json(["refresh"])["current"] as? String == "5")
    }

    @Test func explainSaysWhichProviderAndWhyNotTheOthers() throws {
        let world = try SnapdCommandWorld(hostVersion: "2.62")
        defer { world.directory.remove() }
        try world.addSnap("snapd", "7", type: "snapd", version: "2.61")
        let text = world.run(["explain"])
        #expect(text.code == 0)
        #expect(text.out.contains("provider: host"))
        #expect(text.out.contains("older than the host's (2.62)"))
        #expect(text.out.contains("the core snap is not installed"))
        let json = try world.json(["explain"])
        let candidates = json["candidates"] as? [[String: Any]] ?? []
        #expect(candidates.map { $0["kind"] as? String } == ["snapd", "core", "host"])
        #expect(candidates.map { $0["chosen"] as? Bool } == [false, false, true])
        #expect(json["in_sync"] as? Bool == false)
        #expect(!FileManager.default.fileExists(atPath: world.base + "/export"), "explain only reads")
    }

    @Test func withoutAnyProviderRefreshExits66AndLeavesCurrent() throws {
        let world = try SnapdCommandWorld(id: "ubuntu-core")
        defer { world.directory.remove() }
        let result = world.run(["refresh"])
        #expect(result.code == 66)
        #expect(result.err.contains("no tools provider") && result.err.contains("snapd/current unchanged"))
        #expect(world.current == nil)
    }

    @Test func linkAndUnlinkOfTheSnapdSnapMoveCurrentWithoutAGap() throws {
        let world = try SnapdCommandWorld()
        defer { world.directory.remove() }
        try world.addSnap("snapd", "1", type: "snapd", version: "2.63")
        _ = try world.json(["refresh"])
        try world.addSnap("snapd", "2", type: "snapd", version: "2.64", current: false)
        #expect(try world.json(["link", "snapd", "2"])["current"] as? String == "2")
        #expect(try world.json(["unlink", "snapd", "2"])["current"] as? String == "1")
        let usage = world.run(["link", "snapd"])
        #expect(usage.code == 64 && usage.err.contains("missing REVISION"))
        #expect(world.run(["link", "snapd", "nope"]).code == 65)
    }

    @Test func statusJSONWithAnOwnersCurrentThatIsNotALinkSaysSoAndDoesNotGuessARetirement() throws {
        let world = try SnapdCommandWorld()
        defer { world.directory.remove() }
        try world.addSnap("snapd", "1", type: "snapd", version: "2.63")
        _ = try world.json(["refresh"])
        for revision in ["3", "4"] {
            try world.addSnap("fonts", revision, type: "app", version: "1.0")
            try world.write("snap/fonts/\(revision)/meta/exports.json", #"{"sets": {"fonts": {"x": "share/x.ttf"}}}"#)
            _ = try world.json(["link", "fonts", revision])
        }
        // `previous` is a link, `current` a directory; the snap is gone from the snap mount dir.
        let current = world.base + "/export/fonts/current"
        try FileManager.default.removeItem(atPath: current)
        try FileManager.default.createDirectory(atPath: current, withIntermediateDirectories: false)
        try FileManager.default.removeItem(atPath: world.base + "/snap/fonts")
        let result = world.run(["status", "--json"])
        // The union check reads the links itself and names the link that is not one (as before status handed it the
        // links it read); it never reports the owner as being retired.
        #expect(!result.out.contains("being retired") && !result.err.contains("being retired"), "\(result.out)")
        #expect(result.err.contains(current), "\(result.err)")
    }

    @Test func aGenericSnapsBadExportEntryFailsNamingTheFile() throws {
        let world = try SnapdCommandWorld()
        defer { world.directory.remove() }
        try world.addSnap("snapd", "1", type: "snapd", version: "2.63")
        _ = try world.json(["refresh"])
        try world.addSnap("fonts", "3", type: "app", version: "1.0")
        try world.write("snap/fonts/3/meta/exports.json", #"{"sets": {"fonts": {"x": "../../../etc/shadow"}}}"#)
        let result = world.run(["link", "fonts", "3"])
        #expect(result.code == 65)
        #expect(result.err.contains(world.base + "/snap/fonts/3/meta/exports.json") && result.err.contains(".."))
        #expect(!FileManager.default.fileExists(atPath: world.base + "/export/fonts"))
        #expect(world.current == "1")
        try world.write("snap/fonts/3/meta/exports.json", #"{"sets": {"fonts": {"x": "share/x.ttf"}}}"#)
        let good = try world.json(["link", "fonts", "3"])
        #expect(good["published"] as? Bool == true && good["current"] as? String == "3")
    }
}
