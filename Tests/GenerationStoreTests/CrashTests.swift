import GenerationStore
import Glibc
import Testing
import TestSupport

/// One fault point, the command the child runs to reach it, and what the root may look like after the kill.
struct CrashScenario: Sendable, CustomTestStringConvertible {
    var point: FaultPoint
    var command: [String]
    /// What `demo/current` (or `fresh/current`) may name after the crash: before or after the operation.
    var name: String
    var currentAfter: Set<String?>
    /// True when the kill leaves something for `repair` (`.staging/*` or a `.next-*` link).
    var leavesLeftover: Bool
    var testDescription: String { "\(point.rawValue) during \(command.prefix(3).joined(separator: " "))" }
}

private let publishCommand = [
    "publish", "demo", "g4", "--entry", "tools/e0=/opt/g4/e0", "--entry", "tools/e1=/opt/g4/e1",
]

let crashScenarios: [CrashScenario] = [
    CrashScenario(
        point: .publishStagingCreated, command: publishCommand, name: "demo", currentAfter: ["g2"],
        leavesLeftover: true),
    CrashScenario(
        point: .publishEntriesWritten, command: publishCommand, name: "demo", currentAfter: ["g2"],
        leavesLeftover: true),
    CrashScenario(
        point: .publishSynced, command: publishCommand, name: "demo", currentAfter: ["g2"], leavesLeftover: true),
    CrashScenario(
        point: .publishRenamed, command: publishCommand, name: "demo", currentAfter: ["g2"], leavesLeftover: false),
    CrashScenario(
        point: .switchLinked, command: ["switch", "demo", "g3"], name: "demo", currentAfter: ["g2"],
        leavesLeftover: true),
    CrashScenario(
        point: .switchExchanged, command: ["switch", "demo", "g3"], name: "demo", currentAfter: ["g3"],
        leavesLeftover: true),
    CrashScenario(
        point: .switchPreviousSet, command: ["switch", "demo", "g3"], name: "demo", currentAfter: ["g3"],
        leavesLeftover: false),
    // The first switch of a name (no current yet) takes the RENAME_NOREPLACE path.
    CrashScenario(
        point: .switchLinked, command: ["switch", "fresh", "g1"], name: "fresh", currentAfter: [nil],
        leavesLeftover: true),
    CrashScenario(
        point: .switchPreviousSet, command: ["switch", "fresh", "g1"], name: "fresh", currentAfter: ["g1"],
        leavesLeftover: false),
    CrashScenario(
        point: .rollbackExchanged, command: ["rollback", "demo"], name: "demo", currentAfter: ["g1"],
        leavesLeftover: false),
]

/// A problem that only a leftover of an interrupted writer causes (what `repair` removes).
private func isLeftover(_ problem: ExportStore.Problem) -> Bool {
    problem.path.contains("/.staging/") || problem.path.contains("/.trash/")
        || (problem.path.split(separator: "/").last?.hasPrefix(".next-") ?? false)
}

@Suite(
    "A writer killed at any step leaves a root that verify accepts once repaired",
    .enabled(if: TestEnvironment.faultPointsArmed, "fault points exist only in debug builds"))
struct CrashTests {
    @Test("every fault point of publish, switch and rollback has a crash scenario")
    func everyFaultPointIsCovered() {
        // gc's points have their own tests; the union and retire points are the snapd layer's steps, killed in
        // SnapdExportTests' union crash tests.
        let points = FaultPoint.allCases.filter {
            !$0.rawValue.hasPrefix("gc.") && !$0.rawValue.hasPrefix("union.") && !$0.rawValue.hasPrefix("retire.")
        }
        #expect(Set(crashScenarios.map(\.point)) == Set(points))
    }

    @Test(
        "SIGKILL at a fault point keeps current complete; repair removes the leftovers; verify is then clean",
        arguments: crashScenarios)
    func crashLeavesInvariantsIntact(_ scenario: CrashScenario) throws {
        let fixture = try StoreFixture("crash-test")
        defer { fixture.remove() }
        try fixture.write { writer in
            for generation in ["g1", "g2", "g3"] {
                try writer.publish(name: "demo", generation: generation, manifest: manifest(generation, entries: 2))
            }
            try writer.switchCurrent(name: "demo", to: "g1")
            try writer.switchCurrent(name: "demo", to: "g2")
            try writer.publish(name: "fresh", generation: "g1", manifest: manifest("fresh", entries: 2))
        }
        #expect(try fixture.store().verify() == [])

        let killed = try snapExport(
            ["--root", fixture.root] + scenario.command,
            environment: ["SNAP_EXPORT_FAULT": scenario.point.rawValue])
        #expect(killed.signaled && killed.status == SIGKILL, "exit \(killed.status): \(killed.stderr)")

        // Invariants 1-2: current names a complete generation; every generation matches its manifest.
        let problems = try fixture.store().verify()
        #expect(problems.allSatisfy(isLeftover), "\(problems)")
        #expect(!problems.isEmpty == scenario.leavesLeftover, "\(problems)")
        let current = fixture.link(scenario.name + "/current")
        #expect(scenario.currentAfter.contains(current), "current is \(current ?? "absent")")
        if let current {
            var st = stat()
            #expect(lstat(fixture.path("\(scenario.name)/current/tools/e0"), &st) == 0)  // the entry itself dangles
            #expect(fixture.names("\(scenario.name)/\(current)/tools") == ["e0", "e1"])
        }
        #expect(fixture.exists("demo/g1") && fixture.exists("demo/g2") && fixture.exists("demo/g3"))

        let repair = try snapExport(["--root", fixture.root, "repair"])
        #expect(repair.status == 0, "\(repair.stderr)")
        #expect(fixture.names(".staging") == [])
        #expect(!fixture.names(scenario.name).contains { $0.hasPrefix(".next-") })
        let verify = try snapExport(["--root", fixture.root, "verify"])
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")

        // The interrupted operation can be run again, to the end.
        let again = try snapExport(["--root", fixture.root] + scenario.command)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try fixture.store().verify() == [])
    }
}
