import Foundation
import GenerationStore
import Glibc
import Testing

/// A way to damage a clean root, and words verify's problem must use (path relative to the root, message).
struct Damage: Sendable, CustomTestStringConvertible {
    var label: String
    var path: String
    var message: String
    var apply: @Sendable (StoreFixture) throws -> Void
    var testDescription: String { label }
}

private func shell(_ body: @escaping @Sendable (String) -> Int32) -> @Sendable (StoreFixture) throws -> Void {
    { fixture in
        let result = body(fixture.root)
        if result != 0 { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    }
}

let damages: [Damage] = [
    Damage(
        label: "an entry removed", path: "demo/g1/tools/e0", message: "missing entry",
        apply: shell { unlink($0 + "/demo/g1/tools/e0") }),
    Damage(
        label: "an extra entry", path: "demo/g1/tools/extra", message: "extra entry",
        apply: shell { symlink("/x", $0 + "/demo/g1/tools/extra") }),
    Damage(
        label: "a wrong target", path: "demo/g1/tools/e1", message: "manifest says '/opt/a/e1'",
        apply: shell { unlink($0 + "/demo/g1/tools/e1") == 0 ? symlink("/elsewhere", $0 + "/demo/g1/tools/e1") : -1 }),
    Damage(
        label: "a set directory removed", path: "demo/g2/tools", message: "missing entry",
        apply: shell { rename($0 + "/demo/g2/tools", $0 + "/elsewhere") }),
    Damage(
        label: "the manifest removed", path: "demo/g2/.manifest.json", message: "no manifest",
        apply: shell { unlink($0 + "/demo/g2/.manifest.json") }),
    Damage(
        label: "current pointing outside its name", path: "demo/current", message: "not to a generation",
        apply: shell { unlink($0 + "/demo/current") == 0 ? symlink("../other", $0 + "/demo/current") : -1 }),
    Damage(
        label: "previous pointing to a missing generation", path: "demo/previous", message: "missing generation",
        apply: shell { unlink($0 + "/demo/previous") == 0 ? symlink("gone", $0 + "/demo/previous") : -1 }),
    Damage(
        label: "a staging leftover", path: ".staging/0123", message: "leftover",
        apply: shell { mkdir($0 + "/.staging/0123", 0o755) }),
    Damage(
        label: "a stray .next link", path: "demo/.next-0123", message: "leftover",
        apply: shell { symlink("g1", $0 + "/demo/.next-0123") }),
]

@Suite("verify finds every kind of damage; repair removes only leftovers")
struct VerifyTests {
    /// demo: g1, g2 (current g2, previous g1).
    private func populated() throws -> StoreFixture {
        let fixture = try StoreFixture()
        try fixture.write { writer in
            try writer.publishG1AndG2(thenSwitchTo: "g1", "g2")
        }
        return fixture
    }

    @Test("verify reports the damage with its path", arguments: damages)
    func verifyReportsDamage(_ damage: Damage) throws {
        let fixture = try populated()
        defer { fixture.remove() }
        #expect(try fixture.store().verify() == [])
        try damage.apply(fixture)
        let problems = try fixture.store().verify()
        #expect(
            problems.contains { $0.path == fixture.path(damage.path) && $0.message.contains(damage.message) },
            "\(problems)")
    }

    @Test("repair removes staging, trash and .next leftovers and nothing else")
    func repairRemovesOnlyLeftovers() throws {
        let fixture = try populated()
        defer { fixture.remove() }
        #expect(mkdir(fixture.path(".staging/half"), 0o755) == 0)
        #expect(mkdir(fixture.path(".staging/half/tools"), 0o755) == 0)
        #expect(symlink("/x", fixture.path(".staging/half/tools/a")) == 0)
        #expect(mkdir(fixture.path(".trash"), 0o755) == 0 || errno == EEXIST)
        #expect(mkdir(fixture.path(".trash/old"), 0o755) == 0)
        #expect(symlink("g1", fixture.path("demo/.next-0123")) == 0)
        let retirements = try fixture.store().retirements(of: "demo")
        #expect(try fixture.store().verify().count == 3)

        let report = try fixture.write { try $0.repair() }
        #expect(report.leftovers == [])
        #expect(
            report.removed.sorted()
                == [fixture.path(".staging/half"), fixture.path(".trash/old"), fixture.path("demo/.next-0123")].sorted()
        )
        #expect(try fixture.store().verify() == [])
        #expect(fixture.link("demo/current") == "g2")
        #expect(fixture.link("demo/previous") == "g1")
        #expect(try fixture.store().retirements(of: "demo") == retirements)
        #expect(fixture.names("demo/g1/tools") == ["e0", "e1", "e2"])
    }
}
