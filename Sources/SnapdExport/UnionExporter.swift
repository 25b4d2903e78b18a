import CExportShims
import GenerationStore
import Glibc

/// Keeps the union views `@man` and `@fonts` (docs/exports.md) right while owners are linked, refreshed, switched,
/// rolled back and removed.
///
/// Every path that switches an owner goes through `switchOwner`, in the order that keeps every union entry
/// resolvable: (1) the unions without the names the owner loses, (2) the owner's switch (or retirement),
/// (3) the unions with the owner's new names. `refresh` first checks cheaply (link reads and the unions'
/// `inputs`) and writes nothing when the unions agree with the owners.
public struct UnionExporter: Sendable {
    /// The export root.
    public let store: ExportStore
    /// The system as configured (the snap mount dir), resolved on first use: a switch of a name that is no
    /// union's owner never needs it.
    public var settings: SnapdSettings { resolvedSettings.value }
    private let resolvedSettings: ResolvedOnce<SnapdSettings>
    /// The consumers' caches refreshed after a union switch.
    public let caches: ConsumerCaches

    public init(store: ExportStore, settings: SnapdSettings, caches: ConsumerCaches = .none) {
        self.init(store: store, settings: ResolvedOnce(value: settings), caches: caches)
    }

    /// With the settings resolved when a path first needs them.
    public init(store: ExportStore, settings: ResolvedOnce<SnapdSettings>, caches: ConsumerCaches = .none) {
        self.store = store
        resolvedSettings = settings
        self.caches = caches
    }

    /// What a union update did and found.
    public struct Report: Sendable, Equatable {
        /// Union name → the generation it was switched to, in the order of the switches.
        public var switched: [(union: String, generation: String)] = []
        /// Owners retired because their snap is gone or its current revision exports nothing.
        public var retired: [String] = []
        /// Owners switched to the snap's current revision by `refresh`.
        public var converged: [String] = []
        /// Conflicts and refused entries of the owners this update concerned (all of them for `refresh`).
        public var conflicts: [UnionConflict] = []
        public var refused: [UnionRefusal] = []
        public var warnings: [SnapdWarning] = []
        /// How long each union's publish and switch took (monotonic ns), for export-bench.
        public var republishNanoseconds: [(union: String, nanoseconds: UInt64)] = []
        /// The unions switched to a generation with other entries (not only other inputs): their consumers'
        /// caches are refreshed.
        public var contentChanged: Set<String> = []
        /// How `refresh` found out whether anything changed: nil for the other operations.
        public var check: Check?

        /// What `refresh`'s check read.
        public enum Check: String, Sendable {
            /// The stamp stood (`UnionCheckStamp`): nothing more was read.
            case stamp
            /// The links of every owner (and the unions' headers) were read.
            case links
        }

        public init() {}

        /// True when a union was switched or an owner retired or converged.
        public var changed: Bool { !switched.isEmpty || !retired.isEmpty || !converged.isEmpty }

        public static func == (lhs: Report, rhs: Report) -> Bool {
            lhs.switched.map { "\($0.union)/\($0.generation)" } == rhs.switched.map { "\($0.union)/\($0.generation)" }
                && lhs.retired == rhs.retired && lhs.converged == rhs.converged && lhs.conflicts == rhs.conflicts
                && lhs.refused == rhs.refused && lhs.warnings == rhs.warnings
        }
    }

    /// True for an exported name that can own union entries: a snap instance name that is not a tools provider.
    public static func isOwner(_ name: String) -> Bool {
        !UnionKind.isUnionName(name) && name != SnapdSettings.exportName && ProviderSnap.named(name) == nil
            && (try? SnapNames.validate(instance: name, revision: "1", context: "")) != nil
    }

    /// The root as union targets name it: absolute (a relative `--root` is resolved once it exists).
    func absoluteRoot() throws(StoreError) -> String {
        if store.root.hasPrefix("/") { return store.root }
        do {
            return try store.system.realpath(store.root)
        } catch {
            throw .system("realpath", error, path: store.root, "cannot build the union views")
        }
    }

    /// Every owner's `current` generation: one directory listing and one link read per name. Only names whose
    /// `current` is a snap revision count (what `link` publishes); a name published by hand under another
    /// generation name is no owner.
    func ownerCurrents() throws(StoreError) -> [String: String] {
        var currents: [String: String] = [:]
        for owner in try currentLinks().owners { currents[owner.instance] = owner.generation }
        return currents
    }

    /// The owners with their `current` (sorted by instance), the owners with no `current` at all (a retirement may
    /// have been interrupted), and the unions' `current`: one listing of the root and one link read per name,
    /// through one descriptor.
    ///
    /// `links`: every exported name's `current` (nil where absent; sorted here by name) when the caller read them already
    /// (`status` does), so they are not read twice.
    func currentLinks(_ links: [(name: String, target: String?)]? = nil) throws(StoreError)
        -> (owners: [(instance: String, generation: String)], withoutCurrent: [String], unions: [UnionKind: String])
    {
        var owners: [(instance: String, generation: String)] = []
        var without: [String] = []
        var unions: [UnionKind: String] = [:]
        // `links` is sorted by name, and so is what is kept of it. One name check per name: a valid revision
        // passes with the instance name it is checked with.
        let read: [(name: String, target: String?)]
        if let links { read = links.sorted { $0.name < $1.name } } else { read = try store.links(Layout.current) }
        for (name, current) in read {
            if UnionKind.isUnionName(name) {
                for kind in UnionKind.allCases where kind.exportName == name { unions[kind] = current }
                continue
            }
            guard name != SnapdSettings.exportName, ProviderSnap.named(name) == nil else { continue }
            guard let current else {
                if Self.isOwner(name) { without.append(name) }
                continue
            }
            if (try? SnapNames.validate(instance: name, revision: current, context: "")) != nil {
                owners.append((name, current))
            }
        }
        return (owners, without, unions)
    }

    /// An owner's generation as the unions see it: its sets when its manifest says it comes from that snap
    /// revision (`snap:<instance>/<revision>`), none otherwise.
    func owner(_ instance: String, _ generation: String) throws(StoreError) -> UnionOwner {
        let manifest = try store.manifest(name: instance, generation: generation, sets: Self.isUnionSet)
        let fromSnap = SnapSource(manifestSource: manifest.source) == .snap(instance: instance, revision: generation)
        return UnionOwner(instance: instance, generation: generation, sets: fromSnap ? manifest.sets : [:])
    }

    /// True for an owner's set that some union takes entries from: the only sets the unions read of an owner.
    static func isUnionSet(_ set: String) -> Bool {
        UnionKind.allCases.contains { $0.unionSet(ofOwnerSet: set) != nil }
    }

    /// True when `<instance>/<generation>` was published by `link` from that snap revision.
    func isSnapGeneration(_ instance: String, _ generation: String) -> Bool {
        guard let manifest = try? store.manifest(name: instance, generation: generation) else { return false }
        return SnapSource(manifestSource: manifest.source) == .snap(instance: instance, revision: generation)
    }

    /// A union's current generation and its manifest.
    struct Current {
        var generation: String
        var manifest: Manifest
    }

    func unionCurrent(_ kind: UnionKind) throws(StoreError) -> Current? {
        guard let generation = try store.link(Layout.current, of: kind.exportName) else { return nil }
        return Current(
            generation: generation, manifest: try store.manifest(name: kind.exportName, generation: generation))
    }

    // MARK: - Switching an owner

    /// Switches `instance`'s `current` to `generation` (already published), or retires the name when `generation`
    /// is nil, in the order that keeps every union entry resolvable (docs/exports.md, "Ordering"); a crash between
    /// any two steps leaves unions whose entries all resolve, and `refresh` then converges.
    public func switchOwner(_ writer: StoreWriter, instance: String, to generation: String?) throws(StoreError)
        -> Report
    {
        var report = Report()
        let root = try absoluteRoot()
        var currents = try ownerCurrents()
        let old = currents[instance]
        let oldOwner: UnionOwner? = try old.map { (generation) throws(StoreError) in try owner(instance, generation) }
        let newOwner: UnionOwner? = try generation.map { (generation) throws(StoreError) in
            try owner(instance, generation)
        }
        // Only the unions this switch can change are read and written: a union of man pages is not even read when
        // the owner keeps its page names (two small manifest reads tell), a font union not when it has no fonts.
        var affected: Set<UnionKind> = []
        for kind in UnionKind.allCases where try contentDiffers(kind, instance, old, generation) {
            affected.insert(kind)
        }
        // An owner that comes or goes changes every union's inputs, which list every owner.
        if old == nil || generation == nil { affected = Set(UnionKind.allCases) }
        var unions: [UnionKind: Current] = [:]
        for kind in affected { unions[kind] = try unionCurrent(kind) }
        let involved: Set<String> = [instance]

        // 1. Without the names the owner loses: its entries are those both generations export, as the old one
        //    gives them (man pages through `current` resolve in both generations; fonts still name the old one).
        //    The inputs still name the old generation, so a crash after this step leaves a union that `check`
        //    sees is behind the owner.
        let kept: UnionOwner?? = oldOwner.map { $0.keepingOnlyNames(alsoIn: newOwner) }
        let before = unions
        try apply(
            writer, &unions, root: root, currents: currents, changed: [instance: kept ?? nil], involved: involved,
            kinds: affected, final: false, &report)
        store.faults.hit(.unionWithoutRemoved)
        // 2. The owner itself.
        let hadPrevious = try hasPrevious(instance)
        if let generation {
            try writer.switchCurrent(name: instance, to: generation)
            currents[instance] = generation
        } else if old != nil || hadPrevious {
            try writer.retire(name: instance)
            currents[instance] = nil
            report.retired.append(instance)
        }
        store.faults.hit(.unionOwnerSwitched)
        // 3. With the owner's new names.
        // A union step 1 rewrote records the old generation: rewrite it even if its entries stay as they are.
        let rewritten = Set(UnionKind.allCases.filter { before[$0]?.generation != unions[$0]?.generation })
        try apply(
            writer, &unions, root: root, currents: currents, changed: [instance: newOwner], involved: involved,
            kinds: affected, republishing: rewritten, &report)
        store.faults.hit(.unionWithNew)
        finish(&report, unions: unions, root: root)
        return report
    }

    func hasPrevious(_ instance: String) throws(StoreError) -> Bool {
        try store.link(Layout.previous, of: instance) != nil
    }

    /// `switch NAME GENERATION` as the command runs it: an owner with unions goes through `switchOwner` (the
    /// ordering); any other name is a plain store switch.
    public func switchName(_ writer: StoreWriter, name: String, to generation: String) throws(StoreError)
        -> (outcome: StoreWriter.SwitchOutcome, unions: Report?)
    {
        guard Self.isOwner(name), try hasUnions() else {
            return (try writer.switchCurrent(name: name, to: generation), nil)
        }
        let old = try store.link(Layout.current, of: name)
        if old == generation { return (.unchanged, nil) }
        let report = try switchOwner(writer, instance: name, to: generation)
        return (.switched(from: old), report)
    }

    /// `rollback NAME`: for an owner with unions, a switch to `previous` through `switchOwner` (the same two links
    /// as the store's rollback leaves, in the unions' order); otherwise the store's one-call rollback.
    public func rollbackName(_ writer: StoreWriter, name: String) throws(StoreError)
        -> (from: String, to: String, unions: Report?)
    {
        guard Self.isOwner(name), try hasUnions(), let previous = try store.link(Layout.previous, of: name),
            let current = try store.link(Layout.current, of: name)
        else {
            let (from, to) = try writer.rollback(name: name)
            return (from, to, nil)
        }
        let report = try switchOwner(writer, instance: name, to: previous)
        return (current, previous, report)
    }

    /// True when a union view exists.
    func hasUnions() throws(StoreError) -> Bool {
        for kind in UnionKind.allCases where try store.link(Layout.current, of: kind.exportName) != nil { return true }
        return false
    }

    /// Brings every union in line with the owners' current generations (owners read where the union's inputs
    /// differ, all of them when a name is freed), publishing and switching only a union whose entries change.
    func apply(
        _ writer: StoreWriter, _ unions: inout [UnionKind: Current], root: String, currents: [String: String],
        changed given: [String: UnionOwner?], involved: Set<String>?, kinds: Set<UnionKind> = Set(UnionKind.allCases),
        final: Bool = true, republishing: Set<UnionKind> = [], _ report: inout Report
    ) throws(StoreError) {
        for kind in UnionKind.allCases where kinds.contains(kind) {
            let current = unions[kind]
            if current == nil && currents.isEmpty && given.allSatisfy({ $0.value == nil }) { continue }
            let inputs = current?.manifest.inputs ?? [:]
            let held = current.map { UnionView.owners(in: $0.manifest, kind, root: root) } ?? [:]
            var changes = given
            for (instance, generation) in currents where changes[instance] == nil && inputs[instance] != generation {
                changes[instance] = .some(try owner(instance, generation))
            }
            for instance in inputs.keys where currents[instance] == nil && changes[instance] == nil {
                changes[instance] = .some(nil)
            }
            // Is a held name freed (its holder loses it)? Then other owners may contend for it: read them all.
            let freed = changes.contains { instance, next in
                guard let holding = held[instance] else { return false }
                return holding.sets.contains { set, entries in
                    entries.keys.contains { next?.sets[set]?[$0] == nil }
                }
            }
            // So is every owner when the union has no notes yet (written before they were recorded): its conflicts
            // and refused entries are found anew.
            let readAll = freed || (current != nil && current?.manifest.notes == nil)
            var owners: [String: UnionOwner] = [:]
            if readAll {
                for (instance, generation) in currents where changes[instance] == nil {
                    owners[instance] = try owner(instance, generation)
                }
            } else {
                for (instance, owner) in held where changes[instance] == nil && currents[instance] != nil {
                    owners[instance] = owner
                }
            }
            for case (let instance, let owner?) in changes { owners[instance] = owner }
            let view = UnionView.build(kind, root: root, owners: Array(owners.values), previous: current?.manifest)
            let concerned = involved ?? Set(owners.keys)
            for conflict in view.conflicts
            where (concerned.contains(conflict.refused) || concerned.contains(conflict.owner))
                && !report.conflicts.contains(conflict)
            {
                report.conflicts.append(conflict)
            }
            for refusal in view.refused where concerned.contains(refusal.snap) && !report.refused.contains(refusal) {
                report.refused.append(refusal)
            }
            var manifest = view.manifest ?? Manifest(source: kind.manifestSource, sets: [:], inputs: [:])
            if manifest.sets.isEmpty { manifest.sets = [kind.emptySet: [:]] }
            // Every current owner, also one that gives this union nothing, with the generation the union reflects
            // (an owner not read here keeps what the inputs said: its content for this union is the same), so
            // `check` is a link read per owner.
            var recorded: [String: String] = [:]
            for (instance, generation) in currents { recorded[instance] = owners[instance]?.generation ?? generation }
            manifest.inputs = recorded
            // Its conflicts and refused entries, for `status`: those the view found among the owners it read, and,
            // unless every owner was read, those recorded before of the owners not read again.
            manifest.notes = UnionView.notes(conflicts: view.conflicts, refused: view.refused)
            if !readAll, let previous = current?.manifest.notes, let before = UnionView.recorded(previous, kind) {
                let unchanged = { (snap: String) in changes[snap] == nil && currents[snap] != nil }
                let conflicts = before.conflicts.filter { conflict in
                    unchanged(conflict.refused)
                        && manifest.sets[conflict.set]?[conflict.entry].flatMap {
                            UnionView.owner(ofTarget: $0, root: root)
                        } == conflict.owner
                }
                let refused = before.refused.filter { unchanged($0.snap) }
                manifest.notes?.merge(UnionView.notes(conflicts: conflicts, refused: refused)) { new, _ in new }
            }
            // Unchanged entries write nothing, unless the owners themselves came or went (the inputs must list
            // exactly the owners, so `check` stays a link read per owner) or step 1 of this switch rewrote it.
            let sameOwners = Set((current?.manifest.inputs ?? [:]).keys) == Set((manifest.inputs ?? [:]).keys)
            if let current, current.manifest.sets == manifest.sets, sameOwners,
                current.manifest.notes == manifest.notes,
                !republishing.contains(kind) || current.manifest.inputs == manifest.inputs
            {
                continue
            }
            // An intermediate step never creates an empty union: the last step does, if it stays empty.
            if current == nil && !final && view.manifest == nil { continue }
            let generation = UnionView.generationName(of: manifest)
            if current?.manifest.sets != manifest.sets { report.contentChanged.insert(kind.exportName) }
            let started = SystemClock.monotonicNanoseconds()
            try writer.publish(
                name: kind.exportName, generation: generation, manifest: manifest,
                reusing: current.map { StoreWriter.Reuse(generation: $0.generation, manifest: $0.manifest) })
            // The man link is made before the man union first holds a page, so no crash leaves pages without it.
            if kind == .man && manifest.entryCount > 0 {
                report.warnings += ManPageLink(settings: settings, root: root, system: store.system).ensure()
            }
            try writer.switchCurrent(name: kind.exportName, to: generation)
            unions[kind] = Current(generation: generation, manifest: manifest)
            report.switched.append((kind.exportName, generation))
            report.republishNanoseconds.append((kind.exportName, SystemClock.monotonicNanoseconds() - started))
        }
    }

    /// After the unions changed: the consumers' caches.
    func finish(_ report: inout Report, unions: [UnionKind: Current], root: String) {
        guard !report.contentChanged.isEmpty else { return }
        let link = ManPageLink(settings: settings, root: root, system: store.system)
        let switchedKinds = Set(UnionKind.allCases.filter { report.contentChanged.contains($0.exportName) })
        report.warnings += caches.refresh(switchedKinds, manDirectory: link.path, fontDirectory: fontDirectory(root))
    }

    /// The directory fontconfig is told about: `<root>/@fonts/current/fonts`.
    public func fontDirectory(_ root: String) -> String {
        [root, UnionKind.fonts.exportName, Layout.current, UnionKind.fontsSet].joined(separator: "/")
    }

    // MARK: - refresh

    /// Owners whose retirement a crash interrupted: no `current`, a `previous`, and the snap gone. One link read
    /// per name without `current` (there are few).
    func retiredHalfway(among withoutCurrent: [String]? = nil) throws(StoreError) -> [String] {
        var result: [String] = []
        let names: [String]
        if let withoutCurrent { names = withoutCurrent } else { names = try currentLinks().withoutCurrent }
        for name in names {
            if try store.link(Layout.previous, of: name) != nil, snapGone(name) { result.append(name) }
        }
        return result
    }

    /// True when the snap is known to be gone: the snap mount dir exists and `<smd>/<instance>` does not. A
    /// missing mount dir or an error reading it never makes a snap look removed.
    func snapGone(_ instance: String) -> Bool {
        let files = SystemFiles(system: store.system)
        guard (try? files.stat(settings.snapMountDir))??.kind == .directory else { return false }
        do throws(Errno) {
            return try files.lstat(settings.snapMountDir + "/" + instance) == nil
        } catch {
            return false
        }
    }

    /// Whether the unions (and the owners' links) agree with the system, reading only links, the unions' `inputs`
    /// and, for owners whose generation differs from those inputs, their two manifests. Nil when all agree.
    public func check() throws(StoreError) -> String? {
        var headers: [UnionKind: ManifestHeader] = [:]
        return try check(readingHeaders: &headers)
    }

    /// `check`, keeping the headers of the unions' current generations it read (for `UnionSurvey.summary`), from
    /// the `current` links of `links` when given (see `currentLinks`).
    func check(
        readingHeaders headers: inout [UnionKind: ManifestHeader], links: [(name: String, target: String?)]? = nil
    ) throws(StoreError) -> String? {
        let (owners, withoutCurrent, unionCurrents) = try currentLinks(links)
        let system = store.system
        // One link read per snap, relative to one descriptor of the snap mount dir: a snap whose `current` reads is
        // installed; only one that does not is asked whether it is gone. In instance order, so the first difference
        // found is the one reported.
        let mountDir = owners.isEmpty ? nil : try? system.open(AT_FDCWD, settings.snapMountDir, .directory)
        defer { if let mountDir { system.close(mountDir) } }
        for (instance, generation) in owners {
            guard let mountDir, let target = try? system.readlinkat(mountDir, instance + "/" + Layout.current) else {
                if snapGone(instance) {
                    return "\(instance) is no longer installed (\(settings.snapMountDir + "/" + instance))"
                }
                continue
            }
            let revision = Self.lastComponent(target)
            if !revision.isEmpty, revision != generation {
                return "\(instance)'s current revision is \(revision), \(instance)/current names \(generation)"
            }
        }
        for name in try retiredHalfway(among: withoutCurrent) {
            return "\(name) was being retired (previous left, no current)"
        }
        if owners.isEmpty && unionCurrents.isEmpty { return nil }
        for kind in UnionKind.allCases {
            guard let generation = unionCurrents[kind] else { return "\(kind.exportName) has no current generation" }
            let header = try store.header(name: kind.exportName, generation: generation)
            headers[kind] = header
            let inputs = header.inputs ?? [:]
            if header.notes == nil { return "\(kind.exportName) was written before its conflicts were recorded" }
            // The inputs list every owner (docs/exports.md); a union written before they did is brought up to date
            // once, so that later checks are link reads. One lookup per owner; only an owner whose generation
            // differs from its input, or an input of an owner that is gone, is looked at further.
            var differing: [String] = []
            for (instance, generation) in owners {
                guard let input = inputs[instance] else {
                    return "\(kind.exportName)'s inputs do not list the owner \(instance)"
                }
                if input != generation { differing.append(instance) }
            }
            if inputs.count > owners.count {
                let listed = Set(owners.map(\.instance))
                differing += inputs.keys.filter { !listed.contains($0) }
                differing.sort()
            }
            guard !differing.isEmpty else { continue }
            let currents = Dictionary(owners, uniquingKeysWith: { first, _ in first })
            for instance in differing {
                if try contentDiffers(kind, instance, inputs[instance], currents[instance]) {
                    return "\(kind.exportName) was built from \(instance) \(inputs[instance] ?? "(none)"), "
                        + "\(instance)/current is \(currents[instance] ?? "(none)")"
                }
            }
        }
        if unionCurrents[.man] != nil {
            let link = ManPageLink(settings: settings, root: try absoluteRoot(), system: store.system)
            if link.needsUpdate() { return "\(link.path) does not name \(link.target)" }
        }
        return nil
    }

    /// The last component of a link's target, trailing `/` ignored (empty for `/`): the revision a snap's `current`
    /// names.
    static func lastComponent(_ target: String) -> String {
        let bytes = target.utf8
        var end = bytes.endIndex
        while end > bytes.startIndex, bytes[bytes.index(before: end)] == UInt8(ascii: "/") {
            end = bytes.index(before: end)
        }
        var start = end
        while start > bytes.startIndex, bytes[bytes.index(before: start)] != UInt8(ascii: "/") {
            start = bytes.index(before: start)
        }
        return String(target[start..<end])
    }

    /// Whether an owner's change between two generations matters to a union: for man pages, a different set of
    /// names (entries go through `current`); for fonts, any font at all (entries name the generation).
    func contentDiffers(_ kind: UnionKind, _ instance: String, _ old: String?, _ new: String?) throws(StoreError)
        -> Bool
    {
        func names(_ generation: String?) -> Set<String>? {
            guard let generation else { return [] }
            guard let manifest = try? store.manifest(name: instance, generation: generation, sets: Self.isUnionSet)
            else { return nil }
            var result: Set<String> = []
            for (set, entries) in manifest.sets where kind.unionSet(ofOwnerSet: set) != nil {
                for entry in entries.keys { result.insert(set + "/" + entry) }
            }
            return result
        }
        guard let before = names(old), let after = names(new) else { return true }
        switch kind {
        case .man: return before != after
        case .fonts: return !before.isEmpty || !after.isEmpty
        }
    }

    /// `refresh`'s part: with nothing to do (see `check`) writes nothing and takes no lock; otherwise, under the
    /// lock, switches each owner whose snap's current revision changed outside the hooks (or retires it when the
    /// snap is gone or its revision exports nothing), each in the ordering of `switchOwner`, then brings the unions
    /// in line.
    ///
    /// Where the store's stamp holds the words of `UnionCheckStamp` for the system as it is now, nothing has changed
    /// since a refresh found everything in agreement: nothing more is read. Where there are such words but the stamp
    /// does not hold them, the check is made under the lock and, when all agree, the words are left as the stamp
    /// (the only write of a refresh with nothing to do, once after snapd, a writer or a reboot changed what they
    /// say). Without words, the check is made without the lock, as before.
    public func refresh(wait: Bool = true, dryRun: Bool = false) throws -> Report {
        let words = (try? absoluteRoot()).flatMap { UnionCheckStamp.words(settings, root: $0, store.system) }
        if let words, store.stamp() == words.bytes {
            var report = Report()
            report.check = .stamp
            return report
        }
        var report = try refreshByLinks(words: words, wait: wait, dryRun: dryRun)
        report.check = .links
        return report
    }

    /// `refresh` without a stamp that stands: the check, stamped when `words` may be, then what it found to do.
    func refreshByLinks(words: (bytes: [UInt8], settled: Bool)?, wait: Bool, dryRun: Bool) throws -> Report {
        // With words that may be left, the check is made once, under the lock, where its verdict can be stamped:
        // only in a root that is one already (a refresh with nothing to do never creates or adopts a root), and
        // never waiting for the lock (the stamp is a saving, not a duty): held by another writer, the check is made
        // without it.
        if let words, words.settled, !dryRun, try store.rootState() == .marked {
            do {
                return try store.withWriter(wait: false) { writer in
                    guard try check() != nil else {
                        try writer.writeStamp(words.bytes)
                        return Report()
                    }
                    return try converge(writer)
                }
            } catch let error as StoreError where error.kind == .busy {}
        }
        guard let reason = try check() else { return Report() }
        if dryRun {
            var report = Report()
            report.warnings.append(SnapdWarning(path: store.root, message: "would update the union views: \(reason)"))
            return report
        }
        return try store.withWriter(wait: wait, creatingRoot: true) { writer in try converge(writer) }
    }

    /// `refresh`'s work under the lock, once its check found something to do.
    func converge(_ writer: StoreWriter) throws -> Report {
        var report = Report()
        let linker = SnapExportsLinker(store: store, settings: settings, caches: .none)
        for (instance, generation) in try ownerCurrents().sorted(by: { $0.key < $1.key })
        where isSnapGeneration(instance, generation) {
            let snapDir = settings.snapMountDir + "/" + instance
            let files = SystemFiles(system: store.system)
            if snapGone(instance) {
                let step = try switchOwner(writer, instance: instance, to: nil)
                report.merge(step)
                continue
            }
            // The revision its `current` names, read as the check reads it.
            guard let target = (try? files.readlink(snapDir + "/" + Layout.current)) ?? nil,
                case let revision = Self.lastComponent(target), !revision.isEmpty, revision != generation
            else { continue }
            do {
                let step = try linker.link(writer, instance: instance, revision: revision)
                if let unions = step.unions { report.merge(unions) }
                report.converged.append(instance)
            } catch {
                report.warnings.append(
                    SnapdWarning(
                        path: snapDir + "/" + revision,
                        message: "\(instance)'s current revision cannot be exported (\(error)); its exports "
                            + "stay at \(generation)"))
            }
        }
        for name in try retiredHalfway() {
            try writer.retire(name: name)
            report.retired.append(name)
        }
        let root = try absoluteRoot()
        var unions: [UnionKind: Current] = [:]
        for kind in UnionKind.allCases { unions[kind] = try unionCurrent(kind) }
        var step = Report()
        try apply(writer, &unions, root: root, currents: try ownerCurrents(), changed: [:], involved: nil, &step)
        let link = ManPageLink(settings: settings, root: root, system: store.system)
        if link.needsUpdate() { step.warnings += link.ensure() }
        finish(&step, unions: unions, root: root)
        report.merge(step)
        return report
    }
}

extension UnionExporter.Report {
    mutating func merge(_ other: UnionExporter.Report) {
        switched += other.switched
        retired += other.retired
        converged += other.converged
        for conflict in other.conflicts where !conflicts.contains(conflict) { conflicts.append(conflict) }
        for refusal in other.refused where !refused.contains(refusal) { refused.append(refusal) }
        warnings += other.warnings
        republishNanoseconds += other.republishNanoseconds
        contentChanged.formUnion(other.contentChanged)
    }
}

extension UnionKind {
    /// The set an empty union still holds, so its directory exists for the consumer (and its inputs are kept).
    var emptySet: String { self == .man ? "man1" : Self.fontsSet }
}

/// What the union views hold and what they refuse, read in full (every owner's current manifest): what `exports`
/// and `status` report. Reads only; never locks.
public struct UnionSurvey: Sendable {
    /// One union as it is on disk, and what the rule makes of the owners now.
    public struct Union: Sendable {
        public var kind: UnionKind
        public var current: String?
        /// `set/entry` → owner, target; as the current generation holds them.
        public var entries: [(set: String, entry: String, owner: String, target: String)]
        public var conflicts: [UnionConflict]
        public var refused: [UnionRefusal]
        /// False when the current generation differs from what the owners imply now (run `refresh`).
        public var upToDate: Bool
    }

    public var unions: [Union]
    /// `<snap mount dir>/man` and what is there.
    public var manLink: (path: String, target: String, state: String)
    /// Owners and their current generations.
    public var owners: [String: String]

    /// What `status` reports of the unions: their conflicts, refused entries and whether they are up to date.
    /// When `check` finds them up to date, from the unions' own headers (`notes`, two small reads, whatever the
    /// number of owners); otherwise (or for a union written before its notes were recorded) from `read`, every
    /// owner's manifest. Nil when there is no owner and no union at all.
    public static func summary(_ exporter: UnionExporter, links: [(name: String, target: String?)]? = nil)
        throws(StoreError) -> (conflicts: [UnionConflict], refused: [UnionRefusal], upToDate: Bool)?
    {
        var headers: [UnionKind: ManifestHeader] = [:]
        if try exporter.check(readingHeaders: &headers, links: links) == nil {
            var conflicts: [UnionConflict] = []
            var refused: [UnionRefusal] = []
            var complete = true
            for kind in UnionKind.allCases {
                guard let notes = headers[kind]?.notes, let recorded = UnionView.recorded(notes, kind) else {
                    complete = false
                    break
                }
                conflicts += recorded.conflicts
                refused += recorded.refused
            }
            if complete { return (conflicts, refused, true) }
        }
        guard let survey = try read(exporter) else { return nil }
        return (
            survey.unions.flatMap(\.conflicts), survey.unions.flatMap(\.refused), survey.unions.allSatisfy(\.upToDate)
        )
    }

    /// Nil when there is no owner and no union at all.
    public static func read(_ exporter: UnionExporter) throws(StoreError) -> UnionSurvey? {
        let currents = try exporter.ownerCurrents()
        let root = try exporter.absoluteRoot()
        var unions: [Union] = []
        var any = !currents.isEmpty
        var owners: [UnionOwner] = []
        for (instance, generation) in currents.sorted(by: { $0.key < $1.key }) {
            owners.append(try exporter.owner(instance, generation))
        }
        for kind in UnionKind.allCases {
            let current = try exporter.unionCurrent(kind)
            if current != nil { any = true }
            let view = UnionView.build(kind, root: root, owners: owners, previous: current?.manifest)
            var entries: [(set: String, entry: String, owner: String, target: String)] = []
            for (set, items) in (current?.manifest.sets ?? [:]).sorted(by: { $0.key < $1.key }) {
                for (entry, target) in items.sorted(by: { $0.key < $1.key }) {
                    entries.append((set, entry, UnionView.owner(ofTarget: target, root: root) ?? "?", target))
                }
            }
            let implied = view.manifest?.sets ?? [kind.emptySet: [:]]
            let upToDate = current.map { $0.manifest.sets == implied } ?? owners.isEmpty
            unions.append(
                Union(
                    kind: kind, current: current?.generation, entries: entries, conflicts: view.conflicts,
                    refused: view.refused, upToDate: upToDate))
        }
        guard any else { return nil }
        let link = ManPageLink(settings: exporter.settings, root: root, system: exporter.store.system)
        let state: String
        switch link.state() {
        case .absent: state = "absent"
        case .ours: state = "ours"
        case .oursElsewhere(let value): state = "names another root's union (\(value))"
        case .foreign(let what): state = "not ours: \(what)"
        }
        return UnionSurvey(unions: unions, manLink: (link.path, link.target, state), owners: currents)
    }
}
