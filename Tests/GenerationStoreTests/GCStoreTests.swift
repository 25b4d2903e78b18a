import Foundation
import GenerationStore
import GenerationStoreTesting
import Synchronization
import Testing
import TestSupport

/// A gc pass on a real export root with a constructed history.
@Suite struct GCStoreTests {
    static let minute: Int64 = 60 * 1_000_000_000

    /// g1…g6 published in order; g6 current, g5 previous; g4 retired 5 minutes before `now`, g3 retired
    /// 20 minutes before, g2 has a gone source, g1 is old. Two superseded markers of g3.
    static func constructed(_ temp: TemporaryDirectory) throws -> (ExportStore, Int64) {
        let store = ExportStore(root: temp.appending("root"), faults: .none)
        for index in 1...6 {
            try GCFixtures.publish(store, "snapd", "g\(index)", source: index == 2 ? "gone" : "snap:snapd/\(index)")
        }
        try GCFixtures.switchTo(store, "snapd", "g5")
        try GCFixtures.switchTo(store, "snapd", "g6")
        let now = SystemClock.wallNanoseconds() + 60 * minute
        try GCFixtures.retire(store, "snapd", "g4", at: now - 5 * minute)
        try GCFixtures.retire(store, "snapd", "g3", at: now - 40 * minute)
        try GCFixtures.retire(store, "snapd", "g3", at: now - 30 * minute)
        try GCFixtures.retire(store, "snapd", "g3", at: now - 20 * minute)
        return (store, now)
    }

    static let gone: SourceGonePredicate = { record, _ in record.header.source == "gone" }

    /// What a pass reads per name is bounded: each link once (`current`, `previous`, every marker), no look for an
    /// interrupted switch's link when the listing has none, the source predicate asked once per generation.
    @Test func aPassReadsEachLinkOnceAndAsksTheSourceOncePerGeneration() throws {
        let temp = try TemporaryDirectory()
        defer { temp.remove() }
        let (built, now) = try Self.constructed(temp)
        let recording = RecordingSystemCalls()
        let store = ExportStore(root: built.root, system: recording, faults: .none)
        final class Asked: Sendable { let list = Mutex<[String]>([]) }
        let asked = Asked()
        let report = try store.withWriter { writer in
            try writer.collectGarbage(
                options: GCOptions(keep: 1, dryRun: true, now: now),
                sourceGone: { record, siblings in
                    asked.list.withLock { $0.append(record.generation) }
                    return Self.gone(record, siblings)
                })
        }
        #expect(report.removed == ["snapd/g1", "snapd/g2", "snapd/g3"])
        let links = recording.log.filter { $0.name == "readlinkat" }.compactMap(\.arguments.last)
        // current, previous, and the five markers (g3's three, g4's, g5's from its switch away): each once.
        #expect(links.filter { $0 == "current" }.count == 1, "\(links)")
        #expect(links.filter { $0 == "previous" }.count == 1, "\(links)")
        #expect(!links.contains { $0.hasPrefix(".next-") }, "\(links)")
        #expect(links.count == Set(links).count, "\(links)")
        // Generations g1…g4 are neither current nor previous: the predicate is asked once for each.
        #expect(asked.list.withLock { $0.sorted() } == ["g1", "g2", "g3", "g4"])
    }

    @Test func aDryRunDecidesExactlyAndChangesNothing() throws {
        let temp = try TemporaryDirectory()
        defer { temp.remove() }
        let (store, now) = try Self.constructed(temp)
        let before = GCFixtures.listing(store.root)
        let report = try store.withWriter { writer in
            try writer.collectGarbage(options: GCOptions(keep: 1, dryRun: true, now: now), sourceGone: Self.gone)
        }
        #expect(GCFixtures.listing(store.root) == before)
        #expect(report.removed == ["snapd/g1", "snapd/g2", "snapd/g3"])
        var verdicts: [String: [String]] = [:]
        for decision in report.decisions { verdicts[decision.generation] = decision.reasons.map(\.code) }
        #expect(
            verdicts == [
                "g1": ["beyond-keep-n"], "g2": ["source-gone"], "g3": ["beyond-keep-n"], "g4": ["grace", "keep-n"],
                "g5": ["previous"], "g6": ["current"],
            ])
        // The three markers of g3 (removed); g4's and g5's latest stay.
        #expect(report.prunedMarkers.count == 3)
        #expect(report.dryRun)
    }

    @Test func aPassRemovesWhatTheDryRunNamedAndPrunesMarkers() throws {
        let temp = try TemporaryDirectory()
        defer { temp.remove() }
        let (store, now) = try Self.constructed(temp)
        let dry = try store.withWriter { writer in
            try writer.collectGarbage(
                options: GCOptions(keep: 0, graceNanoseconds: 10 * Self.minute, dryRun: true, now: now),
                sourceGone: Self.gone)
        }
        let report = try store.withWriter { writer in
            try writer.collectGarbage(
                options: GCOptions(keep: 0, graceNanoseconds: 10 * Self.minute, now: now), sourceGone: Self.gone)
        }
        #expect(report.removed == ["snapd/g1", "snapd/g2", "snapd/g3"])
        #expect(dry.removed == report.removed)
        #expect(report.leftovers.isEmpty)
        let remaining = try store.status(only: "snapd").first?.generations.map(\.name)
        #expect(remaining == ["g4", "g5", "g6"])
        // Markers of g3 (removed) are gone; g4's stays. g5 is previous: its retirement time is that link's ctime,
        // so the switch g5 -> g6 wrote no marker for it.
        let markers = try FileManager.default.contentsOfDirectory(atPath: store.path("snapd"))
            .filter { $0.hasPrefix(".retired-") }
        let retired = try store.retirements(of: "snapd")
        #expect(markers.count == 1)
        #expect(Set(retired.keys) == ["g4", "g5"])
        #expect(try store.verify().isEmpty)
        let again = try store.withWriter { writer in
            try writer.collectGarbage(
                options: GCOptions(keep: 0, graceNanoseconds: 10 * Self.minute, now: now), sourceGone: Self.gone)
        }
        #expect(again.removed.isEmpty)
        #expect(again.prunedMarkers.isEmpty)
    }

    @Test func aPassFinishesLeftoversInTrash() throws {
        let temp = try TemporaryDirectory()
        defer { temp.remove() }
        let store = ExportStore(root: temp.appending("root"), faults: .none)
        try GCFixtures.publish(store, "snapd", "g1", source: "x")
        try GCFixtures.switchTo(store, "snapd", "g1")
        let leftover = store.path(".trash", "0123456789abcdef")
        try FileManager.default.createDirectory(atPath: leftover + "/tools", withIntermediateDirectories: true)
        let outside = temp.appending("outside")
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: outside + "/sentinel", contents: Data("keep".utf8))
        try FileManager.default.createSymbolicLink(atPath: leftover + "/tools/x", withDestinationPath: outside)
        #expect(try store.verify().map(\.path) == [leftover])
        let report = try store.withWriter { try $0.collectGarbage(sourceGone: { _, _ in false }) }
        #expect(report.trashFinished == [leftover])
        #expect(try store.verify().isEmpty)
        #expect(FileManager.default.fileExists(atPath: outside + "/sentinel"))
    }
}
