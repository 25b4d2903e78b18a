import Foundation
import GenerationStore
import GenerationStoreTesting
import Glibc
import Testing
import TestSupport

/// `publish(reusing:)`, manifest `inputs` (format 2) and `retire`: what union views are built with.
@Suite("Derived generations: reuse, inputs, retirement")
struct PublishReuseTests {
    func inode(_ fixture: StoreFixture, _ relative: String) -> UInt64? {
        var st = stat()
        return lstat(fixture.path(relative), &st) == 0 ? UInt64(st.st_ino) : nil
    }

    @Test func unchangedEntriesShareTheSymlinkInodeOfThePreviousGenerationAndNewOnesAreFresh() throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        let first = manifest("a", entries: 4)
        var second = first
        second.sets["tools"]?["e1"] = "/opt/changed/e1"
        second.sets["tools"]?["e9"] = "/opt/new/e9"
        second.sets["tools"]?["e3"] = nil
        let recording = RecordingSystemCalls()
        try fixture.write(recording) { writer in
            try writer.publish(name: "u", generation: "g1", manifest: first)
            recording.reset()
            try writer.publish(
                name: "u", generation: "g2", manifest: second,
                reusing: StoreWriter.Reuse(generation: "g1", manifest: first))
        }
        #expect(recording.names.filter { $0 == "linkat" }.count == 2)  // e0, e2
        #expect(recording.names.filter { $0 == "symlinkat" }.count == 2)  // e1 (new target), e9
        for entry in ["e0", "e2"] {
            #expect(inode(fixture, "u/g1/tools/\(entry)") == inode(fixture, "u/g2/tools/\(entry)"))
        }
        #expect(inode(fixture, "u/g1/tools/e1") != inode(fixture, "u/g2/tools/e1"))
        for (entry, target) in second.sets["tools"] ?? [:] { #expect(fixture.link("u/g2/tools/\(entry)") == target) }
        #expect(!fixture.exists("u/g2/tools/e3"))
        #expect(try fixture.store().manifest(name: "u", generation: "g2").hasSameContent(as: second))
    }

    /// fontconfig caches a directory's fonts by path and mtime: a successor whose set directory got the same mtime
    /// from the kernel's coarse clock would be read from the cache with the old fonts.
    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/dev/shm"), "needs a tmpfs at /dev/shm"))
    func aSuccessorsSetDirectoriesAlwaysHaveALaterMtime() throws {
        let directory = try TemporaryDirectory("reuse-mtime")
        defer { directory.remove() }
        // On tmpfs, fsync costs nothing: generations follow each other within one clock tick.
        let shm = "/dev/shm/" + (directory.path as NSString).lastPathComponent
        try FileManager.default.createDirectory(atPath: shm, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: shm) }
        let store = ExportStore(root: shm + "/export", faults: .none)
        func mtime(_ generation: String) -> Int64 {
            var st = stat()
            _ = lstat(shm + "/export/u/\(generation)/fonts", &st)
            return Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)
        }
        try store.withWriter(creatingRoot: true) { writer in
            var previous = manifest("g0", entries: 2, set: "fonts")
            try writer.publish(name: "u", generation: "g0", manifest: previous)
            for index in 1..<40 {
                var next = previous
                next.sets["fonts"]?["n\(index)"] = "/opt/n\(index)"
                try writer.publish(
                    name: "u", generation: "g\(index)", manifest: next,
                    reusing: StoreWriter.Reuse(generation: "g\(index - 1)", manifest: previous))
                #expect(mtime("g\(index)") > mtime("g\(index - 1)"), "g\(index)")
                previous = next
            }
        }
    }

    @Test func whereLinkatIsRefusedTheEntriesGetFreshSymlinks() throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        let first = manifest("a", entries: 3)
        let recording = RecordingSystemCalls()
        recording.inject(.crossDevice, into: "linkat")
        try fixture.write(recording) { writer in
            try writer.publish(name: "u", generation: "g1", manifest: first)
            recording.reset()
            var second = first
            second.version = "2"
            try writer.publish(
                name: "u", generation: "g2", manifest: second,
                reusing: StoreWriter.Reuse(generation: "g1", manifest: first))
        }
        // One refused linkat, then symlinks for every entry.
        #expect(recording.names.filter { $0 == "linkat" }.count == 1)
        #expect(recording.names.filter { $0 == "symlinkat" }.count == 3)
        for index in 0..<3 { #expect(fixture.link("u/g2/tools/e\(index)") == "/opt/a/e\(index)") }
    }

    @Test func inputsMakeTheManifestFormat2AndAreReadWithoutItsEntries() throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        var derived = manifest("a", entries: 50)
        derived = Manifest(source: "union:test", sets: derived.sets, inputs: ["x": "3", "y": "x1"])
        #expect(derived.format == 2)
        try fixture.write { try $0.publish(name: "@u", generation: "g1", manifest: derived) }
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: fixture.path("@u/g1/.manifest.json"))))
        #expect(String(decoding: bytes, as: UTF8.self).contains("\"format\": 2"))
        #expect(try fixture.store().inputs(name: "@u", generation: "g1") == ["x": "3", "y": "x1"])
        // The prefix read: the bytes after the sets are never looked at, so a manifest cut after its sets key
        // still gives the inputs; one not laid out by the store is decoded whole.
        let marker = Array("\n  \"sets\": ".utf8)
        let cut = try #require(bytes.firstRange(of: marker)).upperBound
        #expect(try Manifest.decodeInputs(Array(bytes[..<cut]), path: "p", context: "c") == ["x": "3", "y": "x1"])
        let compact = Array(#"{"format":2,"source":"s","sets":{"t":{"e":"/x"}},"inputs":{"a":"1"}}"#.utf8)
        #expect(try Manifest.decodeInputs(compact, path: "p", context: "c") == ["a": "1"])
        #expect(throws: StoreError.self) {
            try Manifest(source: "s", sets: ["t": ["e": "/x"]], inputs: ["../x": "1"]).validate(context: "c")
        }
    }

    @Test func aFormat1ManifestWithInputsIsRefused() throws {
        let bytes = Array(#"{"format":1,"source":"s","sets":{"t":{"e":"/x"}},"inputs":{"a":"1"}}"#.utf8)
        let decoded = try Manifest.decode(bytes, path: "p", context: "c")
        #expect(throws: StoreError.self) { try decoded.validate(context: "c") }
    }

    @Test func retireRemovesCurrentAndPreviousAndGCThenRemovesTheGenerationsAndTheDirectory() throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        try fixture.publishG1AndG2(thenSwitchTo: "g1", "g2")
        let outcome = try fixture.write { try $0.retire(name: "demo") }
        #expect(outcome == .retired(current: "g2", previous: "g1"))
        #expect(!fixture.exists("demo/current") && !fixture.exists("demo/previous"))
        #expect(fixture.names("demo").filter { $0.hasPrefix(".retired-") }.count == 2)
        #expect(try fixture.write { try $0.retire(name: "demo") } == .unchanged)
        // Within the grace period both stay; after it, gc removes them and the emptied directory.
        let kept = try fixture.write {
            try $0.collectGarbage(options: GCOptions(keep: 0), sourceGone: { _, _ in true })
        }
        #expect(kept.removed.isEmpty && kept.removedNames.isEmpty && fixture.exists("demo/g1"))
        let later = SystemClock.wallNanoseconds() + GCOptions.defaultGraceNanoseconds + 1
        let report = try fixture.write {
            try $0.collectGarbage(options: GCOptions(keep: 0, now: later), sourceGone: { _, _ in true })
        }
        #expect(Set(report.removed) == ["demo/g1", "demo/g2"])
        #expect(report.removedNames == ["demo"])
        #expect(!fixture.exists("demo"))
    }

    @Test func gcLeavesARetiredDirectoryThatStillHoldsSomething() throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        try fixture.publishG1AndG2(thenSwitchTo: "g1")
        try fixture.write { _ = try $0.retire(name: "demo") }
        #expect(symlink("g1", fixture.path("demo/.next-crashed")) == 0)
        let report = try fixture.write {
            try $0.collectGarbage(options: GCOptions(keep: 0, graceNanoseconds: 0), sourceGone: { _, _ in true })
        }
        #expect(report.removedNames.isEmpty && fixture.exists("demo/.next-crashed"))
        #expect(!fixture.exists("demo/g1"))
    }
}
