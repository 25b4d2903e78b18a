import Foundation
import GenerationStore
import SnapdExport
import Testing
import TestSupport

/// snapd's meaning of "the source is gone", given to gc.
@Suite struct GCSourcesTests {
    static func record(_ generation: String, _ source: String, published: Int64) -> GenerationRecord {
        GenerationRecord(
            name: "snapd", generation: generation,
            header: Manifest(source: source, sets: ["tools": ["info": "/x"]], published: published).header)
    }

    @Test func aSnapRevisionIsGoneWhenItsSnapYamlIsNotInTheMountDir() throws {
        let temp = try TemporaryDirectory()
        defer { temp.remove() }
        try FileManager.default.createDirectory(
            atPath: temp.appending("snapd/21759/meta"), withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: temp.appending("snapd/21759/meta/snap.yaml"), contents: Data())
        try FileManager.default.createDirectory(atPath: temp.appending("core/16928"), withIntermediateDirectories: true)
        let gone = GenerationSources.sourceGone(snapMountDir: temp.path)
        #expect(!gone(Self.record("21759", "snap:snapd/21759", published: 1), []))
        #expect(gone(Self.record("core_16928", "snap:core/16928", published: 1), []), "mounted dir without snap.yaml")
        #expect(gone(Self.record("20000", "snap:snapd/20000", published: 1), []))
        #expect(gone(Self.record("x_1", "snap:snapd_x/1", published: 1), []))
    }

    @Test func nothingIsGoneWhenTheSnapMountDirDoesNotExist() {
        let gone = GenerationSources.sourceGone(snapMountDir: "/nonexistent/snap-mount-dir")
        #expect(!gone(Self.record("1", "snap:snapd/1", published: 1), []))
    }

    @Test(arguments: ["snap:snapd", "snap:../x/1", "snap:snapd/1/2", "snap:/1", "snapd/1", "cli", ""])
    func otherOrMalformedSourcesAreNeverGone(source: String) {
        let gone = GenerationSources.sourceGone(snapMountDir: "/")
        #expect(!gone(Self.record("g", source, published: 1), []))
    }

    @Test func aHostGenerationIsGoneOnlyWhenALaterHostGenerationExists() {
        let a = Self.record("host-a", "host", published: 1)
        let snap = Self.record("1", "snap:snapd/1", published: 2)
        let b = Self.record("host-b", "host", published: 3)
        let gone = GenerationSources.sourceGone(snapMountDir: "/nonexistent")
        #expect(gone(a, [a, snap, b]))
        #expect(!gone(b, [a, snap, b]))
        #expect(!gone(a, [a, snap]))
    }

    @Test func theSourceStringsAreTheContract() {
        #expect(SnapSource.snap(instance: "snapd", revision: "21759").manifestSource == "snap:snapd/21759")
        #expect(SnapSource(manifestSource: "snap:core_x/16928") == .snap(instance: "core_x", revision: "16928"))
        #expect(SnapSource.host.manifestSource == "host")
        #expect(SnapSource(manifestSource: "host") == .host)
    }

    @Test(arguments: ["", "snap:", "snap:snapd", "snap:snapd/1/2", "snap:../1", "snap:snapd/", "Host", "other"])
    func aSourceOutsideTheContractIsNoSnapSource(source: String) {
        #expect(SnapSource(manifestSource: source) == nil)
    }

    @Test func everySnapSourceParsesBackToItself() {
        let sources: [SnapSource] = [
            .host, .snap(instance: "snapd", revision: "x1"), .snap(instance: "core", revision: "7"),
        ]
        for source in sources {
            #expect(SnapSource(manifestSource: source.manifestSource) == source)
        }
    }
}
