import Foundation
import GenerationStore
import SnapdExport
import Testing
import TestSupport

@Suite("Generic snaps' meta/exports.json")
struct SnapExportsTests {
    func linker(_ world: SnapWorld) -> SnapExportsLinker {
        SnapExportsLinker(store: world.store(), settings: world.settings())
    }

    @Test func linkPublishesTheSnapsExportsAndSwitchesItsCurrent() throws {
        let world = try SnapWorld()
        defer { world.remove() }
        let path = try world.addRevision("fonts-snap_x1", "3")
        try world.write(
            path + "/meta/exports.json",
            #"{"format": 1, "sets": {"fonts": {"a.ttf": "usr/share/fonts/a.ttf"}, "man/man1": {"f.1": "man/f.1"}}}"#)
        let report = try linker(world).link(instance: "fonts-snap_x1", revision: "3")
        #expect(report.published && report.current == "3" && report.entries == 2)
        let manifest = try world.store().manifest(name: "fonts-snap_x1", generation: "3")
        #expect(manifest.source == "snap:fonts-snap_x1/3")
        #expect(manifest.sets["fonts"]?["a.ttf"] == world.snapMountDir + "/fonts-snap_x1/3/usr/share/fonts/a.ttf")
        #expect(try linker(world).link(instance: "fonts-snap_x1", revision: "3").changed == false)
    }

    @Test func snapConsumersGetTargetsUnderSlashSnap() throws {
        let world = try SnapWorld()
        defer { world.remove() }
        let path = try world.addRevision("themes", "9")
        try world.write(path + "/meta/exports.json", #"{"consumer": "snap", "sets": {"themes": {"t": "share/t"}}}"#)
        try linker(world).link(instance: "themes", revision: "9")
        #expect(
            try world.store().manifest(name: "themes", generation: "9").sets["themes"]?["t"]
                == "/snap/themes/9/share/t"
        )
    }

    @Test(arguments: ["../../etc/passwd", "/etc/passwd", "usr/../../x", "usr//x", "./x"])
    func anEntryThatWouldLeaveTheSnapIsRejectedNamingTheFileAndNothingIsPublished(_ relative: String) throws {
        let world = try SnapWorld()
        defer { world.remove() }
        try world.exporter().refresh()
        let snapdBefore = treeSnapshot(world.root + "/snapd")
        let path = try world.addRevision("evil", "1")
        try world.write(
            path + "/meta/exports.json",
            #"{"sets": {"fonts": {"good": "usr/share/fonts/a.ttf", "bad": "\#(relative)"}}}"#)
        #expect {
            try linker(world).link(instance: "evil", revision: "1")
        } throws: { error in
            let message = "\(error)"
            return message.contains(path + "/meta/exports.json") && message.contains("'bad'")
                && (error as? StoreError)?.kind == .badData
        }
        #expect(!FileManager.default.fileExists(atPath: world.root + "/evil"))
        #expect(treeSnapshot(world.root + "/snapd") == snapdBefore)
    }

    @Test func aSnapWithoutExportsExportsNothingAndWritesNothing() throws {
        let world = try SnapWorld()
        defer { world.remove() }
        try world.addRevision("plain", "2")
        let report = try linker(world).link(instance: "plain", revision: "2")
        #expect(!report.changed && report.note.contains("nothing to export"))
        #expect(!FileManager.default.fileExists(atPath: world.root))
    }

    @Test func unlinkSwitchesToTheSnapsCurrentRevisionWhenItExportsSomething() throws {
        let world = try SnapWorld()
        defer { world.remove() }
        for revision in ["4", "5"] {
            let path = try world.addRevision("docs", revision)
            try world.write(path + "/meta/exports.json", #"{"sets": {"man/man1": {"d.1": "d.1"}}}"#)
        }
        try linker(world).link(instance: "docs", revision: "5")
        try world.setCurrent("docs", "4")  // snapd reverted to 4 and now unlinks 5
        let report = try linker(world).unlink(instance: "docs", revision: "5")
        #expect(report.current == "4" && report.published)
        #expect(try linker(world).unlink(instance: "docs", revision: "5").changed == false)
    }
}
