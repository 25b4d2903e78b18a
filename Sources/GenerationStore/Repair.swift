/// Removing what interrupted writers left behind.
extension StoreWriter {
    /// What `repair` removed and what it could not.
    public struct RepairReport: Sendable, Equatable {
        /// Absolute paths removed: `.staging/*`, `.trash/*`, `<name>/.next-*`.
        public var removed: [String] = []
        /// What could not be removed, with the reason.
        public var leftovers: [Leftover] = []
    }

    /// Removes `.staging/*`, `.trash/*` and stray `<name>/.next-*` links. Never touches a published
    /// generation, `current`, `previous` or a retirement marker.
    public func repair() throws(StoreError) -> RepairReport {
        var report = RepairReport()
        for directory in [Layout.staging, Layout.trash] {
            let (removed, leftovers) = try emptyDirectory(directory)
            report.removed += removed
            report.leftovers += leftovers
        }
        let context = "cannot repair"
        for name in try store.exportedNames(rootFd, context) {
            let nameFd = try nameDirectory(name, create: false, context)
            let stray = try system.names(nameFd, at: store.path(name), context).filter {
                $0.hasPrefix(Layout.nextPrefix)
            }
            for entry in stray.sorted() {
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
                report.removed.append(path)
            }
            if !stray.isEmpty { try system.sync(nameFd, at: store.path(name), context) }
        }
        return report
    }
}
