import Foundation
import GenerationStore
import GenerationStoreTesting
import Glibc
import Testing
import TestSupport

@Suite("The root's stamp: removed by every writer before it changes anything")
struct StampTests {
    @Test func aWriterRemovesTheStampBeforeItsFirstChangeAndOneThatChangesNothingLeavesIt() throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        try fixture.publishG1AndG2(thenSwitchTo: "g1")
        let words = Array("checked against something\n".utf8)
        try fixture.write { try $0.writeStamp(words) }
        #expect(fixture.store().stamp() == words)
        // Readers, and writers that change nothing: a dry-run gc, a switch to what is current.
        _ = try fixture.store().verify()
        _ = try fixture.store().status()
        try fixture.write { writer in
            _ = try writer.collectGarbage(options: GCOptions(dryRun: true)) { _, _ in true }
            // A pass that removes nothing (everything within keep and grace), with `.trash` and `.staging` empty.
            let kept = try writer.collectGarbage(options: GCOptions()) { _, _ in false }
            #expect(kept.removed.isEmpty && !kept.changes)
            _ = try writer.emptyTrash()
            #expect(try writer.switchCurrent(name: "demo", to: "g1") == .unchanged)
        }
        #expect(fixture.store().stamp() == words)
        // A writer that changes something: the stamp goes before its first change.
        let recording = RecordingSystemCalls()
        try fixture.write(recording) { writer in try writer.switchCurrent(name: "demo", to: "g2") }
        #expect(fixture.store().stamp() == nil)
        let calls = recording.log.map(\.name)
        let dropped = try #require(
            recording.log.firstIndex { $0.name == "unlinkat" && $0.arguments.contains(Layout.stamp) })
        let firstChange = try #require(calls.firstIndex { ["symlinkat", "renameat2", "renameat"].contains($0) })
        #expect(dropped < firstChange, "\(recording.log)")
        #expect(try fixture.store().verify() == [])
    }

    /// Every operation that changes the root, each on a root with a stamp.
    @Test(arguments: ["publish", "switch", "rollback", "retire", "gc", "remove", "emptyTrash", "repair"])
    func everyChangingOperationRemovesTheStamp(_ operation: String) throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        try fixture.write { writer in
            try writer.publishG1AndG2(thenSwitchTo: ["g1", "g2"])
            try writer.publish(name: "demo", generation: "g3", manifest: manifest("c"))
            try writer.writeStamp(Array("x\n".utf8))
        }
        try fixture.write { writer in
            switch operation {
            case "publish": try writer.publish(name: "demo", generation: "g4", manifest: manifest("d"))
            case "switch": try writer.switchCurrent(name: "demo", to: "g3")
            case "rollback": _ = try writer.rollback(name: "demo")
            case "retire": _ = try writer.retire(name: "demo")
            case "gc": _ = try writer.collectGarbage(options: GCOptions(keep: 0, graceNanoseconds: 0)) { _, _ in false }
            case "remove": _ = try writer.removeGeneration(name: "demo", generation: "g3")
            case "emptyTrash":
                // What an interrupted gc leaves.
                #expect(mkdir(fixture.path(Layout.trash), 0o755) == 0 || errno == EEXIST)
                #expect(mkdir(fixture.path(Layout.trash + "/left"), 0o755) == 0)
                #expect(try writer.emptyTrash().removed == [fixture.path(Layout.trash + "/left")])
            default: _ = try writer.repair()
            }
        }
        #expect(fixture.store().stamp() == nil, "after \(operation)")
    }

    @Test func aStampThatCannotBeDroppedStopsTheWriterBeforeItChangesAnything() throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        try fixture.publishG1AndG2(thenSwitchTo: "g1")
        try fixture.write { try $0.writeStamp(Array("x\n".utf8)) }
        let failing = RecordingSystemCalls()
        failing.inject(.readOnlyFileSystem, into: "unlinkat") { $0.arguments.contains(Layout.stamp) }
        #expect(throws: StoreError.self) {
            try fixture.write(failing) { try $0.switchCurrent(name: "demo", to: "g2") }
        }
        #expect(fixture.link("demo/current") == "g1")
        #expect(fixture.store().stamp() == Array("x\n".utf8))
    }

    @Test func aStampThatIsNotARegularFileIsNoStampVerifyReportsItAndRepairRemovesIt() throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        try fixture.publishG1AndG2(thenSwitchTo: "g1")
        #expect(mkdir(fixture.path(Layout.stamp), 0o755) == 0)
        #expect(fixture.store().stamp() == nil)
        let problems = try fixture.store().verify()
        #expect(problems.map(\.path) == [fixture.path(Layout.stamp)], "\(problems)")
        #expect(problems.first?.message.contains("not the stamp") == true)
        let report = try fixture.write { try $0.repair() }
        #expect(report.removed == [fixture.path(Layout.stamp)])
        #expect(try fixture.store().verify() == [])
        // Too large for one: written by no writer, read as none.
        try Data(repeating: 0x61, count: Layout.stampCap + 1).write(
            to: URL(fileURLWithPath: fixture.path(Layout.stamp)))
        #expect(fixture.store().stamp() == nil)
        #expect(throws: StoreError.self) {
            try fixture.write { try $0.writeStamp([UInt8](repeating: 0x61, count: Layout.stampCap + 1)) }
        }
    }
}
