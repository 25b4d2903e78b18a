/// The states a crash can leave after a trace of mutations (docs/crash-model.md is the account of this model).
///
/// - A process kill after `k` mutations leaves exactly the first `k` (the kernel's view survives the process).
/// - A power loss after `k` mutations leaves every mutation made durable by a later `fsync` before `k` (an
///   entry change by an `fsync` of the directory holding the entry — for a rename, the directory of the new
///   name; a write by an `fsync` of the file), and any of the others, chosen by `lostSeeds`: up to `bound`
///   un-synced mutations are lost together, and everything that depends on a lost mutation is lost with it.
///   An un-synced write that survives may also be torn (its first half only).
/// - Mutation `j` depends on an earlier `i` when they name the same path, when `i` names an ancestor of a
///   path of `j` (it made or moved the directory `j` works in), or when `j` removes a directory `i` changed
///   something in. A durable rename carries the object it moved: what created its source is durable with it.
struct PersistenceModel {
    struct CrashState {
        /// How the state arises, for reports: "kill after 3 (renameat2(…))" or "power loss after 5, lost […]".
        var label: String
        var model: FileModel
        /// Mutations applied, for reports.
        var applied: Int
        /// True when the state follows the last mutation: the command had finished.
        var afterLast: Bool
    }

    let initial: FileModel
    let trace: [Mutation]
    /// The most un-synced mutations lost together (each with its dependents).
    let bound: Int

    private static func isAncestor(_ a: String, of b: String) -> Bool { a.isEmpty || b.hasPrefix(a + "/") }

    /// True when `later` depends on `earlier` (the rules above).
    static func depends(_ later: Mutation, on earlier: Mutation) -> Bool {
        for p in earlier.paths {
            for q in later.paths {
                if p == q || (!p.isEmpty && isAncestor(p, of: q)) { return true }
                if case .rmdir = later.kind, isAncestor(q, of: p) { return true }
            }
        }
        return false
    }

    private func creates(_ m: Mutation, _ path: String) -> Bool {
        switch m.kind {
        case .mkdir(let p), .create(let p), .symlink(_, let p): return p == path
        case .rename(_, let b, _), .link(_, let b): return b == path
        default: return false
        }
    }

    /// Which of the first `k` mutations are durable at that point.
    func durable(upTo k: Int) -> Set<Int> {
        var durable: Set<Int> = []
        for j in 0..<k where trace[j].isBarrier {
            for i in 0..<j where !trace[i].isBarrier && !durable.contains(i) {
                let synced: Bool
                if case .write = trace[i].kind {
                    synced = trace[i].target != nil && trace[i].target == trace[j].target
                } else {
                    synced = trace[i].home != nil && trace[i].home == trace[j].target
                }
                if synced { durable.insert(i) }
            }
        }
        // A durable rename carries its object: what created the source name is durable with it.
        var changed = true
        while changed {
            changed = false
            for j in durable.sorted() {
                guard case .rename(let a, _, _) = trace[j].kind else { continue }
                for i in 0..<j where !durable.contains(i) && creates(trace[i], a) {
                    durable.insert(i)
                    changed = true
                }
            }
        }
        return durable
    }

    /// Every state a kill leaves: each prefix of the trace.
    func killStates() throws -> [CrashState] {
        var states: [CrashState] = []
        var model = initial
        states.append(CrashState(label: "kill before the first mutation", model: model, applied: 0, afterLast: trace.isEmpty))
        for (index, mutation) in trace.enumerated() {
            try model.apply(mutation)
            states.append(
                CrashState(
                    label: "kill after \(index + 1): \(mutation)", model: model, applied: index + 1,
                    afterLast: index + 1 == trace.count))
        }
        return states
    }

    /// Every state a power loss leaves at each point of the trace, within `bound`.
    func powerLossStates() throws -> [CrashState] {
        var states: [CrashState] = []
        for k in 0...trace.count {
            let durable = durable(upTo: k)
            let unsynced = (0..<k).filter { !trace[$0].isBarrier && !durable.contains($0) }
            let writes = unsynced.filter { if case .write = trace[$0].kind { return true } else { return false } }
            var choices: [(lost: [Int], torn: [Int])] = [([], [])]
            for seeds in Self.subsets(of: unsynced, upTo: bound) where !seeds.isEmpty { choices.append((seeds, [])) }
            if unsynced.count > bound { choices.append((unsynced, [])) }
            for write in writes { choices.append(([], [write])) }
            for choice in choices {
                var lost = Set(choice.lost)
                for j in 0..<k where !lost.contains(j) && !trace[j].isBarrier {
                    if lost.contains(where: { $0 < j && Self.depends(trace[j], on: trace[$0]) }) { lost.insert(j) }
                }
                var model = initial
                for j in 0..<k where !lost.contains(j) {
                    try model.apply(trace[j], tornAt: choice.torn.contains(j))
                }
                let what =
                    choice.torn.isEmpty
                    ? "lost \(lost.sorted().map { "\($0 + 1): \(trace[$0])" })"
                    : "torn \(choice.torn.map { "\($0 + 1): \(trace[$0])" })"
                states.append(
                    CrashState(
                        label: "power loss after \(k)\(k > 0 ? " (\(trace[k - 1]))" : ""), \(what)", model: model, applied: k, afterLast: k == trace.count))
            }
        }
        return states
    }

    /// Every subset of `items` with at most `size` elements.
    static func subsets(of items: [Int], upTo size: Int) -> [[Int]] {
        var result: [[Int]] = [[]]
        func extend(_ prefix: [Int], from start: Int) {
            guard prefix.count < size else { return }
            for index in start..<items.count {
                let next = prefix + [items[index]]
                result.append(next)
                extend(next, from: index + 1)
            }
        }
        extend([], from: 0)
        return result
    }
}
