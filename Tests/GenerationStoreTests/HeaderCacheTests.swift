import Foundation
import GenerationStore
import GenerationStoreTesting
import Glibc
import Testing
import TestSupport

/// The per-name header cache `<name>/.headers` (docs/format.md, "The header cache"): gc and status read no
/// manifest for a generation whose record matches its directory, and fall back to the manifest for anything else.
@Suite("header cache: one read per name instead of one manifest per generation")
struct HeaderCacheTests {
    static let far = SystemClock.wallNanoseconds() + 365 * 24 * 3600 * 1_000_000_000

    /// `app` with g1…g3 (g3 current, g2 previous) and `tool` with t1.
    static func populated() throws -> StoreFixture {
        let fixture = try StoreFixture("header-cache")
        try fixture.write { writer in
            for generation in ["g1", "g2", "g3"] {
                try writer.publish(name: "app", generation: generation, manifest: manifest(generation, entries: 2))
            }
            try writer.switchCurrent(name: "app", to: "g2")
            try writer.switchCurrent(name: "app", to: "g3")
            try writer.publish(name: "tool", generation: "t1", manifest: manifest("t1", entries: 1))
        }
        return fixture
    }

    /// The calls that open, read or close a manifest (not the `fstatat` that checks a record against it).
    static func manifestCalls(_ recording: RecordingSystemCalls) -> [RecordingSystemCalls.Call] {
        recording.log.filter { $0.name != "fstatat" && $0.arguments.contains { $0.hasSuffix(Manifest.fileName) } }
    }

    static func dryRun(_ store: ExportStore) throws -> GCReport {
        try store.withWriter { writer in
            try writer.collectGarbage(options: GCOptions(keep: 0, graceNanoseconds: 0, dryRun: true, now: far)) {
                _, _ in true
            }
        }
    }

    static func cacheLines(_ fixture: StoreFixture, _ name: String) -> [String] {
        let text = (try? String(contentsOfFile: fixture.path(name + "/" + Layout.headers), encoding: .utf8)) ?? ""
        return text.split(separator: "\n").map(String.init)
    }

    static func write(_ bytes: [UInt8], to path: String) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    /// Rewrites `name`'s cache with the record of `generation` saying it was published at `published` (a record
    /// the cache gets wrong; its inode number still matches, so readers take it).
    static func forgePublished(_ fixture: StoreFixture, _ name: String, _ generation: String, _ published: Int64) throws
    {
        let lines = cacheLines(fixture, name).map { line -> String in
            guard line.contains("\"generation\":\"\(generation)\""),
                let range = line.range(of: #""published":[0-9]+"#, options: .regularExpression)
            else { return line }
            return line.replacingCharacters(in: range, with: "\"published\":\(published)")
        }
        try #require(lines.contains { $0.contains("\(published)") })
        try write(Array((lines.joined(separator: "\n") + "\n").utf8), to: fixture.path(name + "/" + Layout.headers))
    }

    @Test func statusAndGCWithAValidCacheOpenNoManifestAndDecideTheSame() throws {
        let fixture = try Self.populated()
        defer { fixture.remove() }
        #expect(Self.cacheLines(fixture, "app").count == 3)
        let recording = RecordingSystemCalls()
        let status = try fixture.store(recording).status()
        #expect(Self.manifestCalls(recording).isEmpty, "\(recording.log)")
        // gc opens the manifests of the names it removes generations of (every generation of both names here): what
        // it removes is decided from them (`gcRemovesNothingOnTheWordOfAWrongRecord`, `gcRanksByTheManifests…`).
        recording.reset()
        let report = try Self.dryRun(fixture.store(recording))
        #expect(
            Self.manifestCalls(recording).filter { $0.name == "openat" }.compactMap(\.arguments.last)
                == ["g1", "g2", "g3", "t1"].map { $0 + "/" + Manifest.fileName }, "\(recording.log)")
        // One read of each name's cache, and no call per generation: the listing's d_ino identifies it.
        let cacheOpens = recording.log.filter { $0.name == "openat" && $0.arguments.last == Layout.headers }
        #expect(cacheOpens.count == 2, "\(recording.log)")  // gc's, one per name (status's before the reset)
        let generations: Set<String> = ["g1", "g2", "g3", "t1"]
        #expect(!recording.log.contains { $0.name == "fstatat" && generations.contains($0.arguments.first ?? "") })

        // The same without the cache, read from the manifests.
        for name in ["app", "tool"] { try #require(unlink(fixture.path(name + "/" + Layout.headers)) == 0) }
        let plain = RecordingSystemCalls()
        #expect(try fixture.store(plain).status() == status)
        let uncached = try Self.dryRun(fixture.store(plain))
        #expect(uncached.decisions == report.decisions)
        #expect(uncached.removed == report.removed && report.removed == ["app/g1", "tool/t1"])
        #expect(Self.manifestCalls(plain).filter { $0.name == "openat" }.count == 12, "\(plain.log)")  // 4 + 4 + 4
        #expect(status.first?.generations.map(\.entries) == [2, 2, 2])
        #expect(status.first?.generations.allSatisfy { $0.published != nil } == true)
    }

    @Test func aGenerationPublishedAgainUnderTheSameNameIsNotServedByTheOldRecord() throws {
        let fixture = try StoreFixture("header-cache")
        defer { fixture.remove() }
        try fixture.write { try $0.publish(name: "app", generation: "g1", manifest: manifest("old", entries: 1)) }
        let before = try fixture.store().header(name: "app", generation: "g1")
        let stale = try Data(contentsOf: URL(fileURLWithPath: fixture.path("app/.headers")))
        // Taken out of the root (kept elsewhere, so its inode number stays in use) and published again with other
        // content; then only the old record is left, as after a removal that did not rewrite the cache: it names
        // g1, but not this directory.
        try #require(rename(fixture.path("app/g1"), fixture.directory.appending("old-g1")) == 0)
        try fixture.write { try $0.publish(name: "app", generation: "g1", manifest: manifest("new", entries: 4)) }
        try stale.write(to: URL(fileURLWithPath: fixture.path("app/.headers")))
        let after = try fixture.store().header(name: "app", generation: "g1")
        #expect(after.published != before.published)
        let recording = RecordingSystemCalls()
        let status = try fixture.store(recording).status(only: "app")
        #expect(status.first?.generations.first?.published == after.published)
        #expect(status.first?.generations.first?.entries == 4)
        #expect(Self.manifestCalls(recording).map(\.name) == ["openat", "pread", "close"], "\(recording.log)")
        let decisions = try Self.dryRun(fixture.store()).decisions
        #expect(decisions.map(\.published) == [after.published])
    }

    @Test func publishingAGenerationWhoseStaleRecordIsCachedRemovesThatCacheFirst() throws {
        let fixture = try StoreFixture("header-cache")
        defer { fixture.remove() }
        try fixture.write { writer in
            try writer.publish(name: "app", generation: "g1", manifest: manifest("old", entries: 1))
            try writer.publish(name: "app", generation: "g2", manifest: manifest("g2", entries: 1))
        }
        #expect(Self.cacheLines(fixture, "app").count == 2)
        // g1 gone without a rewrite of the cache (a gc killed before it): its record is stale.
        try #require(rename(fixture.path("app/g1"), fixture.directory.appending("old-g1")) == 0)
        let recording = RecordingSystemCalls()
        try fixture.write(recording) {
            try $0.publish(name: "app", generation: "g1", manifest: manifest("new", entries: 2))
        }
        // The stale record went with the cache before the rename; what is left is the new record alone.
        let lines = Self.cacheLines(fixture, "app")
        #expect(lines.count == 1 && lines.first?.contains("\"g1\"") == true, "\(lines)")
        let unlinked = recording.log.firstIndex { $0.name == "unlinkat" && $0.arguments.last == Layout.headers }
        let renamed = recording.log.firstIndex { $0.name == "renameat2" }
        #expect(unlinked != nil && renamed != nil && unlinked! < renamed!, "\(recording.log)")
        // In publication order: g2, then the new g1.
        #expect(try fixture.store().status(only: "app").first?.generations.map(\.entries) == [1, 2])
    }

    @Test(
        "a writer killed between the publish rename and the cache append: gc and status still right",
        .enabled(if: TestEnvironment.faultPointsArmed, "fault points exist only in debug builds"))
    func aCrashBeforeTheAppendFallsBackToTheManifest() throws {
        let fixture = try Self.populated()
        defer { fixture.remove() }
        let killed = try snapExport(
            ["--root", fixture.root, "publish", "app", "g4", "--entry", "tools/e0=/opt/g4/e0"],
            environment: ["SNAP_EXPORT_FAULT": FaultPoint.publishRenamed.rawValue])
        #expect(killed.signaled && killed.status == SIGKILL, "exit \(killed.status): \(killed.stderr)")
        #expect(!Self.cacheLines(fixture, "app").contains { $0.contains("\"g4\"") })
        let recording = RecordingSystemCalls()
        let status = try fixture.store(recording).status(only: "app")
        #expect(status.first?.generations.map(\.name) == ["g1", "g2", "g3", "g4"])
        #expect(status.first?.generations.last?.entries == 1)
        #expect(status.first?.generations.last?.published != nil)
        // Only g4's manifest is read.
        #expect(
            Set(Self.manifestCalls(recording).filter { $0.name == "openat" }.flatMap(\.arguments))
                == ["g4/" + Manifest.fileName], "\(recording.log)")
        let cached = try Self.dryRun(fixture.store())
        try #require(unlink(fixture.path("app/.headers")) == 0)
        #expect(try Self.dryRun(fixture.store()).decisions == cached.decisions)
        #expect(try fixture.store().verify() == [])
    }

    /// Caches that must not be used, each with what it does to a wrong record: the generations are still read
    /// right (from their manifests), and nothing blocks or crashes.
    static let unusable: [(label: String, make: @Sendable (StoreFixture, [UInt8]) throws -> Void)] = [
        (
            "garbage",
            { fixture, _ in
                try HeaderCacheTests.write(Array("\u{1}{{{\"x\n\n]]\n".utf8), to: fixture.path("app/.headers"))
            }
        ),
        (
            "a torn last line",
            { fixture, wrong in try HeaderCacheTests.write(wrong.dropLast(), to: fixture.path("app/.headers")) }
        ),
        (
            "a torn record and a whole one on one line",
            { fixture, wrong in
                // Without the newline an append starts with, a record written after a torn one shares its line: that
                // line must not parse, wherever the first record was torn.
                var bytes: [UInt8] = []
                for cut in 1..<(wrong.count - 1) { bytes += wrong.prefix(cut) + wrong }
                try HeaderCacheTests.write(bytes, to: fixture.path("app/.headers"))
            }
        ),
        (
            "over the 16 MiB cap",
            { fixture, wrong in
                let path = fixture.path("app/.headers")
                try HeaderCacheTests.write(wrong, to: path)
                try #require(truncate(path, off_t(17 << 20)) == 0)
            }
        ),
        (
            "deeply nested",
            { fixture, _ in
                let deep = Array("{\"x\":".utf8) + [UInt8](repeating: UInt8(ascii: "["), count: 200_000) + [0x0A]
                try HeaderCacheTests.write(deep, to: fixture.path("app/.headers"))
            }
        ),
        ("a FIFO", { fixture, _ in try #require(mkfifo(fixture.path("app/.headers"), 0o644) == 0) }),
        ("a directory", { fixture, _ in try #require(mkdir(fixture.path("app/.headers"), 0o755) == 0) }),
        (
            "a symlink to a good cache",
            { fixture, wrong in
                try HeaderCacheTests.write(wrong, to: fixture.path("elsewhere"))
                try #require(symlink("../elsewhere", fixture.path("app/.headers")) == 0)
            }
        ),
    ]

    @Test(arguments: unusable.indices)
    func anUnusableCacheFallsBackToTheManifests(_ index: Int) throws {
        let fixture = try Self.populated()
        defer { fixture.remove() }
        // A record of g1 as g1's directory is now, but with a wrong header: used, it would show 99 entries.
        let line = try #require(Self.cacheLines(fixture, "app").first { $0.contains("\"g1\"") })
        let wrong = Array(line.replacingOccurrences(of: "\"entries\":2", with: "\"entries\":99").utf8) + [0x0A]
        try #require(unlink(fixture.path("app/.headers")) == 0)
        try Self.unusable[index].make(fixture, wrong)
        let status = try fixture.store().status(only: "app")
        #expect(status.first?.generations.map(\.entries) == [2, 2, 2], "\(Self.unusable[index].label)")
        #expect(try Self.dryRun(fixture.store()).removed == ["app/g1", "tool/t1"])
    }

    @Test func theWrongRecordOfThoseTestsIsUsedWhenWhole() throws {
        // The control of `anUnusableCacheFallsBackToTheManifests`: the same record, whole, is served (so those
        // tests see the fallback, not a record that never matched).
        let fixture = try Self.populated()
        defer { fixture.remove() }
        let lines = Self.cacheLines(fixture, "app").map {
            $0.contains("\"g1\"") ? $0.replacingOccurrences(of: "\"entries\":2", with: "\"entries\":99") : $0
        }
        try Self.write(Array((lines.joined(separator: "\n") + "\n").utf8), to: fixture.path("app/.headers"))
        #expect(try fixture.store().status(only: "app").first?.generations.map(\.entries) == [99, 2, 2])
    }

    @Test func gcRemovesNothingOnTheWordOfAWrongRecord() throws {
        // g1 was published a moment ago (its grace period holds it); its record, forged, says an hour ago. gc decides
        // what it removes from the manifests, so g1 stays, in a dry run and in a real one.
        let fixture = try Self.populated()
        defer { fixture.remove() }
        let hourAgo = SystemClock.wallNanoseconds() - 3600 * 1_000_000_000
        try Self.forgePublished(fixture, "app", "g1", hourAgo)
        // The forged record is what status serves (it is a cache).
        let served = try fixture.store().status(only: "app").first?.generations.first { $0.name == "g1" }
        #expect(served?.published == hourAgo)
        for dryRun in [true, false] {
            let report = try fixture.write { writer in
                try writer.collectGarbage(options: GCOptions(keep: 0, dryRun: dryRun)) { _, _ in false }
            }
            #expect(!report.removed.contains("app/g1"), "\(report.removed)")
            let g1 = report.decisions.first { $0.name == "app" && $0.generation == "g1" }
            #expect(g1?.remove == false)
            #expect(g1?.protectedBy.contains { $0.code == "grace" } == true, "\(String(describing: g1))")
        }
        #expect(fixture.exists("app/g1"))
    }

    @Test func gcRanksByTheManifestsNotByAWrongRecordOfAGenerationItKeeps() throws {
        // g1…g5 published in order, g5 current, g4 previous: keep-N 2 keeps g3 and g2 and removes g1. g1's record,
        // forged, makes it the newest: on the cache's word g2 would rank third and go instead.
        let fixture = try StoreFixture("header-cache-rank")
        defer { fixture.remove() }
        try fixture.write { writer in
            for generation in ["g1", "g2", "g3", "g4", "g5"] {
                try writer.publish(name: "app", generation: generation, manifest: manifest(generation, entries: 1))
            }
            try writer.switchCurrent(name: "app", to: "g4")
            try writer.switchCurrent(name: "app", to: "g5")
        }
        let forged = Self.far - 10
        try Self.forgePublished(fixture, "app", "g1", forged)
        for dryRun in [true, false] {
            let report = try fixture.write { writer in
                try writer.collectGarbage(
                    options: GCOptions(keep: 2, graceNanoseconds: 0, dryRun: dryRun, now: Self.far)
                ) { _, _ in false }
            }
            #expect(report.removed == ["app/g1"], "\(report.removed)")
        }
        #expect(fixture.exists("app/g2") && !fixture.exists("app/g1"))
    }

    @Test func verifyReportsARecordThatDisagreesAndRepairRemovesTheCache() throws {
        let fixture = try Self.populated()
        defer { fixture.remove() }
        let lines = Self.cacheLines(fixture, "app").map {
            $0.contains("\"g2\"")
                ? $0.replacingOccurrences(of: "\"source\":\"test:g2\"", with: "\"source\":\"forged\"") : $0
        }
        try #require(lines.contains { $0.contains("forged") })
        try Self.write(Array((lines.joined(separator: "\n") + "\n").utf8), to: fixture.path("app/.headers"))
        let problems = try fixture.store().verify()
        #expect(problems.map(\.path) == [fixture.path("app/.headers")], "\(problems)")
        #expect(problems.first?.message.contains("g2") == true)
        let report = try fixture.write { try $0.repair() }
        #expect(report.removed == [fixture.path("app/.headers")])
        #expect(!fixture.exists("app/.headers") && fixture.exists("tool/.headers"))
        #expect(try fixture.store().verify() == [])
        // A record that matches no generation (stale) is no problem; the gc command writes the cache again.
        try fixture.write { writer in
            _ = try writer.collectGarbage(options: GCOptions(keep: 5, dryRun: false, healHeaderCaches: true)) {
                _, _ in false
            }
        }
        #expect(Self.cacheLines(fixture, "app").count == 3)
        #expect(try fixture.store().verify() == [])
    }

    @Test func aCacheThatIsNotARegularFileIsAProblemRepairRemoves() throws {
        let fixture = try Self.populated()
        defer { fixture.remove() }
        try #require(unlink(fixture.path("app/.headers")) == 0 && mkdir(fixture.path("app/.headers"), 0o755) == 0)
        #expect(try fixture.store().verify().map(\.path) == [fixture.path("app/.headers")])
        _ = try fixture.write { try $0.repair() }
        #expect(!fixture.exists("app/.headers"))
        #expect(try fixture.store().verify() == [])
    }

    @Test func gcRewritesTheCacheWithoutTheGenerationsItRemoved() throws {
        let fixture = try Self.populated()
        defer { fixture.remove() }
        // Garbage too: a rewrite drops it.
        let path = fixture.path("app/.headers")
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("not a record\n".utf8))
        try handle.close()
        let report = try fixture.write { writer in
            try writer.collectGarbage(options: GCOptions(keep: 0, graceNanoseconds: 0, now: Self.far)) { _, _ in true }
        }
        #expect(report.removed == ["app/g1", "tool/t1"])
        let lines = Self.cacheLines(fixture, "app")
        #expect(lines.count == 2 && lines.allSatisfy { $0.contains("\"g2\"") || $0.contains("\"g3\"") }, "\(lines)")
        // `tool` lost its only generation and has no link: its directory went, cache and all.
        #expect(!fixture.exists("tool"))
        #expect(report.removedNames == ["tool"])
        let recording = RecordingSystemCalls()
        _ = try fixture.store(recording).status()
        #expect(Self.manifestCalls(recording).isEmpty, "\(recording.log)")
        #expect(try fixture.store().verify() == [])
    }

    @Test func aRootWithoutCachesWorksAndGetsThemOnlyFromTheGCCommand() throws {
        let fixture = try Self.populated()
        defer { fixture.remove() }
        let expected = try fixture.store().status()
        for name in ["app", "tool"] { try #require(unlink(fixture.path(name + "/" + Layout.headers)) == 0) }
        #expect(try fixture.store().status() == expected)
        // A pass as refresh makes it (no removal, no healing) writes nothing.
        let recording = RecordingSystemCalls()
        _ = try fixture.store(recording).withWriter { writer in
            try writer.collectGarbage(options: GCOptions(keep: 5)) { _, _ in false }
        }
        #expect(!fixture.exists("app/.headers"))
        // (Every writer removes the root's stamp when it takes the lock: that `unlinkat` is not the cache's.)
        #expect(
            !Self.writes(recording).contains { ["write", "renameat", "unlinkat", "mkdirat"].contains($0) },
            "\(recording.log)")
        // The gc command's pass writes each name's cache; status then reads no manifest.
        _ = try fixture.write { writer in
            try writer.collectGarbage(options: GCOptions(keep: 5, healHeaderCaches: true)) { _, _ in false }
        }
        #expect(Self.cacheLines(fixture, "app").count == 3 && Self.cacheLines(fixture, "tool").count == 1)
        let after = RecordingSystemCalls()
        #expect(try fixture.store(after).status() == expected)
        #expect(Self.manifestCalls(after).isEmpty, "\(after.log)")
        // With every record valid, a second healing pass writes nothing.
        let again = RecordingSystemCalls()
        _ = try fixture.store(again).withWriter { writer in
            try writer.collectGarbage(options: GCOptions(keep: 5, healHeaderCaches: true)) { _, _ in false }
        }
        #expect(!Self.writes(again).contains { ["write", "renameat", "unlinkat"].contains($0) }, "\(again.log)")
    }

    /// The names of the calls of `recording` but the writer's removal of the root's stamp.
    static func writes(_ recording: RecordingSystemCalls) -> [String] {
        recording.log.filter { !($0.name == "unlinkat" && $0.arguments.contains(Layout.stamp)) }.map(\.name)
    }

    @Test func anUnmarkedRootWithACacheIsStillAdopted() throws {
        let fixture = try Self.populated()
        defer { fixture.remove() }
        try #require(unlink(fixture.path(Layout.marker)) == 0)
        #expect(try fixture.store().rootState() == .unmarked)
        try Self.write(Array("x".utf8), to: fixture.path(Layout.marker))
        try #require(unlink(fixture.path(Layout.marker)) == 0)
        try #require(unlink(fixture.path("app/.headers")) == 0 && mkfifo(fixture.path("app/.headers"), 0o644) == 0)
        if case .foreign = try fixture.store().rootState() {} else { Issue.record("a FIFO .headers was accepted") }
    }
}
