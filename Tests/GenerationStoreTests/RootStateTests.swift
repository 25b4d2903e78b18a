import Foundation
import GenerationStore
import GenerationStoreTesting
import Testing
import TestSupport

@Suite("A writer writes only into an export root; it marks the roots it creates or adopts (issue 9, item 5)")
struct RootStateTests {
    @Test("a creating writer makes the marker durable under the lock before it writes anything else")
    func theMarkerComesFirstAndIsSynced() throws {
        let temp = try TemporaryDirectory()
        defer { temp.remove() }
        let root = temp.appending("export")
        let recording = RecordingSystemCalls()
        try ExportStore(root: root, system: recording, faults: .none).withWriter(creatingRoot: true) { writer in
            try writer.publish(name: "demo", generation: "g1", manifest: manifest("a"))
        }
        let log = recording.log
        let lock = try #require(log.firstIndex { $0.name == "flock" })
        let create = try #require(log.firstIndex { $0.name == "openat" && $0.arguments.first == Layout.marker })
        #expect(lock < create)
        // openat, write and fsync of the marker, then fsync of the root, and only then the publish.
        let after = log[create...].filter { ["write", "fsync", "mkdirat", "symlinkat"].contains($0.name) }
        #expect(
            after.prefix(3).map(\.description) == [
                "write(\(Layout.marker))", "fsync(\(Layout.marker))", "fsync(\(root))",
            ])
        #expect(try String(contentsOfFile: root + "/" + Layout.marker, encoding: .utf8) == Layout.markerContent)
        #expect(try ExportStore(root: root).rootState() == .marked)
    }

    @Test("a failing marker write takes the marker back and says where")
    func aFailedMarkerLeavesNoMarker() throws {
        let temp = try TemporaryDirectory()
        defer { temp.remove() }
        let root = temp.appending("export")
        let recording = RecordingSystemCalls()
        recording.inject(.noSpace, into: "write")
        let error = #expect(throws: StoreError.self) {
            try ExportStore(root: root, system: recording, faults: .none).withWriter(creatingRoot: true) { _ in }
        }
        #expect(error?.kind == .ioError)
        #expect(error?.path == root + "/" + Layout.marker)
        #expect(!FileManager.default.fileExists(atPath: root + "/" + Layout.marker))
        #expect(try ExportStore(root: root).rootState() == .unmarked)
    }

    @Test("a format-1 root is adopted by a writer that may not create a root; a foreign directory is refused")
    func adoptionAndRefusal() throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        try fixture.publishG1AndG2(thenSwitchTo: "g1", "g2")
        try FileManager.default.removeItem(atPath: fixture.path(Layout.marker))
        #expect(try fixture.store().rootState() == .unmarked)
        try fixture.write { _ in }
        #expect(try fixture.store().rootState() == .marked)

        // The same root with a file the store never writes is foreign: refused, nothing created.
        try FileManager.default.removeItem(atPath: fixture.path(Layout.marker))
        _ = FileManager.default.createFile(atPath: fixture.path("demo/README"), contents: Data("hi".utf8))
        #expect(try fixture.store().rootState() == .foreign("'demo/README' is not a generation directory"))
        for creating in [false, true] {
            let error = #expect(throws: StoreError.self) {
                try fixture.store().withWriter(creatingRoot: creating) { _ in }
            }
            #expect(error?.kind == .missingInput)
            #expect(error?.path == fixture.root)
            #expect(error?.reason.hasPrefix("not an export root: no .snap-export marker, and ") == true)
        }
        #expect(!fixture.exists(Layout.marker))

        // Without .lock a directory is never adopted, and a refused writer does not create .lock.
        let empty = try TemporaryDirectory()
        defer { empty.remove() }
        try FileManager.default.createDirectory(atPath: empty.appending("r/demo"), withIntermediateDirectories: true)
        let store = ExportStore(root: empty.appending("r"), faults: .none)
        #expect(try store.rootState() == .foreign("no .lock either"))
        #expect(throws: StoreError.self) { try store.withWriter(creatingRoot: true) { _ in } }
        #expect(!FileManager.default.fileExists(atPath: empty.appending("r/.lock")))
    }
}
