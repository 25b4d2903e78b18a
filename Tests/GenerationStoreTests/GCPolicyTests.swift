import GenerationStore
import Testing

/// Exact decisions of gc's rules on constructed histories (no file system).
@Suite struct GCPolicyTests {
    static let minute: Int64 = 60 * 1_000_000_000
    static let now: Int64 = 1_000_000 * minute
    static let noScan = MountNamespaceScan(namespaces: [], namespacesRead: 1, unreadable: [])
    static let neverGone: SourceGonePredicate = { _, _ in false }

    /// Generations g1…gN published one hour apart, the last one hour before now.
    static func history(
        _ count: Int, current: String?, previous: String?, retired: [String: Int64] = [:],
        sources: [String: String] = [:]
    ) -> NameHistory {
        let generations = (1...count).map { index -> (generation: String, header: ManifestHeader?) in
            let name = "g\(index)"
            let published = now - Int64(count - index + 1) * 60 * minute
            return (
                name, Manifest(source: sources[name] ?? "cli", sets: ["tools": ["x": "/x"]], published: published).header
            )
        }
        return NameHistory(
            name: "snapd", current: current, previous: previous, generations: generations, retired: retired)
    }

    static func verdicts(_ decisions: [GCDecision]) -> [String: String] {
        var result: [String: String] = [:]
        for decision in decisions {
            result[decision.generation] =
                (decision.remove ? "remove:" : "keep:") + decision.reasons.map(\.code).joined(separator: ",")
        }
        return result
    }

    @Test func keepNCountsTheNewestOfTheRestBeyondCurrentAndPrevious() {
        let history = Self.history(6, current: "g6", previous: "g5")
        let decisions = GCPolicy.decide(
            history, scan: Self.noScan, options: GCOptions(keep: 2, graceNanoseconds: 0), now: Self.now,
            sourceGone: Self.neverGone)
        #expect(decisions.map(\.generation) == ["g1", "g2", "g3", "g4", "g5", "g6"])
        #expect(
            Self.verdicts(decisions) == [
                "g1": "remove:beyond-keep-n", "g2": "remove:beyond-keep-n", "g3": "keep:keep-n", "g4": "keep:keep-n",
                "g5": "keep:previous", "g6": "keep:current",
            ])
    }

    @Test func currentAndPreviousStayWhateverTheOptionsAndSources() {
        let history = Self.history(3, current: "g1", previous: "g2")
        let decisions = GCPolicy.decide(
            history, scan: Self.noScan, options: GCOptions(keep: 0, graceNanoseconds: 0), now: Self.now,
            sourceGone: { _, _ in true })
        #expect(Self.verdicts(decisions) == ["g1": "keep:current", "g2": "keep:previous", "g3": "remove:source-gone"])
    }

    @Test func aGenerationRetiredWithinTheGracePeriodStaysAndOneRetiredBeforeItGoes() {
        let retired = ["g1": Self.now - 11 * Self.minute, "g2": Self.now - 9 * Self.minute]
        let history = Self.history(4, current: "g4", previous: "g3", retired: retired)
        let decisions = GCPolicy.decide(
            history, scan: Self.noScan, options: GCOptions(keep: 0), now: Self.now, sourceGone: Self.neverGone)
        #expect(
            Self.verdicts(decisions) == [
                "g1": "remove:beyond-keep-n", "g2": "keep:grace,beyond-keep-n", "g3": "keep:previous",
                "g4": "keep:current",
            ])
        let kept = decisions.first { $0.generation == "g2" }
        #expect(kept?.protectedBy == [.retiredRecently(agoNanoseconds: 9 * Self.minute)])
    }

    @Test func aFreshlyPublishedGenerationIsWithinTheGracePeriodUntilGraceIsZero() {
        var history = Self.history(3, current: "g2", previous: "g1")
        history.generations[2].header?.published = Self.now - Self.minute
        let withGrace = GCPolicy.decide(
            history, scan: Self.noScan, options: GCOptions(keep: 0), now: Self.now, sourceGone: { _, _ in true })
        #expect(Self.verdicts(withGrace)["g3"] == "keep:grace,source-gone")
        let without = GCPolicy.decide(
            history, scan: Self.noScan, options: GCOptions(keep: 0, graceNanoseconds: 0), now: Self.now,
            sourceGone: { _, _ in true })
        #expect(Self.verdicts(without)["g3"] == "remove:source-gone")
    }

    @Test func goneGenerationsDoNotTakeASlotOfKeepN() {
        let history = Self.history(5, current: "g5", previous: "g4")
        let decisions = GCPolicy.decide(
            history, scan: Self.noScan, options: GCOptions(keep: 1, graceNanoseconds: 0), now: Self.now,
            sourceGone: { record, _ in record.generation == "g3" })
        #expect(
            Self.verdicts(decisions) == [
                "g1": "remove:beyond-keep-n", "g2": "keep:keep-n", "g3": "remove:source-gone", "g4": "keep:previous",
                "g5": "keep:current",
            ])
    }

    @Test func aGenerationMountedByANamespaceStaysAndNamesThePid() {
        let hold = MountNamespaceScan.Hold(name: "snapd", generation: "g1", mountPoint: "/usr/lib/snapd")
        let scan = MountNamespaceScan(
            namespaces: [.init(identity: "mnt:[4026532999]", pids: [4242, 4243], holds: [hold])], namespacesRead: 2,
            unreadable: [])
        let history = Self.history(3, current: "g3", previous: "g2")
        let decisions = GCPolicy.decide(
            history, scan: scan, options: GCOptions(keep: 0, graceNanoseconds: 0), now: Self.now,
            sourceGone: { _, _ in true })
        let g1 = decisions.first { $0.generation == "g1" }
        #expect(g1?.remove == false)
        let holder = MountNamespaceScan.Holder(
            namespace: "mnt:[4026532999]", pids: [4242, 4243], mountPoints: ["/usr/lib/snapd"])
        #expect(g1?.protectedBy == [.inUse([holder])])
        #expect(g1?.reasons.first?.description == "in use by mnt:[4026532999] pid 4242,4243")
    }

    @Test func anIncompleteInUseScanKeepsEveryCandidate() {
        let scan = MountNamespaceScan(namespaces: [], namespacesRead: 3, unreadable: [77])
        let history = Self.history(3, current: "g3", previous: "g2")
        let decisions = GCPolicy.decide(
            history, scan: scan, options: GCOptions(keep: 0, graceNanoseconds: 0), now: Self.now,
            sourceGone: Self.neverGone)
        #expect(Self.verdicts(decisions)["g1"] == "keep:in-use-unknown,beyond-keep-n")
        #expect(Self.verdicts(decisions)["g3"] == "keep:current")
    }

    @Test func aGenerationWithAnUnreadableManifestIsKept() {
        var history = Self.history(3, current: "g3", previous: "g2")
        history.generations[0].header = nil
        let decisions = GCPolicy.decide(
            history, scan: Self.noScan, options: GCOptions(keep: 0, graceNanoseconds: 0), now: Self.now,
            sourceGone: { _, _ in true })
        #expect(Self.verdicts(decisions)["g1"] == "keep:unreadable-manifest")
    }

    @Test func thePredicateSeesEverySiblingInPublicationOrder() {
        let history = Self.history(4, current: "g4", previous: nil, sources: ["g1": "host", "g3": "host"])
        let decisions = GCPolicy.decide(
            history, scan: Self.noScan, options: GCOptions(keep: 5, graceNanoseconds: 0), now: Self.now,
            sourceGone: { record, siblings in
                guard record.header.source == "host",
                    let index = siblings.firstIndex(where: { $0.generation == record.generation })
                else { return false }
                return siblings[(index + 1)...].contains { $0.header.source == "host" }
            })
        #expect(Self.verdicts(decisions)["g1"] == "remove:source-gone")
        #expect(Self.verdicts(decisions)["g3"] == "keep:keep-n")
    }
}
