import Foundation
import GenerationStore
import GenerationStoreTesting
import SnapdExport
import Testing
import TestSupport

/// Each bad input is a warning (or error) that names the file, the bad source is neither published nor chosen,
/// and `snapd/current` stays where it was. Without the bad input, snapd revision 70 (newer than the host) would
/// be chosen, so an unchanged `current` is a real check.
@Suite("Bad input from the system")
struct BadInputTests {
    func worldOnHost() throws -> SnapWorld {
        let world = try SnapWorld()
        try world.exporter().refresh()
        #expect(world.current == "host")
        return world
    }

    func expectUnchanged(_ world: SnapWorld, _ report: RefreshReport, warningAt path: String, _ words: String) {
        #expect(
            report.warnings.contains { $0.path == path && $0.message.contains(words) },
            "warnings: \(report.warnings)")
        #expect(report.current == "host" && world.current == "host")
        #expect(!world.generations.contains("70"))
    }

    @Test(arguments: [
        ("name: snapd\nversion: 2.70\ntype: potato\n", "invalid snap type 'potato'"),
        ("name: snapd\nversion: [2.70\n", "closing"), ("- name: snapd\n", "sequence"),
        ("name: snapd\nversion: {a: b}\n", "not a scalar"),
    ])
    func aSnapYamlSnapdCannotReadIsAWarningNamingIt(_ entry: (String, String)) throws {
        let world = try worldOnHost()
        defer { world.remove() }
        let path = try world.addRevision("snapd", "70")
        try world.write(path + "/meta/snap.yaml", entry.0)
        try world.setCurrent("snapd", "70")
        expectUnchanged(world, try world.exporter().refresh(), warningAt: path + "/meta/snap.yaml", entry.1)
    }

    /// The type is not what decides (tool_linux.go never reads it): a snapd snap without `type:` is still
    /// the snapd snap, and a snap named snapd is of type snapd anyway.
    @Test func aSnapYamlWithoutTypeStillProvides() throws {
        let world = try worldOnHost()
        defer { world.remove() }
        let path = try world.addRevision("snapd", "70")
        try world.write(path + "/meta/snap.yaml", "name: snapd\nversion: 2.70\n")
        try world.setCurrent("snapd", "70")
        #expect(try world.exporter().refresh().current == "70")
    }

    /// A garbage info file: the revision is still published (snapd may run it on Ubuntu Core), but snapd does
    /// not re-exec into it on classic, so `current` stays at the host, with a warning naming the file.
    @Test(arguments: ["\u{0}\u{1}garbage\u{ff}", "VERSION=\n", "NAME=snapd\n", "version=2.70\n"])
    func aGarbageInfoFileIsAWarningNamingIt(_ content: String) throws {
        let world = try worldOnHost()
        defer { world.remove() }
        let path = try world.addRevision("snapd", "70")
        try world.write(path + "/usr/lib/snapd/info", content)
        try world.setCurrent("snapd", "70")
        let report = try world.exporter().refresh()
        #expect(report.warnings.contains { $0.path == path + "/usr/lib/snapd/info" && $0.message.contains("VERSION") })
        #expect(report.current == "host" && world.current == "host")
        #expect(world.generations == ["host"])
    }

    /// snapd calls only epochs invalid: `not a version` is a version to it (and sorts above 2.60-1).
    @Test func anInfoVersionSnapdCallsValidIsComparedAsSnapdCompares() throws {
        let world = try worldOnHost()
        defer { world.remove() }
        let path = try world.addRevision("snapd", "70")
        try world.write(path + "/usr/lib/snapd/info", "VERSION=not a version\n")
        try world.setCurrent("snapd", "70")
        #expect(try world.exporter().refresh().current == "70")
        try world.write(path + "/usr/lib/snapd/info", "VERSION=1:2.70\n")
        let report = try world.exporter().refresh()
        #expect(report.current == "host" && report.decision.reason.contains("invalid"))
    }

    @Test func anUnreadableRevisionDirectoryIsAWarningNamingIt() throws {
        let world = try worldOnHost()
        defer { world.remove() }
        let path = try world.addRevision("snapd", "70")
        try world.setCurrent("snapd", "70")
        let recording = RecordingSystemCalls()
        recording.inject(.permissionDenied, into: "fstatat") { $0.arguments.first?.hasPrefix(path + "/") == true }
        recording.inject(.permissionDenied, into: "openat") { $0.arguments.first?.hasPrefix(path + "/") == true }
        expectUnchanged(world, try world.exporter(system: recording).refresh(), warningAt: path, "Permission denied")
    }

    @Test func aDanglingCurrentInTheSnapMountDirIsAWarningNamingIt() throws {
        let world = try worldOnHost()
        defer { world.remove() }
        try world.addRevision("snapd", "69", version: "2.70")
        try world.setCurrent("snapd", "999")
        let report = try world.exporter().refresh()
        #expect(
            report.warnings.contains {
                $0.path == world.snapMountDir + "/snapd/current" && $0.message.contains("dangling")
            })
        #expect(report.current == "host" && world.current == "host")
    }

    @Test func anUnreadableOSReleaseIsAWarningAndTheHostIsUsed() throws {
        let world = try worldOnHost()
        defer { world.remove() }
        try world.addRevision("snapd", "70", version: "2.70")
        try world.setCurrent("snapd", "70")
        try FileManager.default.removeItem(atPath: world.osRelease)
        let (settings, warnings) = SnapdSettings.resolve(
            rootDir: world.base, snapMountDir: world.snapMountDir, libexecDir: world.libexecDir,
            osReleasePath: world.osRelease, reexec: nil)
        #expect(warnings.map(\.path) == [world.osRelease])
        let plan = try ToolsExporter(store: world.store(), settings: settings).plan()
        #expect(plan.target == "host")
    }

    @Test func aGenerationWithOtherContentUnderASnapRevisionNameIsNotUsed() throws {
        let world = try worldOnHost()
        defer { world.remove() }
        _ = try world.store().withWriter { writer in
            try writer.publish(
                name: "snapd", generation: "70",
                manifest: Manifest(source: "by hand", sets: ["tools": ["x": "/nowhere"]]))
        }
        try world.addRevision("snapd", "70", version: "2.70")
        try world.setCurrent("snapd", "70")
        let report = try world.exporter().refresh()
        #expect(
            report.warnings.contains { $0.path == world.root + "/snapd/70" && $0.message.contains("other content") })
        #expect(world.current == "host")
    }
}
