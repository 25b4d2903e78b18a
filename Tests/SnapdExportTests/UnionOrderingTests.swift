import Foundation
import GenerationStore
import Glibc
import SnapdExport
import Testing
import TestSupport

/// True in debug builds, where the executable honours SNAP_EXPORT_FAULT.
extension UnionWorld {
    /// `tool` 1 exports tool.1, tool-old.1 and Tool.ttf; `tool` 2 keeps tool.1 and Tool.ttf, drops tool-old.1 and
    /// adds tool-new.1 and Tool2.ttf; `stay` exports stay.1 and Stay.ttf throughout.
    func toolAndStay() throws {
        try add("stay", "5", pages: ["stay.1"], fonts: ["Stay.ttf"])
        try add("tool", "1", pages: ["tool.1", "tool-old.1"], fonts: ["Tool.ttf"])
        try add("tool", "2", pages: ["tool.1", "tool-new.1"], fonts: ["Tool.ttf", "Tool2.ttf"], current: false)
        try link("stay", "5")
        try link("tool", "1")
    }

    /// Every entry of both unions' current generations that does not resolve to a file.
    func danglingEntries() -> [String] {
        var result: [String] = []
        for union in ["@man", "@fonts"] {
            for entry in entries(union).keys.sorted() where !resolves(root + "/" + union + "/current/" + entry) {
                result.append(union + "/" + entry)
            }
        }
        return result
    }

    /// The unions' entries as a comparable value: `union/set/entry` → target with the root replaced by `<root>`.
    func unionState() -> [String: String] {
        var result: [String: String] = [:]
        for union in ["@man", "@fonts"] {
            for (entry, target) in entries(union) {
                result[union + "/" + entry] = target.replacingOccurrences(of: root, with: "<root>")
            }
        }
        return result
    }

    func cli(_ arguments: [String], fault: FaultPoint? = nil) throws -> ProcessResult {
        var environment: [String: String?] = ["SNAP_EXPORT_CACHES": "off"]
        if let fault { environment["SNAP_EXPORT_FAULT"] = fault.rawValue }
        return try snapExport(
            ["--root", root, "--snap-mount-dir", world.snapMountDir, "--libexec-dir", world.libexecDir] + arguments,
            environment: environment)
    }
}

@Suite("The ordering of an owner's switch keeps every union entry resolvable")
struct UnionOrderingTests {
    @Test func readersResolvingEveryUnionEntryDuringALoopOfSwitchesNeverFail() throws {
        let world = try UnionWorld()
        defer { world.remove() }
        try world.toolAndStay()
        let stable = [
            "@man/current/man1/stay.1", "@man/current/man1/tool.1", "@fonts/current/fonts/Stay.ttf",
            "@fonts/current/fonts/Tool.ttf",
        ].map { world.root + "/" + $0 }
        let linker = world.linker()
        let counters = ReaderHarness.run(
            readers: 4, paths: stable, until: { $0.flips.load(ordering: .relaxed) >= 60 },
            flipper: { counters in
                var revision = "2"
                while !counters.stopped {
                    try world.world.setCurrent("tool", revision)
                    try linker.link(instance: "tool", revision: revision)
                    // Between whole switches every entry, the changing ones included, resolves.
                    let dangling = world.danglingEntries()
                    if !dangling.isEmpty { throw CLIError(message: "dangling after a switch: \(dangling)") }
                    counters.flips.add(1, ordering: .relaxed)
                    revision = revision == "2" ? "1" : "2"
                }
            })
        #expect(counters.error.withLock { $0 } == nil, "\(counters.error.withLock { $0 } ?? "")")
        #expect(counters.totals.flips >= 60 && counters.totals.lookups > 0, "\(counters.totals)")
        #expect(counters.totals.failures == 0, "\(counters.totals): \(counters.firstFailure.withLock { $0 } ?? "")")
    }

    @Test(
        .enabled(if: TestEnvironment.faultPointsArmed, "fault points exist only in debug builds"),
        arguments: [FaultPoint.unionWithoutRemoved, .unionOwnerSwitched, .unionWithNew])
    func aKillBetweenAnyTwoStepsLeavesResolvableUnionsAndRefreshConverges(_ point: FaultPoint) throws {
        let world = try UnionWorld()
        defer { world.remove() }
        try world.toolAndStay()
        try world.world.setCurrent("tool", "2")
        let killed = try world.cli(["link", "tool", "2"], fault: point)
        #expect(killed.signaled && killed.status == SIGKILL, "exit \(killed.status): \(killed.stderr)")
        #expect(world.danglingEntries() == [], "after a kill at \(point.rawValue)")
        _ = try world.cli(["refresh", "--no-gc"])
        // What the unions must be: tool at 2, as if linked without a crash.
        let expected = try UnionWorld()
        defer { expected.remove() }
        try expected.toolAndStay()
        try expected.world.setCurrent("tool", "2")
        try expected.link("tool", "2")
        let normalize: ([String: String], String) -> [String: String] = { state, base in
            state.mapValues { $0.replacingOccurrences(of: base, with: "<base>") }
        }
        #expect(
            normalize(world.unionState(), world.world.base) == normalize(expected.unionState(), expected.world.base))
        #expect(world.current("tool") == "2")
        #expect(try world.unions().check() == nil)
        _ = try world.cli(["repair"])
        let verify = try world.cli(["verify"])
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
    }

    @Test(.enabled(if: TestEnvironment.faultPointsArmed, "fault points exist only in debug builds"))
    func aKillWhileRetiringARemovedSnapIsFinishedByTheNextRefresh() throws {
        let world = try UnionWorld()
        defer { world.remove() }
        try world.toolAndStay()
        try world.world.removeSnap("tool")
        let killed = try world.cli(["refresh", "--no-gc"], fault: .retireCurrentRemoved)
        #expect(killed.signaled && killed.status == SIGKILL, "exit \(killed.status): \(killed.stderr)")
        #expect(world.danglingEntries() == [])
        #expect(!world.entries("@man").keys.contains("man1/tool.1"), "the unions went first")
        _ = try world.cli(["refresh", "--no-gc"])
        #expect(world.current("tool") == nil && (try? world.world.store().link("previous", of: "tool")) == nil)
        #expect(world.unionState().keys.sorted() == ["@fonts/fonts/Stay.ttf", "@man/man1/stay.1"])
        #expect(try world.unions().check() == nil)
    }

    @Test func switchAndRollbackOfAnOwnersNameGoThroughTheUnions() throws {
        let world = try UnionWorld()
        defer { world.remove() }
        try world.toolAndStay()
        try world.world.setCurrent("tool", "2")
        try world.link("tool", "2")
        let rolled = try world.cli(["rollback", "tool"])
        #expect(rolled.status == 0, "\(rolled.stderr)")
        #expect(world.current("tool") == "1")
        #expect(world.entries("@man").keys.contains("man1/tool-old.1") && world.danglingEntries() == [])
        let switched = try world.cli(["switch", "tool", "2"])
        #expect(switched.status == 0, "\(switched.stderr)")
        #expect(world.entries("@man").keys.contains("man1/tool-new.1") && world.danglingEntries() == [])
        #expect(world.entries("@fonts")["fonts/Tool.ttf"] == world.root + "/tool/2/fonts/Tool.ttf")
    }
}

struct CLIError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
