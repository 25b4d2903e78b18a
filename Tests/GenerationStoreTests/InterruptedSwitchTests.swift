import Foundation
import GenerationStore
import GenerationStoreTesting
import Testing

/// The states a switch leaves when it stops between its steps (issue 9, item 2), made on disk exactly as the
/// protocol leaves them (docs/format.md, "switch"), and what each command then does with them.
@Suite("A switch interrupted after its exchange is recognised and completed; one interrupted before it is undone")
struct InterruptedSwitchTests {
    /// demo/g1, g2, g3 published; current g2, previous g1.
    static func threeGenerations() throws -> StoreFixture {
        let fixture = try StoreFixture()
        try fixture.write { writer in
            try writer.publishG1AndG2(thenSwitchTo: ["g1", "g2"])
            try writer.publish(name: "demo", generation: "g3", manifest: manifest("c"))
        }
        return fixture
    }

    /// What `switch demo g3` leaves when killed right after `renameat2(RENAME_EXCHANGE)`: current g3, previous g1,
    /// the pending link named after g3 naming the displaced g2.
    static func afterTheExchange(_ fixture: StoreFixture) throws {
        let pending = fixture.path("demo/" + Layout.pendingLink(switchingTo: "g3"))
        #expect(symlink("g3", pending) == 0)
        #expect(renameat2Exchange(pending, fixture.path("demo/current")))
        #expect(fixture.link("demo/current") == "g3")
    }

    /// What `switch demo g3` leaves when killed before the exchange: current g2, the pending link naming g3.
    static func beforeTheExchange(_ fixture: StoreFixture) throws {
        #expect(symlink("g3", fixture.path("demo/" + Layout.pendingLink(switchingTo: "g3"))) == 0)
    }

    @Test("the two states differ by the pending link's name, not its shape: verify says which, repair does it")
    func repairCompletesOrUndoes() throws {
        for exchanged in [true, false] {
            let fixture = try Self.threeGenerations()
            defer { fixture.remove() }
            if exchanged { try Self.afterTheExchange(fixture) } else { try Self.beforeTheExchange(fixture) }
            let problems = try fixture.store().verify()
            #expect(problems.count == 1)
            let message = problems.first?.message ?? ""
            #expect(message.contains("interrupted after its exchange: previous must name g2") == exchanged, "\(message)")
            let report = try fixture.write { try $0.repair() }
            if exchanged {
                #expect(report.completed == [.init(name: "demo", current: "g3", previous: "g2")])
                #expect(report.removed.isEmpty)
                #expect(fixture.link("demo/current") == "g3")
                #expect(fixture.link("demo/previous") == "g2")
            } else {
                #expect(report.completed.isEmpty)
                #expect(report.removed == [fixture.path("demo/" + Layout.pendingLink(switchingTo: "g3"))])
                #expect(fixture.link("demo/current") == "g2")
                #expect(fixture.link("demo/previous") == "g1")
            }
            #expect(try fixture.store().verify() == [])
        }
    }

    @Test("gc completes the switch before deciding, so the displaced current is kept as previous (dry run: counted, not written)")
    func gcKeepsTheDisplacedCurrent() throws {
        let fixture = try Self.threeGenerations()
        defer { fixture.remove() }
        try Self.afterTheExchange(fixture)
        let far = Int64(Date().timeIntervalSince1970 * 1e9) + 365 * 24 * 3_600 * 1_000_000_000
        let before = fixture.names("demo")
        let dry = try fixture.write { writer in
            try writer.collectGarbage(options: GCOptions(keep: 0, graceNanoseconds: 0, dryRun: true, now: far)) { _, _ in
                true
            }
        }
        #expect(fixture.names("demo") == before)
        let verdicts = Dictionary(uniqueKeysWithValues: dry.decisions.map { ($0.generation, $0.remove) })
        #expect(verdicts == ["g1": true, "g2": false, "g3": false])
        let report = try fixture.write { writer in
            try writer.collectGarbage(options: GCOptions(keep: 0, graceNanoseconds: 0, now: far)) { _, _ in true }
        }
        #expect(report.removed == ["demo/g1"])
        #expect(fixture.link("demo/current") == "g3")
        #expect(fixture.link("demo/previous") == "g2")
        #expect(fixture.names("demo").filter { !$0.hasPrefix(".retired-") && $0 != Layout.headers } == ["current", "g2", "g3", "previous"])
        #expect(try fixture.store().verify() == [])
    }

    @Test("the next switch of the name completes it first; a rollback after it returns to the displaced current")
    func theNextWriterCompletesIt() throws {
        let fixture = try Self.threeGenerations()
        defer { fixture.remove() }
        try Self.afterTheExchange(fixture)
        try fixture.write { try $0.rollback(name: "demo") }
        #expect(fixture.link("demo/current") == "g2")
        #expect(fixture.link("demo/previous") == "g3")
        #expect(!fixture.names("demo").contains { $0.hasPrefix(Layout.nextPrefix) })
        #expect(try fixture.store().verify() == [])
    }

    @Test("a leftover pending link of a switch that never exchanged does not block the same switch again")
    func aLeftoverLinkIsReplaced() throws {
        let fixture = try Self.threeGenerations()
        defer { fixture.remove() }
        try Self.beforeTheExchange(fixture)
        try fixture.write { try $0.switchCurrent(name: "demo", to: "g3") }
        #expect(fixture.link("demo/current") == "g3")
        #expect(fixture.link("demo/previous") == "g2")
        #expect(!fixture.names("demo").contains { $0.hasPrefix(Layout.nextPrefix) })
    }

    @Test("a format-1 leftover (.next-<random>) and a pending name that names no generation are removed, never completed")
    func otherLeftoversAreRemoved() throws {
        let fixture = try Self.threeGenerations()
        defer { fixture.remove() }
        #expect(symlink("g3", fixture.path("demo/.next-0123456789abcdef")) == 0)
        #expect(symlink("nothing", fixture.path("demo/" + Layout.pendingLink(switchingTo: "g2"))) == 0)
        let report = try fixture.write { try $0.repair() }
        #expect(report.completed.isEmpty)
        #expect(report.removed.count == 2)
        #expect(fixture.link("demo/current") == "g2")
        #expect(fixture.link("demo/previous") == "g1")
        #expect(try fixture.store().verify() == [])
    }

    @Test("the pending link's name is .next- and 16 hex digits of FNV-1a 64 of the generation (docs/format.md)")
    func pendingLinkName() {
        // FNV-1a 64 test vectors: "" -> cbf29ce484222325, "a" -> af63dc4c8601ec8c, "foobar" -> 85944171f73967e8.
        #expect(Layout.pendingLink(switchingTo: "a") == ".next-af63dc4c8601ec8c")
        #expect(Layout.pendingLink(switchingTo: "foobar") == ".next-85944171f73967e8")
        #expect(Layout.pendingLink(switchingTo: "") == ".next-cbf29ce484222325")
        #expect(Layout.pendingLink(switchingTo: "g3") == ".next-08950507b53f0eaf")  // the leading zero kept
        #expect(Layout.isDisplacedCurrent(Layout.pendingLink(switchingTo: "g3"), target: "g2", current: "g3"))
        #expect(!Layout.isDisplacedCurrent(Layout.pendingLink(switchingTo: "g3"), target: "g3", current: "g2"))
        #expect(!Layout.isDisplacedCurrent(Layout.pendingLink(switchingTo: "g3"), target: "g3", current: "g3"))
        #expect(!Layout.isDisplacedCurrent(Layout.pendingLink(switchingTo: "g3"), target: "g2", current: nil))
    }
}

/// `renameat2(RENAME_EXCHANGE)` of two paths, as the switch does it.
private func renameat2Exchange(_ from: String, _ to: String) -> Bool {
    (try? LinuxSystemCalls().renameat2(AT_FDCWD, from, AT_FDCWD, to, RenameFlags.exchange)) != nil
}
