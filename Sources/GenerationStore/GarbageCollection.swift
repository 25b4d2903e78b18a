import CExportShims
import Glibc

/// What one gc pass saw, decided and did.
public struct GCReport: Sendable {
    /// One decision per generation of every name, names in order, generations in publication order.
    public var decisions: [GCDecision]
    /// `name/generation` of every generation removed (or, in a dry run, that would be).
    public var removed: [String]
    /// What could not be deleted (a mount point inside a removed generation), left in `.trash`.
    public var leftovers: [StoreWriter.Leftover]
    /// Retirement markers removed (or, in a dry run, that would be): superseded, or naming no generation.
    public var prunedMarkers: [String]
    /// `.trash/*` leftovers of an interrupted gc that this pass finished (or, in a dry run, would).
    public var trashFinished: [String]
    /// The in-use scan the decisions rest on.
    public var scan: MountNamespaceScan
    /// True when nothing was changed.
    public var dryRun: Bool

    /// True when the pass removed (or, in a dry run, would remove) anything: a generation, a retirement marker or
    /// a `.trash` leftover.
    public var changes: Bool {
        !removed.isEmpty || !prunedMarkers.isEmpty || !trashFinished.isEmpty || !removedNames.isEmpty
    }
    /// Retired names whose directory this pass removed (or would): no `current`, no `previous`, no generation left.
    public var removedNames: [String] = []
    /// Generations gc decided to remove but could not move into `.trash` (`renameat` refused with `EXDEV`: a
    /// directory of an overlayfs lower layer), kept whole, each with the reason; their decisions say
    /// `cannot-move`.
    public var unmovable: [StoreWriter.Leftover] = []
}

extension StoreWriter {
    /// One garbage-collection pass under this writer's lock (docs/gc.md).
    ///
    /// Finishes `.trash/*`, reads every name's generations, links and retirement markers, scans the live mount
    /// namespaces (only when some generation would otherwise be removed), decides (`GCPolicy`), removes each unneeded generation with `removeGeneration` (one
    /// `renameat` into `.trash`, fsync, then a delete that never follows a symlink or crosses a mount), and
    /// prunes retirement markers that are superseded or name a removed generation. `current`, `previous`, a
    /// generation within the grace period and a generation any namespace has mounted are never removed.
    ///
    /// With `only`, the pass looks at those exported names alone (what a `refresh` that published or switched
    /// one name could have made removable); `.trash` is finished either way.
    public func collectGarbage(
        options: GCOptions = GCOptions(), sourceGone: SourceGonePredicate, only: Set<String>? = nil,
        procRoot: String = "/proc"
    ) throws(StoreError) -> GCReport {
        let context = "cannot collect garbage"
        var report = GCReport(
            decisions: [], removed: [], leftovers: [], prunedMarkers: [], trashFinished: [],
            scan: MountNamespaceScan(namespaces: [], namespacesRead: 0, unreadable: []), dryRun: options.dryRun)
        if options.dryRun {
            if let trash = try system.openDirectoryIfPresent(
                rootFd, Layout.trash, at: store.path(Layout.trash), context)
            {
                report.trashFinished = try system.entries(trash.raw, at: store.path(Layout.trash), context)
                    .map(\.name).sorted().map { store.path(Layout.trash, $0) }
            }
        } else {
            let (finished, leftovers) = try emptyTrash()
            report.trashFinished = finished
            report.leftovers += leftovers
        }

        var histories: [NameHistory] = []
        var markers: [RetirementMarkers.Reading] = []
        var caches: [(stale: Bool, present: Bool, listing: [DirectoryEntry])] = []
        for name in try store.exportedNames(rootFd, context) where only?.contains(name) ?? true {
            let history: NameHistory
            let reading: RetirementMarkers.Reading
            let cache: (stale: Bool, present: Bool, listing: [DirectoryEntry])
            do {
                (history, reading, cache) = try self.history(of: name, dryRun: options.dryRun, context)
            } catch  where error.kind == .badData {
                // `current` or `previous` is not a link: what the name protects is unknown, so none of its
                // generations is removed; the rest of the root is collected as usual.
                report.leftovers.append(
                    Leftover(path: store.path(name), reason: error.reason + "; none of its generations removed"))
                continue
            }
            histories.append(history)
            markers.append(reading)
            caches.append(cache)
        }
        let now = options.now ?? SystemClock.wallNanoseconds()
        // The namespace scan reads every process's mountinfo: do it only when some generation would otherwise go.
        // The decisions without a scan are final when they remove nothing; otherwise they are made again with it.
        // Each name's readable generations in publication order, made once for its `gone` and its decisions.
        var readables = histories.map(GCPolicy.readable)
        var gone = histories.indices.map { GCPolicy.gone(histories[$0], sourceGone, readable: readables[$0]) }
        var unscanned = histories.indices.map {
            GCPolicy.decide(
                histories[$0], scan: report.scan, options: options, now: now, gone: gone[$0], readable: readables[$0])
        }
        // What gc removes is decided from the manifests themselves, never from the header cache alone: every
        // generation of a name about to lose one has its header read again from its manifest, and a name whose cache
        // said otherwise (a record the cache got wrong) is decided again from what the manifests say.
        for index in histories.indices {
            try confirmHeaders(
                &histories[index], &readables[index], &gone[index], &unscanned[index], report.scan, options, now,
                sourceGone, context)
        }
        if unscanned.contains(where: { $0.contains(where: \.remove) }) {
            let location = try ExportLocation.locate(root: store.root, system: system, procRoot: procRoot)
            report.scan = try MountNamespaceScan.scan(location, system: system, procRoot: procRoot)
            unscanned = histories.indices.map {
                GCPolicy.decide(
                    histories[$0], scan: report.scan, options: options, now: now, gone: gone[$0],
                    readable: readables[$0])
            }
        }
        for (index, decided) in unscanned.enumerated() {
            let (history, reading, cache) = (histories[index], markers[index], caches[index])
            var decisions = decided
            var remaining = Set(history.generations.map(\.generation))
            for index in decisions.indices where decisions[index].remove {
                let decision = decisions[index]
                if !options.dryRun {
                    do {
                        report.leftovers += try removeGeneration(name: history.name, generation: decision.generation)
                    } catch  where error.syscall == "renameat" && error.errno == .crossDevice {
                        // overlayfs without redirect_dir refuses to rename a directory of a lower layer: the
                        // generation stays whole and visible, kept with the reason (docs/gc.md, "On overlayfs").
                        decisions[index].protectedBy.append(.cannotMove(error.reason))
                        report.unmovable.append(
                            Leftover(path: store.path(history.name, decision.generation), reason: error.reason))
                        continue
                    }
                }
                remaining.remove(decision.generation)
                report.removed.append(history.name + "/" + decision.generation)
            }
            report.decisions += decisions
            // The header cache: rewritten without the removed generations' records (so it never grows beyond the
            // generations there are), or, by the gc command, where it misses or holds stale records; removed with
            // the last generation. Never by a dry run, and never by a pass that changes nothing else (a no-op
            // refresh's writes nothing).
            let removedHere = remaining.count < history.generations.count
            if !options.dryRun
                && ((cache.present && (removedHere || remaining.isEmpty)) || (options.healHeaderCaches && cache.stale))
            {
                try dropStamp(context)
                rewriteHeaderCache(
                    history.name, try nameDirectory(history.name, create: false, context),
                    history.generations.filter { remaining.contains($0.generation) }, listing: cache.listing)
            }
            report.prunedMarkers += try pruneMarkers(
                of: history.name, reading, keepingFor: remaining, dryRun: options.dryRun)
            if history.current == nil && history.previous == nil && remaining.isEmpty,
                try removeRetiredDirectory(history.name, dryRun: options.dryRun)
            {
                report.removedNames.append(history.name)
            }
        }
        return report
    }

    /// Removes the directory of a retired name that holds nothing more (its markers were pruned with its last
    /// generation); a directory that still holds anything (a temporary link of a crashed writer) stays.
    private func removeRetiredDirectory(_ name: String, dryRun: Bool) throws(StoreError) -> Bool {
        let context = "cannot remove the retired name \(name)"
        let nameFd = try nameDirectory(name, create: false, context)
        let left = try system.entries(nameFd, at: store.path(name), context).map(\.name)
        if dryRun { return left.allSatisfy { $0.hasPrefix(Layout.retiredPrefix) || $0 == Layout.headers } }
        guard left.isEmpty else { return false }
        try dropStamp(context)
        forgetName(name)
        do {
            try system.unlinkat(rootFd, name, AT_REMOVEDIR)
        } catch .notEmpty, .fileExists, .noSuchFileOrDirectory {
            return false
        } catch {
            throw .system("rmdir", error, path: store.path(name), context)
        }
        try system.sync(rootFd, at: store.root, context)
        return true
    }

    /// When `decisions` remove any generation of the name: reads again, from its manifest, the header of every
    /// generation of the name (a removal depends on the others' headers too: keep-N ranks by publication time, a
    /// host generation is gone once a later one is), and where any differs from what `history` holds (a header
    /// cache record that is wrong), `history` takes the manifests' (nil where unreadable, which protects),
    /// `readable` is made again from it, and the name is decided again. So what gc removes is decided from
    /// manifests only. One header read per generation of a name that loses some; none for a name that loses none.
    private func confirmHeaders(
        _ history: inout NameHistory, _ readable: inout [GenerationRecord], _ gone: inout Set<String>,
        _ decisions: inout [GCDecision],
        _ scan: MountNamespaceScan, _ options: GCOptions, _ now: Int64, _ sourceGone: SourceGonePredicate,
        _ context: String
    ) throws(StoreError) {
        guard decisions.contains(where: \.remove) else { return }
        let nameFd = try nameDirectory(history.name, create: false, context)
        var changed = false
        for position in history.generations.indices {
            let generation = history.generations[position].generation
            let actual = try? system.readManifestHeader(
                nameFd, below: generation, at: store.path(history.name, generation), checked: false, context)
            if history.generations[position].header != actual {
                history.generations[position].header = actual
                changed = true
            }
        }
        if changed {
            readable = GCPolicy.readable(history)
            gone = GCPolicy.gone(history, sourceGone, readable: readable)
            decisions = GCPolicy.decide(history, scan: scan, options: options, now: now, gone: gone, readable: readable)
        }
    }

    /// Links, generations with their manifests' headers, and retirement times of one name, from one listing of its
    /// directory.
    private func history(of name: String, dryRun: Bool, _ context: String) throws(StoreError)
        -> (NameHistory, RetirementMarkers.Reading, (stale: Bool, present: Bool, listing: [DirectoryEntry]))
    {
        let (nameFd, names) = try listNameDirectory(name, context)
        let current = try system.link(nameFd, Layout.current, at: store.path(name, Layout.current), context)
        let read = try store.generations(of: name, nameFd, listing: names, context)
        let (generations, listing) = (read.generations, read.listing)
        // A switch interrupted after its exchange is completed first, so the displaced `current` is protected as
        // `previous` (a dry run counts it as `previous` and writes nothing). The listing, made under the lock,
        // tells whether such a link is there at all.
        var completed: String?
        if let current, case let pending = Layout.pendingLink(switchingTo: current),
            listing.contains(where: { $0.name == pending })
        {
            completed = try completeInterruptedSwitch(name, nameFd, current: current, dryRun: dryRun, context)
        }
        let reading = try RetirementMarkers.read(
            system, nameFd, at: store.path(name), listing: listing.map(\.name), context)
        let previous = completed ?? reading.previous
        let history = NameHistory(
            name: name, current: current, previous: previous, generations: generations, retired: reading.latest)
        return (history, reading, (read.cacheIsStale, listing.contains { $0.name == Layout.headers }, listing))
    }

    /// Removes the retirement markers of `name` (as `reading` found them) that are not the latest of a generation
    /// in `existing`.
    private func pruneMarkers(
        of name: String, _ reading: RetirementMarkers.Reading, keepingFor existing: Set<String>, dryRun: Bool
    ) throws(StoreError) -> [String] {
        // The common case, no marker or one of a generation that stays: nothing to prune.
        if reading.markers.isEmpty || (reading.markers.count == 1 && existing.contains(reading.markers[0].generation)) {
            return []
        }
        let context = "cannot prune retirement markers of \(name)"
        let nameFd = try nameDirectory(name, create: false, context)
        var latestEntry: [String: RetirementMarkers.Marker] = [:]
        for marker in reading.markers where existing.contains(marker.generation) {
            if let kept = latestEntry[marker.generation], (kept.time, kept.entry) > (marker.time, marker.entry) {
                continue
            }
            latestEntry[marker.generation] = marker
        }
        let keep = Set(latestEntry.values.map(\.entry))
        var pruned: [String] = []
        for marker in reading.markers.sorted(by: { $0.entry < $1.entry }) where !keep.contains(marker.entry) {
            let path = store.path(name, marker.entry)
            if !dryRun {
                try dropStamp(context)
                do {
                    try system.unlinkat(nameFd, marker.entry, 0)
                } catch .noSuchFileOrDirectory {
                } catch {
                    throw .system("unlinkat", error, path: path, context)
                }
            }
            pruned.append(path)
        }
        if !pruned.isEmpty && !dryRun { try system.sync(nameFd, at: store.path(name), context) }
        return pruned
    }
}
