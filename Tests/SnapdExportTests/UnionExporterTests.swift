import Foundation
import GenerationStore
import GenerationStoreTesting
import Glibc
import SnapdExport
import Testing
import TestSupport

/// A snap world with generic snaps exporting man pages and fonts, linked through the hooks.
struct UnionWorld {
    let world: SnapWorld
    var root: String { world.root }

    init() throws { world = try SnapWorld() }
    func remove() { world.remove() }

    /// `<smd>/<instance>/<revision>` exporting `pages` (section from the name) and `fonts`; current set to it.
    @discardableResult
    func add(_ instance: String, _ revision: String, pages: [String] = [], fonts: [String] = [], current: Bool = true)
        throws -> String
    {
        let path = try world.addRevision(instance, revision)
        var sets: [String: [String: String]] = [:]
        for page in pages {
            let section = page.split(separator: ".").map(String.init).first { $0.first?.isNumber == true } ?? "1"
            let relative = "usr/share/man/man\(section.prefix(1))/\(page)"
            try world.write(path + "/" + relative, ".TH \(page) \(section)\n")
            sets["man/man\(section.prefix(1))", default: [:]][page] = relative
        }
        for font in fonts {
            try world.write(path + "/usr/share/fonts/\(font)", "font \(font) of \(instance) \(revision)\n")
            sets["fonts", default: [:]][font] = "usr/share/fonts/\(font)"
        }
        let data = try JSONSerialization.data(withJSONObject: ["format": 1, "sets": sets])
        try world.write(path + "/meta/exports.json", String(decoding: data, as: UTF8.self))
        if current { try world.setCurrent(instance, revision) }
        return path
    }

    func linker(_ system: any SystemCalls = LinuxSystemCalls()) -> SnapExportsLinker {
        SnapExportsLinker(store: world.store(system), settings: world.settings(system: system))
    }

    func unions(_ system: any SystemCalls = LinuxSystemCalls()) -> UnionExporter {
        UnionExporter(store: world.store(system), settings: world.settings(system: system))
    }

    @discardableResult
    func link(_ instance: String, _ revision: String) throws -> SnapExportsLinker.Report {
        try linker().link(instance: instance, revision: revision)
    }

    func current(_ name: String) -> String? { try? world.store().link("current", of: name) }

    /// Union entries (`set/entry` → link target) of a union's current generation, read from disk.
    func entries(_ union: String) -> [String: String] {
        var result: [String: String] = [:]
        let base = root + "/" + union + "/current"
        func visit(_ relative: String) {
            let full = relative.isEmpty ? base : base + "/" + relative
            for name in (try? FileManager.default.contentsOfDirectory(atPath: full)) ?? [] where !name.hasPrefix(".") {
                let child = relative.isEmpty ? name : relative + "/" + name
                if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: base + "/" + child) {
                    result[child] = target
                } else {
                    visit(child)
                }
            }
        }
        visit("")
        return result
    }

    /// True when `path` resolves to an existing file.
    func resolves(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0
    }

    /// The generations of a union (or any name).
    func generations(_ name: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: root + "/" + name)) ?? [])
            .filter { !$0.hasPrefix(".") && $0 != "current" && $0 != "previous" }.sorted()
    }
}

@Suite("Union views through link, unlink and refresh")
struct UnionExporterTests {
    @Test func linkPutsPagesAndFontsInTheUnionsAndTheManLinkInTheSnapMountDir() throws {
        let world = try UnionWorld()
        defer { world.remove() }
        try world.add("htop", "1", pages: ["htop.1"], fonts: ["Htop.ttf"])
        let report = try world.link("htop", "1")
        #expect(report.unions?.switched.count == 2)
        #expect(world.entries("@man") == ["man1/htop.1": world.root + "/htop/current/man/man1/htop.1"])
        #expect(world.entries("@fonts") == ["fonts/Htop.ttf": world.root + "/htop/1/fonts/Htop.ttf"])
        #expect(world.resolves(world.root + "/@man/current/man1/htop.1"))
        let manLink = world.world.snapMountDir + "/man"
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: manLink)) == world.root + "/@man/current")
        #expect(world.resolves(manLink + "/man1/htop.1"))
    }

    @Test func aRefreshWithTheSamePageNamesWritesNothingToTheManUnionAndRepublishesTheFonts() throws {
        let world = try UnionWorld()
        defer { world.remove() }
        try world.add("htop", "1", pages: ["htop.1"], fonts: ["Htop.ttf"])
        try world.link("htop", "1")
        let man = treeSnapshot(world.root + "/@man")
        let fontsBefore = world.current("@fonts")
        try world.add("htop", "2", pages: ["htop.1"], fonts: ["Htop.ttf"])
        try world.link("htop", "2")
        #expect(treeSnapshot(world.root + "/@man") == man)
        #expect(world.current("@fonts") != fontsBefore)
        #expect(world.entries("@fonts") == ["fonts/Htop.ttf": world.root + "/htop/2/fonts/Htop.ttf"])
        // refresh agrees (one small read per owner whose generation moved) and writes nothing.
        #expect(try world.unions().check() == nil)
        let everything = treeSnapshot(world.root)
        #expect(try world.unions().refresh().changed == false)
        #expect(treeSnapshot(world.root) == everything)
    }

    @Test func removedSnapsLeaveTheUnionsAtRefreshAndTheirNameIsRetired() throws {
        let world = try UnionWorld()
        defer { world.remove() }
        try world.add("htop", "1", pages: ["htop.1"], fonts: ["Htop.ttf"])
        try world.add("tio", "3", pages: ["tio.1"])
        try world.link("htop", "1")
        try world.link("tio", "3")
        try world.world.removeSnap("htop")
        #expect(try world.unions().check() != nil)
        let report = try world.unions().refresh()
        #expect(report.retired == ["htop"])
        #expect(world.entries("@man") == ["man1/tio.1": world.root + "/tio/current/man/man1/tio.1"])
        #expect(world.entries("@fonts").isEmpty && world.resolves(world.root + "/@fonts/current/fonts"))
        #expect(world.current("htop") == nil && (try? world.world.store().link("previous", of: "htop")) == nil)
        let again = try world.unions().check()
        #expect(again == nil, "\(again ?? "")")
        // gc then removes its generations (once the grace period is over) and the directory.
        let later = SystemClock.wallNanoseconds() + GCOptions.defaultGraceNanoseconds + 1
        let gc = try world.world.store().withWriter { writer in
            try GenerationSources.collectGarbage(
                with: writer, snapMountDir: world.world.snapMountDir, options: GCOptions(now: later))
        }
        #expect(gc.removedNames == ["htop"])
        #expect(!FileManager.default.fileExists(atPath: world.root + "/htop"))
    }

    @Test func aNewcomerNeverTakesAHeldNameAndTheConflictNamesBothSnapsAndTheEntry() throws {
        let world = try UnionWorld()
        defer { world.remove() }
        try world.add("b-fonts", "1", fonts: ["X.ttf"])
        try world.add("a-fonts", "1", fonts: ["X.ttf", "A.ttf"])
        try world.link("b-fonts", "1")
        let report = try world.link("a-fonts", "1")
        #expect(
            report.unions?.conflicts == [
                UnionConflict(union: "@fonts", set: "fonts", entry: "X.ttf", owner: "b-fonts", refused: "a-fonts")
            ])
        #expect(world.entries("@fonts")["fonts/X.ttf"] == world.root + "/b-fonts/1/fonts/X.ttf")
        #expect(world.entries("@fonts")["fonts/A.ttf"] == world.root + "/a-fonts/1/fonts/A.ttf")
        // Refreshing a-fonts does not move it either; removing b-fonts frees it for a-fonts.
        try world.add("a-fonts", "2", fonts: ["X.ttf", "A.ttf"])
        try world.link("a-fonts", "2")
        #expect(world.entries("@fonts")["fonts/X.ttf"] == world.root + "/b-fonts/1/fonts/X.ttf")
        try world.world.removeSnap("b-fonts")
        try world.unions().refresh()
        #expect(world.entries("@fonts")["fonts/X.ttf"] == world.root + "/a-fonts/2/fonts/X.ttf")
    }

    @Test func pagesNotNamedAfterTheSnapAreRefusedAndReported() throws {
        let world = try UnionWorld()
        defer { world.remove() }
        try world.add("htop", "1", pages: ["htop.1", "ls.1"])
        let report = try world.link("htop", "1")
        #expect(report.unions?.refused.map(\.entry) == ["ls.1"])
        #expect(world.entries("@man").keys.sorted() == ["man1/htop.1"])
    }

    @Test func aRevisionThatDropsAPageLosesItBeforeTheOwnerSwitchesAndAddsNewOnesAfter() throws {
        let world = try UnionWorld()
        defer { world.remove() }
        try world.add("tool", "1", pages: ["tool.1", "tool-old.1"])
        try world.link("tool", "1")
        try world.add("tool", "2", pages: ["tool.1", "tool-new.1"])
        // Record the order: the union without tool-old, then tool's switch, then the union with tool-new (the
        // targets of the .next- links each switch makes, in order).
        let recording = RecordingSystemCalls()
        try world.linker(recording).link(instance: "tool", revision: "2")
        let flips = recording.log.filter { $0.name == "symlinkat" && $0.arguments[1].hasPrefix(".next-") }
            .map { $0.arguments[0] }
        #expect(flips.count == 3 && flips[0].hasPrefix("u") && flips[1] == "2" && flips[2].hasPrefix("u"), "\(flips)")
        #expect(world.entries("@man").keys.sorted() == ["man1/tool-new.1", "man1/tool.1"])
        for entry in world.entries("@man").keys { #expect(world.resolves(world.root + "/@man/current/" + entry)) }
    }
    /// The unions' inputs list every owner, also one that gives a union nothing (snaps with man pages and no
    /// fonts, most of them on a real host), so refresh's check with nothing to do is link reads: it opens no owner's
    /// manifest. A root whose font union lists no owner (written before) is brought up to date once, then checks
    /// the same way.
    @Test func theCheckReadsTheRevisionOfAnAbsoluteOrSlashEndedCurrentAndOnlyTwoLinksPerOwner() throws {
        let world = try UnionWorld()
        defer { world.remove() }
        for snap in ["aa", "bb"] {
            try world.add(snap, "1", pages: ["\(snap).1"])
            try world.link(snap, "1")
        }
        try world.add("bb", "2", pages: ["bb.1"], current: false)
        // The same revision named by an absolute path with a trailing slash: nothing to do.
        let link = world.world.snapMountDir + "/bb/current"
        try FileManager.default.removeItem(atPath: link)
        try FileManager.default.createSymbolicLink(
            atPath: link, withDestinationPath: world.world.snapMountDir + "/bb/1/")
        let recording = RecordingSystemCalls()
        #expect(try world.unions(recording).check() == nil)
        let currentReads = recording.log.filter { $0.name == "readlinkat" }.compactMap(\.arguments.last)
            .filter { $0.hasSuffix("current") && !$0.hasPrefix("@") && !$0.hasPrefix("/") }
        #expect(currentReads.sorted() == ["aa/current", "aa/current", "bb/current", "bb/current"], "\(recording.log)")
        // Another revision so named is a switch outside the hooks.
        try FileManager.default.removeItem(atPath: link)
        try FileManager.default.createSymbolicLink(
            atPath: link, withDestinationPath: world.world.snapMountDir + "/bb/2//")
        #expect(try world.unions().check() == "bb's current revision is 2, bb/current names 1")
    }

    @Test func theCheckOfOwnersWithoutFontsOpensNoOwnerManifest() throws {
        let world = try UnionWorld()
        defer { world.remove() }
        for snap in ["aa", "bb", "cc"] {
            try world.add(snap, "1", pages: ["\(snap).1"])
            try world.link(snap, "1")
        }
        let store = world.world.store()
        for union in ["@man", "@fonts"] {
            let generation = try #require(world.current(union))
            #expect(try store.inputs(name: union, generation: generation) == ["aa": "1", "bb": "1", "cc": "1"])
        }
        func ownerManifestsOpened() throws -> [String] {
            let recording = RecordingSystemCalls()
            #expect(try world.unions(recording).check() == nil)
            return recording.log.filter { $0.name == "openat" }.compactMap(\.arguments.last)
                .filter { !$0.hasPrefix("@") && ($0.hasSuffix(".manifest.json") || ["aa", "bb", "cc"].contains($0)) }
        }
        let opened = try ownerManifestsOpened()
        #expect(opened == [], "\(opened)")

        // As written before: the font union's inputs list no owner. The first refresh completes them (one
        // republish of @fonts, same entries), and the check is link reads again.
        let fonts = try #require(world.current("@fonts"))
        var manifest = try store.manifest(name: "@fonts", generation: fonts)
        manifest.inputs = [:]
        let old = UnionView.generationName(of: manifest)
        try store.withWriter { writer in
            try writer.publish(name: "@fonts", generation: old, manifest: manifest)
            try writer.switchCurrent(name: "@fonts", to: old)
        }
        #expect(try world.unions().check()?.contains("@fonts's inputs do not list the owner aa") == true)
        let report = try world.unions().refresh()
        #expect(report.switched.map(\.union) == ["@fonts"])
        #expect(report.contentChanged.isEmpty)
        #expect(try ownerManifestsOpened() == [])
        #expect(try world.unions().refresh().changed == false)
    }
    /// The unions record their conflicts and refused entries in their manifests' notes, so `status`'s summary of
    /// them, when they are up to date, reads the two unions' headers and no owner's manifest, and says what the
    /// full survey of every owner says; a union written before is brought up to date by the next refresh.
    @Test func theSummaryOfConflictsAndRefusalsComesFromTheUnionsNotesAndMatchesTheFullSurvey() throws {
        let world = try UnionWorld()
        defer { world.remove() }
        try world.add("b-fonts", "1", pages: ["b-fonts.1"], fonts: ["X.ttf"])
        try world.add("a-fonts", "1", pages: ["a-fonts.1", "intruder.1"], fonts: ["X.ttf", "A.ttf"])
        try world.link("b-fonts", "1")
        try world.link("a-fonts", "1")
        let full = try #require(try UnionSurvey.read(world.unions()))
        let expectedConflicts = full.unions.flatMap(\.conflicts)
        let expectedRefused = full.unions.flatMap(\.refused)
        #expect(
            expectedConflicts == [
                UnionConflict(union: "@fonts", set: "fonts", entry: "X.ttf", owner: "b-fonts", refused: "a-fonts")
            ])
        #expect(expectedRefused.map(\.entry) == ["intruder.1"])
        let recording = RecordingSystemCalls()
        let summary = try #require(try UnionSurvey.summary(world.unions(recording)))
        #expect(summary.conflicts == expectedConflicts)
        #expect(summary.refused == expectedRefused)
        #expect(summary.upToDate)
        let owners = recording.log.filter { $0.name == "openat" }.compactMap(\.arguments.last)
            .filter { $0 == "a-fonts" || $0 == "b-fonts" || $0.hasPrefix("a-fonts/") || $0.hasPrefix("b-fonts/") }
        #expect(owners == [], "\(owners)")
        // Given the `current` links status read, the summary reads none of them again and says the same.
        let links = try world.world.store().links("current")
        let given = RecordingSystemCalls()
        let same = try #require(try UnionSurvey.summary(world.unions(given), links: links))
        #expect(same.conflicts == summary.conflicts && same.refused == summary.refused && same.upToDate)
        let rootReads = given.log.filter { $0.name == "readlinkat" }.compactMap(\.arguments.last)
            .filter { $0.hasSuffix("/current") && !$0.hasPrefix("/") && !$0.hasPrefix("@") }
        #expect(rootReads.sorted() == ["a-fonts/current", "b-fonts/current"], "\(given.log)")  // the snaps' own
        let readAlone = recording.log.filter { $0.name == "readlinkat" }.compactMap(\.arguments.last)
            .filter { $0.hasSuffix("/current") && !$0.hasPrefix("/") && !$0.hasPrefix("@") }
        #expect(
            readAlone.count == 4 && recording.log.contains { $0.name == "getdents" && $0.arguments == [world.root] })
        #expect(!given.log.contains { $0.name == "getdents" && $0.arguments == [world.root] }, "\(given.log)")

        // A font union as written before its notes were recorded: the summary falls back to the full survey
        // (the same answer), refresh records them once, and the check agrees again.
        let store = world.world.store()
        let fonts = try #require(world.current("@fonts"))
        var manifest = try store.manifest(name: "@fonts", generation: fonts)
        manifest.notes = nil
        let old = UnionView.generationName(of: manifest)
        try store.withWriter { writer in
            try writer.publish(name: "@fonts", generation: old, manifest: manifest)
            try writer.switchCurrent(name: "@fonts", to: old)
        }
        let fallback = try #require(try UnionSurvey.summary(world.unions()))
        #expect(fallback.conflicts == expectedConflicts && fallback.refused == expectedRefused)
        #expect(try world.unions().check()?.contains("before its conflicts were recorded") == true)
        let upgraded = try world.unions().refresh()
        #expect(upgraded.switched.map(\.union) == ["@fonts"], "\(upgraded.switched) \(upgraded.warnings)")
        #expect(try world.unions().check() == nil)
        let fontsNow = try #require(world.current("@fonts"))
        #expect(try store.header(name: "@fonts", generation: fontsNow).notes?.isEmpty == false)
    }
    /// After every step of a seeded sequence of refreshes (links of new revisions that add, drop and contend for
    /// page and font names, some refused) and snap removals followed by `refresh`, the conflicts and refused entries
    /// `status` reads from the unions' notes are exactly what a full survey of every owner finds.
    @Test func theRecordedConflictsFollowEveryLinkAndRemoval() throws {
        let world = try UnionWorld()
        defer { world.remove() }
        var seed: UInt64 = 20_261_203
        func next(_ bound: Int) -> Int {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((seed >> 33) % UInt64(bound))
        }
        let snaps = ["aa", "bb", "cc", "dd"]
        var revisions: [String: Int] = [:]
        var last: [String: Int] = [:]  // snap revisions only grow, also across a removal
        var seen = (conflicts: 0, refused: 0)
        for step in 0..<40 {
            let snap = snaps[next(snaps.count)]
            if next(6) == 0, revisions[snap] != nil {
                try world.world.removeSnap(snap)
                revisions[snap] = nil
                try world.unions().refresh()
            } else {
                let revision = (last[snap] ?? 0) + 1
                (revisions[snap], last[snap]) = (revision, revision)
                var pages = ["\(snap).1"]
                if next(2) == 0 { pages.append("\(snap)-extra.\(1 + next(3))") }
                if next(3) == 0 { pages.append("shared.1") }  // refused: not named after the snap
                let fonts = ["F\(next(3)).ttf", "G\(next(2)).ttf"].filter { _ in next(3) != 0 }
                try world.add(snap, String(revision), pages: pages, fonts: fonts)
                try world.link(snap, String(revision))
            }
            guard let full = try UnionSurvey.read(world.unions()) else { continue }
            let summary = try #require(try UnionSurvey.summary(world.unions()))
            #expect(summary.conflicts == full.unions.flatMap(\.conflicts), "step \(step)")
            #expect(summary.refused == full.unions.flatMap(\.refused), "step \(step)")
            #expect(summary.upToDate == full.unions.allSatisfy(\.upToDate), "step \(step)")
            seen.conflicts += summary.conflicts.count
            seen.refused += summary.refused.count
        }
        #expect(seen.conflicts > 0 && seen.refused > 0, "the sequence must contend and be refused: \(seen)")
    }
}
