/// The garbage collector's options: how many generations to keep beyond `current` and `previous`, and the
/// grace period during which a generation that stopped being current (or was just published) stays.
public struct GCOptions: Sendable, Equatable {
    /// Generations kept per name among those that are neither current, previous nor gone (newest first).
    public var keep: Int
    /// The grace period in nanoseconds; 0 disables it.
    public var graceNanoseconds: Int64
    /// Decide and report, change nothing.
    public var dryRun: Bool
    /// The time decisions are made at (nanoseconds since the epoch); nil means now.
    public var now: Int64?

    /// The defaults `refresh` uses: keep 2, grace 10 minutes.
    public static let defaultKeep = 2
    public static let defaultGraceNanoseconds: Int64 = 10 * 60 * 1_000_000_000

    public init(
        keep: Int = GCOptions.defaultKeep, graceNanoseconds: Int64 = GCOptions.defaultGraceNanoseconds,
        dryRun: Bool = false, now: Int64? = nil
    ) {
        self.keep = keep
        self.graceNanoseconds = graceNanoseconds
        self.dryRun = dryRun
        self.now = now
    }
}

/// A published generation as the policy sees it: where it is and what its manifest says.
public struct GenerationRecord: Sendable, Equatable {
    public var name: String
    public var generation: String
    public var manifest: Manifest

    public init(name: String, generation: String, manifest: Manifest) {
        self.name = name
        self.generation = generation
        self.manifest = manifest
    }
}

/// Decides whether the source of a generation is gone (a removed snap revision, a superseded host export).
///
/// Given the generation and every readable generation of the same name in publication order. The store
/// knows nothing of sources; the layer above supplies this. Must not fail: when in doubt, return false.
public typealias SourceGonePredicate =
    @Sendable (_ generation: GenerationRecord, _ siblings: [GenerationRecord]) -> Bool

/// Why a generation is kept or removed.
public enum GCReason: Sendable, Equatable, CustomStringConvertible {
    /// `current` names it.
    case current
    /// `previous` names it.
    case previous
    /// It stopped being current less than the grace period ago (nanoseconds ago).
    case retiredRecently(agoNanoseconds: Int64)
    /// It was published less than the grace period ago and may be about to become current.
    case publishedRecently(agoNanoseconds: Int64)
    /// A live mount namespace has it mounted.
    case inUse([MountNamespaceScan.Holder])
    /// Some processes could not be read, so whether it is in use is unknown.
    case inUseUnknown(unreadablePids: [Int32])
    /// Its manifest cannot be read, so neither its source nor its publication order is known.
    case unreadableManifest
    /// Among the `keep` newest of the rest (rank 1 is the newest).
    case withinKeep(rank: Int, keep: Int)
    /// A candidate: its source is gone.
    case sourceGone
    /// A candidate: older than the `keep` newest of the rest.
    case beyondKeep(rank: Int, keep: Int)

    /// A stable word for JSON output.
    public var code: String {
        switch self {
        case .current: "current"
        case .previous: "previous"
        case .retiredRecently: "grace"
        case .publishedRecently: "grace"
        case .inUse: "in-use"
        case .inUseUnknown: "in-use-unknown"
        case .unreadableManifest: "unreadable-manifest"
        case .withinKeep: "keep-n"
        case .sourceGone: "source-gone"
        case .beyondKeep: "beyond-keep-n"
        }
    }

    public var description: String {
        switch self {
        case .current: "current"
        case .previous: "previous"
        case .retiredRecently(let ago): "grace: stopped being current \(Self.duration(ago)) ago"
        case .publishedRecently(let ago): "grace: published \(Self.duration(ago)) ago"
        case .inUse(let holders): "in use by " + holders.map(\.description).joined(separator: "; ")
        case .inUseUnknown(let pids): "in-use check incomplete: \(pids.count) process(es) unreadable"
        case .unreadableManifest: "manifest unreadable (run verify)"
        case .withinKeep(let rank, let keep): "keep-n: #\(rank) newest of the rest, keeping \(keep)"
        case .sourceGone: "source gone"
        case .beyondKeep(let rank, let keep): "beyond keep-n: #\(rank) newest of the rest, keeping \(keep)"
        }
    }

    /// `90s`, `12m30s`, `3h5m`, `2d4h`.
    static func duration(_ nanoseconds: Int64) -> String {
        let seconds = max(0, nanoseconds / 1_000_000_000)
        if seconds < 60 { return "\(seconds)s" }
        if seconds < 3600 { return "\(seconds / 60)m\(seconds % 60)s" }
        if seconds < 86400 { return "\(seconds / 3600)h\(seconds % 3600 / 60)m" }
        return "\(seconds / 86400)d\(seconds % 86400 / 3600)h"
    }
}

/// What gc decided for one generation.
public struct GCDecision: Sendable, Equatable {
    public var name: String
    public var generation: String
    /// Publication time from the manifest, if readable.
    public var published: Int64?
    /// Why it would be removed (empty: it is not a candidate).
    public var candidateBecause: [GCReason]
    /// What protects it (empty: nothing).
    public var protectedBy: [GCReason]

    /// Removed when it is a candidate and nothing protects it.
    public var remove: Bool { !candidateBecause.isEmpty && protectedBy.isEmpty }

    /// The reasons to print: why it goes, or why it stays.
    public var reasons: [GCReason] { remove ? candidateBecause : protectedBy + candidateBecause }
}

/// One exported name's history as gc reads it under the lock.
public struct NameHistory: Sendable {
    public var name: String
    public var current: String?
    public var previous: String?
    /// Every generation directory with its manifest (nil when unreadable).
    public var generations: [(generation: String, manifest: Manifest?)]
    /// Generation → when it last stopped being current (retirement markers).
    public var retired: [String: Int64]

    public init(
        name: String, current: String?, previous: String?, generations: [(generation: String, manifest: Manifest?)],
        retired: [String: Int64]
    ) {
        self.name = name
        self.current = current
        self.previous = previous
        self.generations = generations
        self.retired = retired
    }
}

/// The rules of gc (docs/gc.md), as a pure function of the history, the in-use scan and the options.
public enum GCPolicy {
    /// One decision per generation of `history`, in publication order (unreadable manifests last).
    public static func decide(
        _ history: NameHistory, scan: MountNamespaceScan, options: GCOptions, now: Int64,
        sourceGone: SourceGonePredicate
    ) -> [GCDecision] {
        let readable = history.generations.compactMap { item in
            item.manifest.map { GenerationRecord(name: history.name, generation: item.generation, manifest: $0) }
        }.sorted { ($0.manifest.published ?? 0, $0.generation) < ($1.manifest.published ?? 0, $1.generation) }
        let pinned: Set<String?> = [history.current, history.previous]
        var gone: Set<String> = []
        for record in readable where !pinned.contains(record.generation) && sourceGone(record, readable) {
            gone.insert(record.generation)
        }
        // The rest, newest first: ranked for keep-N.
        let rest = readable.reversed().filter { !pinned.contains($0.generation) && !gone.contains($0.generation) }
        var rank: [String: Int] = [:]
        for (index, record) in rest.enumerated() { rank[record.generation] = index + 1 }

        let unreadable = history.generations.filter { $0.manifest == nil }.map(\.generation).sorted()
        let ordered = readable.map { ($0.generation, Optional($0.manifest)) } + unreadable.map { ($0, Manifest?.none) }
        return ordered.map { generation, manifest in
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
            } else if let position = rank[generation] {
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
}
