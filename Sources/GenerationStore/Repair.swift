/// Removing what interrupted writers left behind.
extension StoreWriter {
    /// What `repair` completed, removed and could not.
    public struct RepairReport: Sendable, Equatable {
        /// Switches interrupted after their exchange, completed: `previous` now names the displaced `current`.
        public var completed: [CompletedSwitch] = []
        /// Absolute paths removed: `.staging/*`, `.trash/*`, `<name>/.next-*`, a corrupt `<name>/.headers`, a `.stamp`
        /// that is not a regular file.
        public var removed: [String] = []
        /// What could not be removed, with the reason.
        public var leftovers: [Leftover] = []
    }

    /// A switch that `repair` completed.
    public struct CompletedSwitch: Sendable, Equatable {
        /// The exported name.
        public var name: String
        /// What `current` names (the switch's target).
        public var current: String
        /// What `previous` names now (the displaced `current`).
        public var previous: String

        public init(name: String, current: String, previous: String) {
            self.name = name
            self.current = current
            self.previous = previous
        }
    }

    /// True when the header cache of `name` is a regular file whose every record that matches a generation's
    /// manifest agrees with that generation's manifest header (what `verify` checks; stale records do not count).
    private func headerCacheIsSound(
        _ name: String, _ nameFd: Int32, _ listing: [DirectoryEntry], _ context: String
    ) throws(StoreError) -> Bool {
        let path = store.path(name, Layout.headers)
        guard try system.status(nameFd, Layout.headers, at: path, context)?.kind == .regular else { return false }
        let cache = HeaderCache.read(system, nameFd)
        for entry in listing where cache.records[entry.name] != nil {
            guard let identity = DirectoryIdentity.of(entry, in: nameFd, system),
                let cached = cache.header(of: entry.name, identity: identity)
            else { continue }
            let header = try? system.readManifestHeader(
                nameFd, below: entry.name, at: store.path(name, entry.name), context)
            if header != cached { return false }
        }
        return true
    }

    /// Completes switches interrupted after their exchange (docs/format.md, "switch"), then removes
    /// `.staging/*`, `.trash/*`, the other `<name>/.next-*` links, and a `<name>/.headers` that is not a regular
    /// file or holds a record that disagrees with its generation's manifest (`verify` reports both; the next `gc`
    /// writes a new cache). Never touches a published generation or a
    /// retirement marker, nor `current`; `previous` only to complete a switch.
    public func repair() throws(StoreError) -> RepairReport {
        try dropStamp("cannot repair")
        var report = RepairReport()
        for directory in [Layout.staging, Layout.trash] {
            let (removed, leftovers) = try emptyDirectory(directory)
            report.removed += removed
            report.leftovers += leftovers
        }
        let context = "cannot repair"
        // A stamp that is not a regular file is none the store wrote (a regular one went at `dropStamp` above).
        if let kind = try system.status(rootFd, Layout.stamp, at: store.path(Layout.stamp), context)?.kind,
            kind != .regular
        {
            report.leftovers += try removeTree(rootFd, Layout.stamp, at: store.path(Layout.stamp))
            report.removed.append(store.path(Layout.stamp))
        }
        for name in try store.exportedNames(rootFd, context) {
            let nameFd = try nameDirectory(name, create: false, context)
            var stray: [String] = []
            var shown: [String: String] = [:]
            let listing = try system.entries(nameFd, at: store.path(name), context)
            if listing.contains(where: { $0.name == Layout.headers }),
                try !headerCacheIsSound(name, nameFd, listing, context)
            {
                report.leftovers += try removeTree(nameFd, Layout.headers, at: store.path(name, Layout.headers))
                report.removed.append(store.path(name, Layout.headers))
            }
            for entry in listing {
                guard let bytes = entry.undecodable else {
                    if entry.name.hasPrefix(Layout.nextPrefix) { stray.append(entry.name) }
                    continue
                }
                // Not UTF-8: a temporary link of ours only if it has the prefix; renamed to a fresh one, then
                // removed as any other. Anything else is not ours to remove.
                guard bytes.starts(with: Array(Layout.nextPrefix.utf8)) else {
                    report.leftovers.append(
                        Leftover(
                            path: store.path(name, entry.name),
                            reason: "a name that is not UTF-8, which snap-export never makes; left alone"))
                    continue
                }
                let fresh = Layout.nextPrefix + temporaryName()
                do {
                    try system.renameat(nameFd, bytes: bytes, nameFd, fresh)
                } catch {
                    throw .system("renameat", error, path: store.path(name, entry.name), context)
                }
                stray.append(fresh)
                shown[fresh] = entry.name
            }
            if stray.isEmpty { continue }
            linkCache[name] = nil
            let current = try system.link(nameFd, Layout.current, at: store.path(name, Layout.current), context)
            var completedLink: String?
            if let current, let previous = try completeInterruptedSwitch(name, nameFd, current: current, context) {
                report.completed.append(CompletedSwitch(name: name, current: current, previous: previous))
                completedLink = Layout.pendingLink(switchingTo: current)
            }
            for entry in stray.sorted() where entry != completedLink {
                let path = store.path(name, entry)
                guard try system.status(nameFd, entry, at: path, context)?.kind == .symlink else {
                    report.leftovers.append(Leftover(path: path, reason: "not a symlink; left alone"))
                    continue
                }
                do {
                    try system.unlinkat(nameFd, entry, 0)
                } catch {
                    throw .system("unlinkat", error, path: path, context)
                }
                report.removed.append(store.path(name, shown[entry] ?? entry))
            }
            try system.sync(nameFd, at: store.path(name), context)
        }
        return report
    }
}
