import GenerationStore

/// `link` and `unlink` of a generic snap: publishes its `meta/exports.json` under `<instance>/<revision>/`
/// and switches `<instance>/current`, keeping the union views right in the order `UnionExporter.switchOwner` gives.
public struct SnapExportsLinker: Sendable {
    /// The export root.
    public let store: ExportStore
    /// The system as configured.
    public let settings: SnapdSettings
    /// The consumers' caches refreshed after a union switch.
    public let caches: ConsumerCaches

    public init(store: ExportStore, settings: SnapdSettings, caches: ConsumerCaches = .none) {
        self.store = store
        self.settings = settings
        self.caches = caches
    }

    var unions: UnionExporter { UnionExporter(store: store, settings: settings, caches: caches) }

    /// What `link` or `unlink` of a generic snap did.
    public struct Report: Sendable, Equatable {
        public var instance: String
        public var revision: String
        /// True when `<instance>/<revision>` was published now.
        public var published: Bool
        /// What `<instance>/current` named before.
        public var previousCurrent: String?
        /// What it names after.
        public var current: String?
        /// Entries exported (0 when the snap exports nothing).
        public var entries: Int
        /// What happened, for people.
        public var note: String
        /// What the union views did (nil when nothing was written), with the snap's conflicts and refused entries.
        public var unions: UnionExporter.Report?

        /// True when something was written.
        public var changed: Bool { published || previousCurrent != current || unions?.changed == true }
    }

    /// The exports of one mounted revision, or nil when it ships no `meta/exports.json`.
    func exports(instance: String, revision: String, context: String) throws(StoreError) -> Manifest? {
        let files = SystemFiles(system: store.system)
        let root = settings.snapMountDir + "/" + instance + "/" + revision
        let yamlPath = root + "/meta/snap.yaml"
        let yamlBytes: [UInt8]
        do {
            yamlBytes = try files.read(yamlPath)
        } catch where error.errno == .noSuchFileOrDirectory {
            throw StoreError(.missingInput, context, "revision is not mounted (no meta/snap.yaml)", path: root)
        } catch {
            throw .read(error, path: yamlPath, context)
        }
        let yaml: SnapYaml
        switch SnapYaml.parse(yamlBytes) {
        case .success(let read): yaml = read
        case .failure(let problem): throw StoreError(.badData, context, "\(problem)", path: yamlPath)
        }
        let path = root + "/" + SnapExports.path
        let bytes: [UInt8]
        do {
            bytes = try files.read(path)
        } catch where error.errno == .noSuchFileOrDirectory {
            return nil
        } catch {
            throw .read(error, path: path, context)
        }
        let exports = try SnapExports.decode(bytes, path: path, context: context)
        let manifest = exports.manifest(
            instance: instance, revision: revision, version: yaml.version, snapMountDir: settings.snapMountDir)
        try manifest.validate(context: context + " (\(path))")
        return manifest
    }

    /// Publishes the revision's exports (if it has any) and switches `<instance>/current` to it. With nothing
    /// to do it writes nothing. Any bad entry fails the whole link: nothing is published for the snap.
    @discardableResult
    public func link(instance: String, revision: String, wait: Bool = true) throws -> Report {
        let context = "cannot link \(instance) \(revision)"
        try SnapNames.validate(instance: instance, revision: revision, context: context)
        let current = try store.link(Layout.current, of: instance)
        let manifest = try exports(instance: instance, revision: revision, context: context)
        if manifest == nil && current == nil {
            return Report(
                instance: instance, revision: revision, published: false, previousCurrent: nil, current: nil,
                entries: 0, note: "\(instance) \(revision) ships no \(SnapExports.path); nothing to export")
        }
        if let manifest, current == revision,
            (try? store.manifest(name: instance, generation: revision))?.hasSameContent(as: manifest) == true,
            try unions.check() == nil
        {
            return Report(
                instance: instance, revision: revision, published: false, previousCurrent: current,
                current: current, entries: manifest.entryCount,
                note: "\(instance)/current already is \(revision); nothing changed")
        }
        return try store.withWriter(wait: wait, creatingRoot: true) { writer in
            try link(writer, instance: instance, revision: revision)
        }
    }

    /// `link` under `writer`'s lock: publishes the revision's exports and switches the owner in the unions' order;
    /// a revision without `meta/exports.json` withdraws the snap's exports (the unions first, then its name).
    func link(_ writer: StoreWriter, instance: String, revision: String) throws -> Report {
        let context = "cannot link \(instance) \(revision)"
        var report = Report(
            instance: instance, revision: revision, published: false, previousCurrent: nil, current: nil,
            entries: 0, note: "")
        report.previousCurrent = try store.link(Layout.current, of: instance)
        guard let manifest = try exports(instance: instance, revision: revision, context: context) else {
            report.unions = try unions.switchOwner(writer, instance: instance, to: nil)
            report.note =
                "\(instance) \(revision) ships no \(SnapExports.path); \(instance)'s exports are withdrawn"
            return report
        }
        report.entries = manifest.entryCount
        report.published =
            try writer.publish(name: instance, generation: revision, manifest: manifest) == .published
        report.unions = try unions.switchOwner(writer, instance: instance, to: revision)
        report.current = revision
        report.note = "\(instance)/current -> \(revision)"
        return report
    }

    /// After snapd unlinked `revision`: if `<instance>/current` names it, switches to the snap's current
    /// revision (per the snap mount dir) when that one is another mounted revision with exports; otherwise
    /// leaves `current` as it is and says so (there is nothing else to point at).
    @discardableResult
    public func unlink(instance: String, revision: String, wait: Bool = true) throws -> Report {
        let context = "cannot unlink \(instance) \(revision)"
        try SnapNames.validate(instance: instance, revision: revision, context: context)
        // Unlinking writes only into a root that holds the snap's exports: an absent or foreign root is refused.
        try store.requireRoot(context)
        let current = try store.link(Layout.current, of: instance)
        var report = Report(
            instance: instance, revision: revision, published: false, previousCurrent: current, current: current,
            entries: 0, note: "")
        guard current == revision else {
            report.note = "\(instance)/current does not name \(revision); nothing to do"
            return report
        }
        let files = SystemFiles(system: store.system)
        let link = settings.snapMountDir + "/" + instance + "/current"
        let snapCurrent = (try? files.readlink(link))??.split(separator: "/").last.map(String.init)
        guard let next = snapCurrent, next != revision,
            let manifest = try? exports(instance: instance, revision: next, context: context)
        else {
            report.note =
                "no other revision of \(instance) exports anything; \(instance)/current still names "
                + "\(revision)"
            return report
        }
        report.entries = manifest.entryCount
        return try store.withWriter(wait: wait) { writer in
            report.published = try writer.publish(name: instance, generation: next, manifest: manifest) == .published
            report.unions = try unions.switchOwner(writer, instance: instance, to: next)
            report.current = next
            report.note = "\(instance)/current -> \(next)"
            return report
        }
    }
}
