import Foundation
import GenerationStore
import GenerationStoreTesting
import Testing

/// The calls that change something on disk (or make it durable); reads and opens are left out.
private let mutating: Set<String> = ["mkdirat", "symlinkat", "renameat", "renameat2", "unlinkat", "fsync", "write"]

extension [RecordingSystemCalls.Call] {
    /// Only the calls that change the disk, in order.
    var mutations: [RecordingSystemCalls.Call] { filter { mutating.contains($0.name) } }

    /// The index of the first call named `name` whose arguments satisfy `matching`.
    func index(of name: String, _ matching: ([String]) -> Bool = { _ in true }) -> Int? {
        firstIndex { $0.name == name && matching($0.arguments) }
    }
}

@Suite("The order of system calls, observed through the recording seam")
struct CallOrderTests {
    /// Two sets (one nested) and three entries, published as demo/g2 after demo/g1 made the name directory.
    @Test("publish links and syncs every entry, set directory, manifest and the generation before one rename")
    func publishSyncsEverythingBeforeTheRename() throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        let content = Manifest(
            source: "t", sets: ["tools": ["a": "/opt/a", "b": "/opt/b"], "man/man1": ["x.1": "/opt/x.1"]])
        let (_, recording) = try fixture.recording(
            after: { try $0.publish(name: "demo", generation: "g1", manifest: manifest("first")) },
            { try $0.publish(name: "demo", generation: "g2", manifest: content) })
        let log = recording.log
        let rename = try #require(log.lastIndex { $0.name == "renameat2" })
        let staging = log[rename].arguments[0]
        #expect(log[rename].arguments.dropFirst() == ["g2", "NOREPLACE"])
        #expect(log.filter { $0.name == "renameat2" || $0.name == "renameat" }.count == 1)
        // It was built in .staging/<staging>, and nothing before the rename names the final generation.
        #expect(log.index(of: "mkdirat") { $0 == [staging] } != nil)
        #expect(!log[..<rename].contains { $0.arguments.contains("g2") && $0.name != "fstatat" })

        let links = log.indices.filter { log[$0].name == "symlinkat" }
        #expect(links.map { log[$0].arguments } == [["/opt/x.1", "x.1"], ["/opt/a", "a"], ["/opt/b", "b"]])
        let fsyncs = log.indices.filter { log[$0].name == "fsync" }
        let before = fsyncs.filter { $0 < rename }
        #expect(
            before.map { log[$0].arguments[0] }.sorted()
                == [".manifest.json", "man", "man1", staging, "tools"].sorted())
        func synced(_ name: String) throws -> Int { try #require(log.index(of: "fsync") { $0 == [name] }) }
        // Each directory is synced after what it holds, children before parents, the generation last.
        let manifestWrite = try #require(log.index(of: "write") { $0 == [".manifest.json"] })
        #expect(manifestWrite < (try synced(".manifest.json")))
        let (man1, man, tools, generation) = (
            try synced("man1"), try synced("man"), try synced("tools"), try synced(staging)
        )
        #expect(links.allSatisfy { $0 < man1 && $0 < tools })
        #expect(man1 < man)
        #expect(before.last == generation)
        // After the rename: the append of its record to the header cache (never synced), then the fsync of <name>/.
        #expect(Array(log[(rename + 1)...]).mutations.map(\.description) == ["write(.headers)", "fsync(demo)"])
    }

    @Test("the first switch links .next-*, renames it over current with NOREPLACE, then syncs the name")
    func firstSwitchOrder() throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        let (outcome, recording) = try fixture.recording(
            after: { try $0.publish(name: "demo", generation: "g1", manifest: manifest("a")) },
            { try $0.switchCurrent(name: "demo", to: "g1") })
        #expect(outcome == .switched(from: nil))
        let calls = recording.log.mutations
        try #require(calls.count == 3, "\(calls)")
        let next = calls[0].arguments[1]
        #expect(calls[0].name == "symlinkat" && calls[0].arguments[0] == "g1" && next.hasPrefix(".next-"))
        #expect(calls[1].description == "renameat2(\(next), current, NOREPLACE)")
        #expect(calls[2].description == "fsync(demo)")
        #expect(fixture.link("demo/current") == "g1")
        #expect(!fixture.exists("demo/previous"))
    }

    @Test("a switch links .next-*, exchanges it with current, renames it over previous, then syncs the name")
    func switchOrder() throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        let (outcome, recording) = try fixture.recording(
            after: { try $0.publishG1AndG2(thenSwitchTo: "g1") }, { try $0.switchCurrent(name: "demo", to: "g2") })
        #expect(outcome == .switched(from: "g1"))
        let flip = recording.log.mutations
        // Nothing leaves the current/previous pair (g1 becomes previous), so there is no retirement marker.
        try #require(flip.count == 4, "\(flip)")
        let next = flip[0].arguments[1]
        #expect(flip[0].name == "symlinkat" && flip[0].arguments[0] == "g2" && next.hasPrefix(".next-"))
        #expect(flip[1].description == "renameat2(\(next), current, EXCHANGE)")
        #expect(flip[2].description == "renameat(\(next), previous)")
        #expect(flip[3].description == "fsync(demo)")
        #expect(fixture.link("demo/current") == "g2")
        #expect(fixture.link("demo/previous") == "g1")
        #expect(!fixture.names("demo").contains { $0.hasPrefix(".next-") })
    }

    @Test("a switch that pushes a generation out of previous first records when it stopped being current")
    func switchToAThirdGenerationWritesAMarker() throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        let recording = RecordingSystemCalls()
        var previousSince: Int64 = 0
        try fixture.write(recording) { writer in
            for generation in ["g1", "g2", "g3"] {
                try writer.publish(name: "demo", generation: generation, manifest: manifest(generation))
            }
            try writer.switchCurrent(name: "demo", to: "g1")
            try writer.switchCurrent(name: "demo", to: "g2")
            var st = stat()
            try #require(lstat(fixture.path("demo/previous"), &st) == 0)
            previousSince = Int64(st.st_ctim.tv_sec) * 1_000_000_000 + Int64(st.st_ctim.tv_nsec)
            recording.reset()
            #expect(try writer.switchCurrent(name: "demo", to: "g3") == .switched(from: "g2"))
        }
        let calls = recording.log.mutations
        try #require(calls.count == 5, "\(calls)")
        // g1 leaves previous: a marker naming it, stamped with the ctime of the previous link, before the flip.
        let marker = calls[1]
        #expect(marker.name == "symlinkat" && marker.arguments[0] == "g1")
        #expect(marker.arguments[1].hasPrefix(".retired-\(String(format: "%019lld", previousSince))-"))
        #expect(calls[2].name == "renameat2" && calls[3].name == "renameat" && calls[4].name == "fsync")
        #expect(try fixture.store().retirements(of: "demo")["g1"] == previousSince)
        #expect(fixture.link("demo/previous") == "g2")
    }

    @Test("a rollback is one renameat2 EXCHANGE of current and previous, then a sync of the name")
    func rollbackOrder() throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        let (result, recording) = try fixture.recording(
            after: { try $0.publishG1AndG2(thenSwitchTo: "g1", "g2") }, { try $0.rollback(name: "demo") })
        #expect(result.from == "g2" && result.to == "g1")
        let calls = recording.log.mutations.filter {
            !($0.name == "symlinkat" && $0.arguments[1].hasPrefix(".retired-"))
        }
        #expect(calls.map(\.description) == ["renameat2(current, previous, EXCHANGE)", "fsync(demo)"])
        #expect(fixture.link("demo/current") == "g1")
        #expect(fixture.link("demo/previous") == "g2")
    }

    @Test("switching to the generation already current writes nothing")
    func switchToCurrentWritesNothing() throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        let (outcome, recording) = try fixture.recording(
            after: { writer in
                try writer.publish(name: "demo", generation: "g1", manifest: manifest("a"))
                try writer.switchCurrent(name: "demo", to: "g1")
            }, { try $0.switchCurrent(name: "demo", to: "g1") })
        #expect(outcome == .unchanged)
        #expect(recording.log.mutations == [])
    }

    @Test("a switch that is not durable makes no fsync")
    func nonDurableSwitchDoesNotSync() throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        let (_, recording) = try fixture.recording(
            after: { try $0.publishG1AndG2(thenSwitchTo: "g1") },
            { try $0.switchCurrent(name: "demo", to: "g2", durable: false) })
        #expect(!recording.names.contains("fsync"))
        #expect(recording.names.contains("renameat2"))
    }

    @Test("a switch or rollback costs the same system calls for a generation of 1 entry and of 10,000 entries")
    func switchCostIsConstant() throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        try fixture.write { writer in
            try writer.publish(name: "demo", generation: "base", manifest: manifest("base", entries: 1))
            try writer.publish(name: "demo", generation: "small", manifest: manifest("small", entries: 1))
            try writer.publish(name: "demo", generation: "big", manifest: manifest("big", entries: 10_000))
            try writer.publish(name: "demo", generation: "other", manifest: manifest("other", entries: 1))
            try writer.switchCurrent(name: "demo", to: "other")
            try writer.switchCurrent(name: "demo", to: "base")
        }
        #expect(fixture.names("demo/big/tools").count == 10_000)
        let recording = RecordingSystemCalls()
        var costs: [String: [String]] = [:]
        try fixture.write(recording) { writer in
            // Open the name directory and remove the root's stamp once (a writer's first change does), so the first
            // measured switch does not pay for them; current is base and previous other again after it.
            try writer.switchCurrent(name: "demo", to: "other")
            try writer.switchCurrent(name: "demo", to: "base")
            for (label, step) in [
                // Each of these pushes a generation out of previous (other, then base): same shape.
                ("to small", { () throws -> Void in try writer.switchCurrent(name: "demo", to: "small") }),
                ("to big", { try writer.switchCurrent(name: "demo", to: "big") }),
                // Each of these flips between current and previous: same shape.
                ("back to small", { try writer.switchCurrent(name: "demo", to: "small") }),
                ("back to big", { try writer.switchCurrent(name: "demo", to: "big") }),
                ("rollback to small", { _ = try writer.rollback(name: "demo") }),
                ("rollback to big", { _ = try writer.rollback(name: "demo") }),
            ] {
                recording.reset()
                try step()
                costs[label] = recording.names
            }
        }
        let switches = try #require(costs["to small"])
        #expect(costs["to big"] == switches)
        #expect(costs["back to big"] == costs["back to small"])
        #expect(costs["rollback to small"] == costs["rollback to big"])
        #expect(fixture.link("demo/current") == "big")
        #expect(switches.count < 20, "a switch made \(switches.count) calls: \(switches)")
    }
}
