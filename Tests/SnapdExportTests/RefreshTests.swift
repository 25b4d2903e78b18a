import GenerationStore
import GenerationStoreTesting
import SnapdExport
import Testing
import TestSupport

@Suite("Refresh of the tools export")
struct RefreshTests {
    @Test func refreshPublishesTheChosenProvidersGenerationAndSwitchesToIt() throws {
        let world = try SnapWorld()
        defer { world.remove() }
        try world.addRevision("snapd", "20", version: "2.63")
        try world.addRevision(
            "snapd", "21", version: "2.64", tools: SnapdSettings.tools.filter { $0 != "snap-gdb-shim" })
        try world.setCurrent("snapd", "21")
        try world.addRevision("core", "7", version: "2.55")
        try world.setCurrent("core", "7")
        let report = try world.exporter().refresh()
        #expect(report.current == "21" && report.previousCurrent == nil)
        // Only what current names: 20, core_7 and the host are candidates snapd does not run now.
        #expect(report.published.map(\.generation) == ["21"])
        #expect(world.generations == ["21"])
        let manifest = try world.store().manifest(name: "snapd", generation: "21")
        #expect(manifest.source == "snap:snapd/21" && manifest.version == "2.64")
        #expect(manifest.sets["tools"]?.count == 8 && manifest.sets["tools"]?["snap-gdb-shim"] == nil)
        #expect(manifest.sets["tools"]?["snap-exec"] == "/snap/snapd/21/usr/lib/snapd/snap-exec")
    }

    @Test func eachProvidersManifestNamesItsSourceAndTargets() throws {
        let world = try SnapWorld()
        defer { world.remove() }
        try world.addRevision("core", "7", version: "2.55")
        try world.setCurrent("core", "7")
        // Older than the host: the host is chosen.
        try world.exporter().refresh()
        #expect(world.current == "host")
        let host = try world.store().manifest(name: "snapd", generation: "host")
        #expect(host.source == "host" && host.version == "2.60-1")
        // The host's root is at hostfs inside a namespace: the target is the path on the host's root.
        #expect(host.sets["tools"]?["info"] == "/var/lib/snapd/hostfs/usr/lib/snapd/info")
        try world.addRevision("core", "8", version: "2.61")
        try world.setCurrent("core", "8")
        try world.exporter().refresh()
        #expect(world.current == "core_8")
        let core = try world.store().manifest(name: "snapd", generation: "core_8")
        #expect(core.source == "snap:core/8" && core.sets["tools"]?["snapctl"] == "/snap/core/8/usr/lib/snapd/snapctl")
    }

    @Test func aSecondRefreshWithNothingChangedWritesNothing() throws {
        let world = try SnapWorld()
        defer { world.remove() }
        try world.addRevision("snapd", "30", version: "2.63")
        try world.setCurrent("snapd", "30")
        try world.exporter().refresh()
        let before = treeSnapshot(world.root)
        let recording = RecordingSystemCalls()
        let report = try world.exporter(system: recording).refresh()
        #expect(!report.changed && report.current == "30" && report.published.isEmpty)
        let writes: Set<String> = [
            "mkdirat", "symlinkat", "renameat", "renameat2", "unlinkat", "fsync", "flock", "write",
        ]
        let written = recording.log.filter { writes.contains($0.name) }
        #expect(written.isEmpty, "write calls: \(written)")
        #expect(!recording.log.contains { $0.name == "openat" && $0.arguments.contains { $0.hasSuffix(".lock") } })
        #expect(treeSnapshot(world.root) == before)
    }

    @Test func aNoOpRefreshReadsEachStoredManifestOnce() throws {
        let world = try SnapWorld()
        defer { world.remove() }
        try world.setHost(version: "2.60")
        try world.exporter().refresh()
        #expect(world.current == "host")
        let recording = RecordingSystemCalls()
        let report = try world.exporter(system: recording).refresh()
        #expect(!report.changed)
        // Whole reads (openat of the manifest, then pread to its end); the plan compared the host's stored
        // manifest twice, reading it twice.
        let wholeReads = recording.log.filter { call in
            call.name == "openat" && call.arguments.contains { $0.hasSuffix(".manifest.json") }
        }.map { $0.arguments.joined(separator: " ") }
        #expect(Set(wholeReads).count == wholeReads.count, "\(wholeReads)")
        #expect(!wholeReads.isEmpty)
    }

    @Test func aDryRunWritesNothingAndSaysWhatItWouldDo() throws {
        let world = try SnapWorld()
        defer { world.remove() }
        try world.addRevision("snapd", "31", version: "2.63")
        try world.setCurrent("snapd", "31")
        let report = try world.exporter().refresh(dryRun: true)
        #expect(
            report.dryRun && report.current == "31" && report.published.map(\.generation) == ["31"])
        #expect(treeSnapshot(world.root) == ["\(world.root) missing"])
    }

    @Test func aHostWhoseToolsChangedGetsANewGenerationAndTheOldOneStaysUntouched() throws {
        let world = try SnapWorld()
        defer { world.remove() }
        try world.setHost(version: "2.60-1", tools: SnapdSettings.tools.filter { $0 != "snapctl" })
        try world.exporter().refresh()
        #expect(world.current == "host")
        let old = treeSnapshot(world.root + "/snapd/host")
        try world.setHost(version: "2.60-1")
        #expect(try world.exporter().refresh().current == "host-2")
        try world.setHost(version: "2.61-1")
        #expect(try world.exporter().refresh().current == "host-3")
        #expect(treeSnapshot(world.root + "/snapd/host") == old)
        #expect(try world.store().manifest(name: "snapd", generation: "host-2").sets["tools"]?.count == 9)
        // Back to the first content: its generation is reused, not published again.
        try world.setHost(version: "2.60-1", tools: SnapdSettings.tools.filter { $0 != "snapctl" })
        let report = try world.exporter().refresh()
        #expect(report.current == "host" && report.published.isEmpty)
    }

    @Test func linkSwitchesAsIfTheRevisionWereCurrentAndUnlinkSwitchesAwayFirst() throws {
        let world = try SnapWorld()
        defer { world.remove() }
        try world.addRevision("snapd", "40", version: "2.63")
        try world.setCurrent("snapd", "40")
        try world.exporter().refresh()
        try world.addRevision("snapd", "41", version: "2.64")
        let linked = try world.exporter().link(instance: "snapd", revision: "41")
        #expect(linked.current == "41" && linked.previousCurrent == "40")
        try world.setCurrent("snapd", "41")
        #expect(try world.exporter().refresh().changed == false)
        // snapd removes the snap: unlink of the current revision goes to the next provider (the host).
        let unlinked = try world.exporter().unlink(instance: "snapd", revision: "41")
        #expect(unlinked.current == "host" && world.current == "host")
        #expect(world.generations.contains("41"), "the generation stays until gc")
        // Unlinking a revision that is not current changes nothing.
        try world.setCurrent("snapd", "40")
        try world.exporter().refresh()
        #expect(world.current == "40")
        #expect(try world.exporter().unlink(instance: "snapd", revision: "41").changed == false)
        #expect(world.current == "40")
    }

    @Test func linkOfAnUnusableRevisionFailsAndChangesNothing() throws {
        let world = try SnapWorld()
        defer { world.remove() }
        try world.exporter().refresh()
        let path = try world.addRevision("snapd", "50", mounted: false)
        let before = treeSnapshot(world.root)
        #expect {
            try world.exporter().link(instance: "snapd", revision: "50")
        } throws: { error in
            (error as? StoreError)?.description.contains(path) == true
        }
        #expect(throws: StoreError.self) { try world.exporter().link(instance: "snapd", revision: "../x") }
        #expect(treeSnapshot(world.root) == before)
    }

    @Test func onUbuntuCoreUnlinkOfTheOnlyProviderFailsAndLeavesCurrent() throws {
        let world = try SnapWorld(id: "ubuntu-core", idLike: "")
        defer { world.remove() }
        try world.addRevision("snapd", "60", version: "2.63")
        try world.setCurrent("snapd", "60")
        try world.exporter().refresh()
        let report = try world.exporter().unlink(instance: "snapd", revision: "60")
        #expect(report.decision.chosen == nil && report.current == "60" && world.current == "60")
    }
}
