import Glibc

/// Retiring an exported name: no `current`, no `previous`; its generations are left for gc.
extension StoreWriter {
    /// What `retire` did.
    public enum RetireOutcome: Sendable, Equatable {
        /// `current` and `previous` were removed; they named these generations.
        case retired(current: String?, previous: String?)
        /// The name had neither link (or does not exist); nothing was written.
        case unchanged
    }

    /// Stops exporting `name`: removes `<name>/current`, then `<name>/previous`, after recording in a retirement
    /// marker when each of their generations stopped being current (now, and `previous`'s ctime), so gc's grace
    /// period still protects them; then fsyncs `<name>/`. Consumers following `current` see it disappear in one
    /// `unlinkat`; the generations stay until gc, which also removes the directory once it holds nothing.
    /// A crash leaves at most `previous` and markers; retiring again finishes.
    @discardableResult
    public func retire(name: String) throws(StoreError) -> RetireOutcome {
        let context = "cannot retire \(name)"
        try NameRules.validateComponent(name, what: "exported name", context: context)
        try dropStamp(context)
        let nameFd: Int32
        do {
            nameFd = try nameDirectory(name, create: false, context)
        } catch  where error.kind == .missingInput {
            return .unchanged
        }
        let links = try self.links(of: name, nameFd, context)
        if links.current == nil && links.previous == nil { return .unchanged }
        linkCache[name] = nil
        let now = SystemClock.wallNanoseconds()
        var retiring: [(generation: String, since: Int64)] = []
        if let current = links.current { retiring.append((current, now)) }
        if let previous = links.previous, previous != links.current {
            let since =
                try system.status(nameFd, Layout.previous, at: store.path(name, Layout.previous), context)?
                .changedNanoseconds ?? now
            retiring.append((previous, since))
        }
        for (generation, since) in retiring {
            let marker = RetirementMarkers.name(time: since, suffix: temporaryName())
            do {
                try system.symlinkat(generation, nameFd, marker)
            } catch {
                throw .system("symlinkat", error, path: store.path(name, marker), context)
            }
        }
        for link in [Layout.current, Layout.previous] {
            do {
                try system.unlinkat(nameFd, link, 0)
            } catch .noSuchFileOrDirectory {
            } catch {
                throw .system("unlinkat", error, path: store.path(name, link), context)
            }
            if link == Layout.current { store.faults.hit(.retireCurrentRemoved) }
        }
        try system.sync(nameFd, at: store.path(name), context)
        linkCache[name] = Links(current: nil, previous: nil)
        return .retired(current: links.current, previous: links.previous)
    }
}
