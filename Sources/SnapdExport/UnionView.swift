import GenerationStore

/// One contributor to a union: a snap's exported name, the generation whose entries count, and that generation's
/// sets (as its manifest holds them).
public struct UnionOwner: Sendable, Equatable {
    public var instance: String
    public var generation: String
    public var sets: [String: [String: String]]

    public init(instance: String, generation: String, sets: [String: [String: String]]) {
        self.instance = instance
        self.generation = generation
        self.sets = sets
    }

    /// The same owner with only the entries whose union names `other` exports too (in any of `kinds`): what may
    /// stay in a union while the owner switches from this generation to `other` (docs/exports.md, the ordering).
    func keepingOnlyNames(alsoIn other: UnionOwner?) -> UnionOwner {
        var result = self
        result.sets = [:]
        guard let other else { return result }
        for (set, entries) in sets {
            let kept = entries.filter { other.sets[set]?[$0.key] != nil }
            if !kept.isEmpty { result.sets[set] = kept }
        }
        return result
    }
}

/// An entry two snaps export: `owner` keeps it, `refused`'s is not in the union.
public struct UnionConflict: Sendable, Equatable, Hashable, Codable {
    public var union: String
    public var set: String
    public var entry: String
    public var owner: String
    public var refused: String

    public init(union: String, set: String, entry: String, owner: String, refused: String) {
        self.union = union
        self.set = set
        self.entry = entry
        self.owner = owner
        self.refused = refused
    }
}

/// An owner's entry that no union takes, and why.
public struct UnionRefusal: Sendable, Equatable, Hashable, Codable {
    public var union: String
    public var snap: String
    public var set: String
    public var entry: String
    public var reason: String

    public init(union: String, snap: String, set: String, entry: String, reason: String) {
        self.union = union
        self.snap = snap
        self.set = set
        self.entry = entry
        self.reason = reason
    }
}

/// What a union should hold, computed from its owners and the union's current generation: a pure function.
///
/// The rule (docs/exports.md, "Conflicts"): an owner's entry is a candidate unless `UnionKind.refusal` says no.
/// For each union name, the owner that holds it in `previous` keeps it while it still exports it; otherwise the
/// candidate with the lowest `UnionKind.rank`, then the lowest instance name, takes it. So the result depends
/// only on the owners and the previous union (deterministic), an owner never loses a name because another snap
/// arrived (stable), and a newcomer gets only names nobody holds.
public struct UnionView: Sendable {
    public var kind: UnionKind
    /// The union's manifest, or nil when no owner exports anything of this kind.
    public var manifest: Manifest?
    public var conflicts: [UnionConflict]
    public var refused: [UnionRefusal]

    /// `previous` is the union's current manifest (nil for none); `root` the export root's absolute path, which
    /// the entries' targets start with.
    public static func build(_ kind: UnionKind, root: String, owners: [UnionOwner], previous: Manifest?) -> UnionView {
        /// The owners that offer one union name: the first (usually the only one) apart, so that a name nobody
        /// contends for costs no array.
        struct Contenders {
            var first: (instance: String, target: String, rank: Int)
            var others: [(instance: String, target: String, rank: Int)] = []
        }
        var candidates: [String: [String: Contenders]] = [:]
        var refused: [UnionRefusal] = []
        for owner in owners.sorted(by: { $0.instance < $1.instance }) {
            for (set, entries) in owner.sets.sorted(by: { $0.key < $1.key }) {
                guard let mapped = kind.unionSet(ofOwnerSet: set) else { continue }
                let unionSet: String
                switch mapped {
                case .success(let name): unionSet = name
                case .failure(let refusal):
                    for entry in entries.keys.sorted() {
                        refused.append(
                            UnionRefusal(
                                union: kind.exportName, snap: owner.instance, set: set, entry: entry,
                                reason: refusal.reason))
                    }
                    continue
                }
                let judge = UnionKind.EntryJudge(kind, unionSet: unionSet, instance: owner.instance)
                let targetPrefix = Self.target(kind, root: root, owner: owner, ownerSet: set, entry: "")
                var offered = candidates.removeValue(forKey: unionSet) ?? [:]
                for entry in entries.keys.sorted() {
                    let (refusal, rank) = judge.judge(entry)
                    if let refusal {
                        refused.append(
                            UnionRefusal(
                                union: kind.exportName, snap: owner.instance, set: set, entry: entry,
                                reason: refusal.reason))
                        continue
                    }
                    let contender = (instance: owner.instance, target: targetPrefix + entry, rank: rank)
                    if offered[entry] == nil {
                        offered[entry] = Contenders(first: contender)
                    } else {
                        offered[entry]?.others.append(contender)
                    }
                }
                candidates[unionSet] = offered
            }
        }
        var sets: [String: [String: String]] = [:]
        var conflicts: [UnionConflict] = []
        for (set, entries) in candidates {
            let held = previous?.sets[set]
            var chosen: [String: String] = [:]
            chosen.reserveCapacity(entries.count)
            for (entry, offered) in entries {
                guard !offered.others.isEmpty else {
                    chosen[entry] = offered.first.target  // one contender: it wins whoever held the name
                    continue
                }
                let contenders = [offered.first] + offered.others
                let holder = held?[entry].flatMap { owner(ofTarget: $0, root: root) }
                let winner =
                    contenders.first { $0.instance == holder }
                    ?? contenders.min { ($0.rank, $0.instance) < ($1.rank, $1.instance) }
                guard let winner else { continue }
                chosen[entry] = winner.target
                for other in contenders where other.instance != winner.instance {
                    conflicts.append(
                        UnionConflict(
                            union: kind.exportName, set: set, entry: entry, owner: winner.instance,
                            refused: other.instance))
                }
            }
            if !chosen.isEmpty { sets[set] = chosen }
        }
        conflicts.sort { ($0.set, $0.entry, $0.refused) < ($1.set, $1.entry, $1.refused) }
        var inputs: [String: String] = [:]
        for owner in owners { inputs[owner.instance] = owner.generation }
        let manifest =
            sets.isEmpty ? nil : Manifest(source: kind.manifestSource, version: nil, sets: sets, inputs: inputs)
        return UnionView(kind: kind, manifest: manifest, conflicts: conflicts, refused: refused)
    }

    /// The target of an owner's entry in the union: man pages through the owner's `current` (a refresh that keeps
    /// the page names changes nothing here), fonts through the owner's generation (fontconfig caches per directory
    /// and mtime, so new content must come with a new union generation).
    static func target(_ kind: UnionKind, root: String, owner: UnionOwner, ownerSet: String, entry: String) -> String {
        let through = kind == .man ? Layout.current : owner.generation
        return [root, owner.instance, through, ownerSet, entry].joined(separator: "/")
    }

    /// The owner an entry of a union names: the component after `<root>/`.
    public static func owner(ofTarget target: String, root: String) -> String? {
        switch asciiRest(of: target, root: root) {
        case .notBelow:
            return nil
        case .rest(let rest):
            guard let slash = rest.utf8.firstIndex(of: UInt8(ascii: "/")) else { return nil }
            return String(rest[..<slash])
        case nil:
            break
        }
        guard target.hasPrefix(root + "/") else { return nil }
        let rest = target.dropFirst(root.count + 1)
        guard let slash = rest.firstIndex(of: "/") else { return nil }
        return String(rest[..<slash])
    }

    /// Where a target lies, decided on bytes.
    enum AsciiRest {
        /// Not below `<root>/`.
        case notBelow
        /// Below it: what follows `<root>/`.
        case rest(Substring)
    }

    /// Whether `target` lies below `<root>/` (and what follows), decided on bytes when both are ASCII and the root
    /// holds no carriage return: there bytes and characters are the same, so the answer is the one the character
    /// comparisons give. Nil for anything else, which those comparisons then decide.
    static func asciiRest(of target: String, root: String) -> AsciiRest? {
        let rootCount = root.utf8.count
        let decided = target.utf8.withContiguousStorageIfAvailable { t in
            root.utf8.withContiguousStorageIfAvailable { r -> AsciiRest? in
                for byte in r where byte >= 0x80 || byte == 0x0D { return nil }
                for byte in t where byte >= 0x80 { return nil }
                guard t.count > rootCount, t[rootCount] == UInt8(ascii: "/") else { return .notBelow }
                for index in 0..<rootCount where t[index] != r[index] { return .notBelow }
                let start = target.utf8.index(target.utf8.startIndex, offsetBy: rootCount + 1)
                return .rest(target[start...])
            }
        }
        guard let contiguous = decided, let answer = contiguous else { return nil }  // storage not contiguous
        return answer
    }

    /// Where a union entry's target points: its owner, the generation `owners(in:)` records for it, and the owner's
    /// set; nil for a target that names no owner's entry.
    private static func place(
        ofTarget target: String, _ manifest: Manifest, _ kind: UnionKind, root: String
    ) -> (instance: String, generation: String, ownerSet: String)? {
        guard let instance = owner(ofTarget: target, root: root) else { return nil }
        // <root>/<instance>/<current or generation>/<owner set>/<entry>
        let parts: [String]
        if case .rest(let rest) = asciiRest(of: target, root: root) {
            parts = rest.utf8.split(separator: UInt8(ascii: "/")).map { String(Substring($0)) }
        } else {
            parts = target.dropFirst(root.count + 1).split(separator: "/").map(String.init)
        }
        guard parts.count >= 4 else { return nil }
        let ownerSet = parts[2..<(parts.count - 1)].joined(separator: "/")
        let generation = kind == .man ? (manifest.inputs?[instance] ?? Layout.current) : parts[1]
        return (instance, generation, ownerSet)
    }

    /// The owners a union generation holds entries of, rebuilt from its manifest alone: each with only the entries
    /// it holds (its refused and conflicting ones are not recorded there). Enough to rebuild the union when no
    /// name is freed (see `UnionExporter`).
    static func owners(in manifest: Manifest, _ kind: UnionKind, root: String) -> [String: UnionOwner] {
        var result: [String: UnionOwner] = [:]
        // An ASCII target's place depends only on what precedes its last `/` (when something non-empty follows it):
        // worked out once per owner directory, not once per entry.
        var known: [Substring: (instance: String, generation: String, ownerSet: String)?] = [:]
        for (_, entries) in manifest.sets {
            for (entry, target) in entries {
                var directory: Substring?
                if case .rest = asciiRest(of: target, root: root),
                    let slash = target.utf8.lastIndex(of: UInt8(ascii: "/")),
                    target.utf8.index(after: slash) != target.utf8.endIndex
                {
                    directory = target[..<slash]
                }
                let found: (instance: String, generation: String, ownerSet: String)?
                if let directory, let cached = known[directory] {
                    found = cached
                } else {
                    found = place(ofTarget: target, manifest, kind, root: root)
                    if let directory { known[directory] = .some(found) }
                }
                guard let found else { continue }
                result[
                    found.instance,
                    default: UnionOwner(instance: found.instance, generation: found.generation, sets: [:])
                ].sets[found.ownerSet, default: [:]][entry] = target
            }
        }
        for (instance, generation) in manifest.inputs ?? [:] where result[instance] == nil {
            result[instance] = UnionOwner(instance: instance, generation: generation, sets: [:])
        }
        return result
    }

    /// The conflicts and refused entries of a union generation as its manifest's `notes` (docs/format.md), so
    /// `status` reads them from the union's header instead of every owner's manifest:
    /// `conflict/<refused snap>/<set>/<entry>` → the owner, `refused/<snap>/<set>/<entry>` → the reason. A snap
    /// instance and an entry name never hold a `/`, so the set is what lies between.
    public static func notes(conflicts: [UnionConflict], refused: [UnionRefusal]) -> [String: String] {
        var notes: [String: String] = [:]
        for conflict in conflicts {
            notes["conflict/" + conflict.refused + "/" + conflict.set + "/" + conflict.entry] = conflict.owner
        }
        for refusal in refused {
            notes["refused/" + refusal.snap + "/" + refusal.set + "/" + refusal.entry] = refusal.reason
        }
        return notes
    }

    /// `notes` read back (nil when a note is not one `notes(conflicts:refused:)` writes); sorted as `build` sorts.
    public static func recorded(_ notes: [String: String], _ kind: UnionKind)
        -> (conflicts: [UnionConflict], refused: [UnionRefusal])?
    {
        var conflicts: [UnionConflict] = []
        var refused: [UnionRefusal] = []
        for (key, value) in notes {
            let parts = key.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
            guard parts.count >= 4, parts.allSatisfy({ !$0.isEmpty }) else { return nil }
            let set = parts[2..<(parts.count - 1)].joined(separator: "/")
            switch parts[0] {
            case "conflict":
                conflicts.append(
                    UnionConflict(
                        union: kind.exportName, set: set, entry: parts[parts.count - 1], owner: value,
                        refused: parts[1]))
            case "refused":
                refused.append(
                    UnionRefusal(
                        union: kind.exportName, snap: parts[1], set: set, entry: parts[parts.count - 1],
                        reason: value))
            default:
                return nil
            }
        }
        conflicts.sort { ($0.set, $0.entry, $0.refused) < ($1.set, $1.entry, $1.refused) }
        refused.sort { ($0.snap, $0.set, $0.entry) < ($1.snap, $1.set, $1.entry) }
        return (conflicts, refused)
    }

    /// A generation name for a union manifest: a digest of its content, so publishing the same union again is a
    /// no-op and a crashed writer's retry lands on the same name.
    public static func generationName(of manifest: Manifest) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ text: String) {
            for byte in text.utf8 {
                hash ^= UInt64(byte)
                hash &*= 0x100_0000_01b3
            }
            hash ^= 0xff
            hash &*= 0x100_0000_01b3
        }
        for set in manifest.sets.keys.sorted() {
            mix(set)
            for (entry, target) in manifest.sets[set, default: [:]].sorted(by: { $0.key < $1.key }) {
                mix(entry)
                mix(target)
            }
        }
        mix("inputs")
        for (name, generation) in (manifest.inputs ?? [:]).sorted(by: { $0.key < $1.key }) {
            mix(name)
            mix(generation)
        }
        // A union written before its notes were recorded keeps its name (nothing is mixed for them then).
        if let notes = manifest.notes {
            mix("notes")
            for (key, value) in notes.sorted(by: { $0.key < $1.key }) {
                mix(key)
                mix(value)
            }
        }
        return "u" + Layout.hexDigits(hash)
    }
}
