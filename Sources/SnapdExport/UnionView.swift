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
        var candidates: [String: [String: [(instance: String, target: String, rank: Int)]]] = [:]
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
                for entry in entries.keys.sorted() {
                    if let refusal = kind.refusal(entry: entry, unionSet: unionSet, instance: owner.instance) {
                        refused.append(
                            UnionRefusal(
                                union: kind.exportName, snap: owner.instance, set: set, entry: entry,
                                reason: refusal.reason))
                        continue
                    }
                    let target = Self.target(kind, root: root, owner: owner, ownerSet: set, entry: entry)
                    candidates[unionSet, default: [:]][entry, default: []].append(
                        (owner.instance, target, kind.rank(entry: entry, instance: owner.instance)))
                }
            }
        }
        var sets: [String: [String: String]] = [:]
        var conflicts: [UnionConflict] = []
        for (set, entries) in candidates {
            for (entry, contenders) in entries {
                let holder = previous?.sets[set]?[entry].flatMap { owner(ofTarget: $0, root: root) }
                let winner =
                    contenders.first { $0.instance == holder }
                    ?? contenders.min { ($0.rank, $0.instance) < ($1.rank, $1.instance) }
                guard let winner else { continue }
                sets[set, default: [:]][entry] = winner.target
                for other in contenders where other.instance != winner.instance {
                    conflicts.append(
                        UnionConflict(
                            union: kind.exportName, set: set, entry: entry, owner: winner.instance,
                            refused: other.instance))
                }
            }
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
        guard target.hasPrefix(root + "/") else { return nil }
        let rest = target.dropFirst(root.count + 1)
        guard let slash = rest.firstIndex(of: "/") else { return nil }
        return String(rest[..<slash])
    }

    /// The owners a union generation holds entries of, rebuilt from its manifest alone: each with only the entries
    /// it holds (its refused and conflicting ones are not recorded there). Enough to rebuild the union when no
    /// name is freed (see `UnionExporter`).
    static func owners(in manifest: Manifest, _ kind: UnionKind, root: String) -> [String: UnionOwner] {
        var result: [String: UnionOwner] = [:]
        for (set, entries) in manifest.sets {
            for (entry, target) in entries {
                guard let instance = owner(ofTarget: target, root: root) else { continue }
                // <root>/<instance>/<current or generation>/<owner set>/<entry>
                let parts = target.dropFirst(root.count + 1).split(separator: "/").map(String.init)
                guard parts.count >= 4 else { continue }
                let ownerSet = parts[2..<(parts.count - 1)].joined(separator: "/")
                let generation =
                    kind == .man ? (manifest.inputs?[instance] ?? Layout.current) : parts[1]
                result[instance, default: UnionOwner(instance: instance, generation: generation, sets: [:])]
                    .sets[ownerSet, default: [:]][entry] = target
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
        for refusal in refused { notes["refused/" + refusal.snap + "/" + refusal.set + "/" + refusal.entry] = refusal.reason }
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
                    UnionConflict(union: kind.exportName, set: set, entry: parts[parts.count - 1], owner: value,
                        refused: parts[1]))
            case "refused":
                refused.append(
                    UnionRefusal(union: kind.exportName, snap: parts[1], set: set, entry: parts[parts.count - 1],
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
        let hex = String(hash, radix: 16)
        return "u" + String(repeating: "0", count: 16 - hex.count) + hex
    }
}
