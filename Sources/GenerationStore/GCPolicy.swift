/// The rules of gc (docs/gc.md), as a pure function of the history, the in-use scan and the options.
public enum GCPolicy {
    /// One decision per generation of `history`, in publication order (unreadable manifests last).
    public static func decide(
        _ history: NameHistory, scan: MountNamespaceScan, options: GCOptions, now: Int64,
        sourceGone: SourceGonePredicate
    ) -> [GCDecision] {
        decide(history, scan: scan, options: options, now: now, gone: gone(history, sourceGone))
    }

    /// The readable generations of `history` in publication order (the siblings `SourceGonePredicate` gets).
    static func readable(_ history: NameHistory) -> [GenerationRecord] {
        history.generations.compactMap { item in
            item.header.map { GenerationRecord(name: history.name, generation: item.generation, header: $0) }
        }.sorted { ($0.header.published ?? 0, $0.generation) < ($1.header.published ?? 0, $1.generation) }
    }

    /// The generations of `history`, neither current nor previous, whose source `sourceGone` says is gone: the
    /// predicate is asked once per such generation.
    /// `readable` is `readable(history)` when the caller has it already.
    static func gone(
        _ history: NameHistory, _ sourceGone: SourceGonePredicate, readable: [GenerationRecord]? = nil
    ) -> Set<String> {
        let readable = readable ?? Self.readable(history)
        var gone: Set<String> = []
        for record in readable where !history.pins(record.generation) && sourceGone(record, readable) {
            gone.insert(record.generation)
        }
        return gone
    }

    /// `decide` with the gone generations already known (`gone`), so a pass that decides again after its
    /// namespace scan does not ask the predicate again; `readable` is `readable(history)` when the caller has it.
    static func decide(
        _ history: NameHistory, scan: MountNamespaceScan, options: GCOptions, now: Int64, gone: Set<String>,
        readable: [GenerationRecord]? = nil
    ) -> [GCDecision] {
        let readable = readable ?? Self.readable(history)
        // The rest, newest first: ranked for keep-N (`ranks[i]` is the rank of `readable[i]`, nil for the others).
        var ranks = [Int?](repeating: nil, count: readable.count)
        var next = 1
        for index in readable.indices.reversed() {
            let generation = readable[index].generation
            guard !history.pins(generation) && !gone.contains(generation) else { continue }
            ranks[index] = next
            next += 1
        }
        let unreadable = history.generations.filter { $0.header == nil }.map(\.generation).sorted()
        var decisions: [GCDecision] = []
        decisions.reserveCapacity(readable.count + unreadable.count)
        for (index, record) in readable.enumerated() {
            decisions.append(
                decision(record.generation, record.header, rank: ranks[index], history, scan, options, now, gone))
        }
        for generation in unreadable {
            decisions.append(decision(generation, nil, rank: nil, history, scan, options, now, gone))
        }
        return decisions
    }

    /// The decision for one generation of `history`, whose manifest's header is `manifest` (nil: unreadable) and
    /// whose keep-N rank among the rest is `rank`.
    private static func decision(
        _ generation: String, _ manifest: ManifestHeader?, rank position: Int?, _ history: NameHistory,
        _ scan: MountNamespaceScan, _ options: GCOptions, _ now: Int64, _ gone: Set<String>
    ) -> GCDecision {
        var protectedBy: [GCReason] = []
        if generation == history.current { protectedBy.append(.current) }
        if generation == history.previous { protectedBy.append(.previous) }
        if manifest == nil { protectedBy.append(.unreadableManifest) }
        if options.graceNanoseconds > 0 {
            if let retired = history.retired[generation], now - retired < options.graceNanoseconds {
                protectedBy.append(.retiredRecently(agoNanoseconds: now - retired))
            } else if let published = manifest?.published, now - published < options.graceNanoseconds {
                protectedBy.append(.publishedRecently(agoNanoseconds: now - published))
            }
        }
        let holders = scan.holders(of: history.name, generation)
        if !holders.isEmpty { protectedBy.append(.inUse(holders)) }

        var candidateBecause: [GCReason] = []
        if gone.contains(generation) {
            candidateBecause.append(.sourceGone)
        } else if let position {
            if position > options.keep {
                candidateBecause.append(.beyondKeep(rank: position, keep: options.keep))
            } else {
                protectedBy.append(.withinKeep(rank: position, keep: options.keep))
            }
        }
        if !candidateBecause.isEmpty && !scan.unreadable.isEmpty {
            protectedBy.append(.inUseUnknown(unreadablePids: scan.unreadable))
        }
        return GCDecision(
            name: history.name, generation: generation, published: manifest?.published,
            candidateBecause: candidateBecause, protectedBy: protectedBy)
    }
}
