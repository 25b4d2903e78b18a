import Foundation
import Testing

/// `--entry` arguments for `count` tools of generation `tag`.
func entries(_ tag: String, _ count: Int) -> [String] {
    (0..<count).flatMap { ["--entry", "tools/t\($0)=/opt/\(tag)/t\($0)"] }
}

/// Entries per published generation: 3 in CI, the nine snapd tools' count with SNAP_EXPORT_LONG=1.
let proofEntries = ProcessInfo.processInfo.environment["SNAP_EXPORT_LONG"] == "1" ? 9 : 3

let publishProof = CrashProofCase(
    label: "publish",
    setUp: [["publish", "demo", "g1"] + entries("g1", 2), ["switch", "demo", "g1"]],
    operation: ["publish", "demo", "g2"] + entries("g2", proofEntries),
    next: [["publish", "demo", "g2"] + entries("g2", proofEntries), ["switch", "demo", "g2"]])

@Suite("Every crash state of publish, enumerated, keeps the promise (docs/crash-model.md)")
struct CrashStatePublishTests {
    @Test("publish: every kill and power-loss state checks out")
    func publishStates() throws {
        let report = try CrashProof.prove(publishProof)
        print("crash states, publish: \(report)")
        #expect(report.failures.isEmpty, "\(report)")
        #expect(report.killStates == report.trace.count + 1 && report.classes >= 4, "\(report)")
    }

    @Test("publish with the fsync of a set directory dropped is caught: the checker can fail")
    func droppedFsyncIsCaught() throws {
        var broken = publishProof
        broken.label = "publish without the fsync of tools/"
        broken.sabotage = .skip { kind in
            if case .fsync(let path) = kind { return path.hasSuffix("/tools") }
            return false
        }
        let report = try CrashProof.prove(broken)
        #expect(report.failures.contains { $0.contains("power loss") && $0.contains("missing entry") }, "\(report)")
    }
}

/// demo with g1, g2, g3 published, g2 current and g1 previous.
let threeGenerations: [[String]] = [
    ["publish", "demo", "g1"] + entries("g1", 2), ["publish", "demo", "g2"] + entries("g2", 2),
    ["publish", "demo", "g3"] + entries("g3", 2), ["switch", "demo", "g1"], ["switch", "demo", "g2"],
]

let switchProofs: [CrashProofCase] = [
    CrashProofCase(
        label: "switch to a third generation", setUp: threeGenerations, operation: ["switch", "demo", "g3"],
        next: [["switch", "demo", "g3"], ["rollback", "demo"]]),
    CrashProofCase(
        label: "switch back to previous", setUp: threeGenerations, operation: ["switch", "demo", "g1"],
        next: [["switch", "demo", "g1"], ["switch", "demo", "g3"]]),
    CrashProofCase(
        label: "first switch of a name", setUp: Array(threeGenerations.prefix(3)), operation: ["switch", "demo", "g1"],
        next: [["switch", "demo", "g1"], ["switch", "demo", "g2"]]),
    CrashProofCase(
        label: "rollback", setUp: threeGenerations, operation: ["rollback", "demo"],
        next: [["switch", "demo", "g3"]]),
    // Where renameat2 refuses its flags (EINVAL): the fallback with its durable pending link.
    CrashProofCase(
        label: "switch to a third generation, renameat2 refused", setUp: threeGenerations,
        operation: ["switch", "demo", "g3"], next: [["switch", "demo", "g3"], ["rollback", "demo"]],
        withoutRenameFlags: true),
    CrashProofCase(
        label: "rollback, renameat2 refused", setUp: threeGenerations, operation: ["rollback", "demo"],
        next: [["switch", "demo", "g3"]], withoutRenameFlags: true),
]

@Suite("Every crash state of switch and rollback, enumerated, keeps the promise (docs/crash-model.md)")
struct CrashStateSwitchTests {
    @Test("switch and rollback: every kill and power-loss state checks out", arguments: switchProofs)
    func switchStates(_ proofCase: CrashProofCase) throws {
        let report = try CrashProof.prove(proofCase)
        print("crash states, \(proofCase.label): \(report)")
        #expect(report.killStates == report.trace.count + 1 && report.classes >= 3, "\(report)")
        expectProven(report)
    }

    @Test("switch without its fsync or its rename over previous is caught: the checker can fail")
    func brokenSwitchIsCaught() throws {
        var noFsync = switchProofs[0]
        noFsync.sabotage = .skip { kind in kind == .fsync("demo") }
        let lost = try CrashProof.prove(noFsync)
        #expect(lost.failures.contains { $0.contains("not durable") }, "\(lost)")

        var noPrevious = switchProofs[0]
        noPrevious.sabotage = .skip { kind in
            if case .rename(_, "demo/previous", false) = kind { return true }
            return false
        }
        let wrong = try CrashProof.prove(noPrevious)
        #expect(wrong.failures.contains { $0.contains("but current was g2 before") }, "\(wrong)")
    }
}

/// Expects no failure in `report`: every state checks out, `previous` included (issue 9, item 2: a kill between
/// the exchange and the rename over `previous` leaves a pending link that `repair` completes).
func expectProven(_ report: CrashProofReport, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(report.failures.isEmpty, "\(report)", sourceLocation: sourceLocation)
}
