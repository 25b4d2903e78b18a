import Foundation
import GenerationStore
import GenerationStoreTesting
import Glibc
import Testing
import TestSupport

@Suite("The root's stamp: removed by every writer before it changes anything")
struct StampTests {
    @Test func everyWriterRemovesTheStampWhenItTakesTheLockAndOnlyThen() throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        try fixture.publishG1AndG2(thenSwitchTo: "g1")
        let words = Array("checked against something\n".utf8)
        try fixture.write { try $0.writeStamp(words) }
        #expect(fixture.store().stamp() == words)
        // Readers leave it.
        _ = try fixture.store().verify()
        _ = try fixture.store().status()
        #expect(fixture.store().stamp() == words)
        // A writer that goes on to change something: the stamp is gone before its first change.
        let recording = RecordingSystemCalls()
        try fixture.write(recording) { writer in
            #expect(fixture.store().stamp() == nil, "gone as soon as the lock is held")
            try writer.switchCurrent(name: "demo", to: "g2")
        }
        let calls = recording.log.map(\.name)
        let dropped = try #require(
            recording.log.firstIndex { $0.name == "unlinkat" && $0.arguments.contains(Layout.stamp) })
        let locked = try #require(calls.firstIndex(of: "flock"))
        let firstChange = try #require(calls.firstIndex { ["symlinkat", "renameat2", "renameat"].contains($0) })
        #expect(locked < dropped && dropped < firstChange, "\(recording.log)")
        // One that changes nothing removes it too: the lock alone says a writer was there.
        try fixture.write { try $0.writeStamp(words) }
        try fixture.write { _ in }
        #expect(fixture.store().stamp() == nil)
        #expect(try fixture.store().verify() == [])
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
