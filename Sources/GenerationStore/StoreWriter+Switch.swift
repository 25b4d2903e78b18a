import Glibc

/// Switching `current` and rolling back to `previous`: a constant number of system calls per flip.
extension StoreWriter {
    /// The result of `switchCurrent` and `rollback`.
    public enum SwitchOutcome: Sendable, Equatable {
        /// `current` now names the generation; `from` is what it named before (now `previous`), if anything.
        case switched(from: String?)
        /// `current` already named that generation; nothing was written.
        case unchanged
    }

    /// Points `<name>/current` at `generation` atomically; what `current` named becomes `previous`. A constant
    /// number of system calls whatever the size of the generation; the `fsync` of `<name>/` only if `durable`.
    /// The protocol, step by step, and its fallback where `renameat2` flags are refused: docs/format.md, "switch".
    @discardableResult
    public func switchCurrent(name: String, to generation: String, durable: Bool = true) throws(StoreError)
        -> SwitchOutcome
    {
        let context = "cannot switch \(name) to \(generation)"
        try NameRules.validateComponent(name, what: "exported name", context: context)
        try NameRules.validateComponent(generation, what: "generation", context: context)
        let nameFd = try nameDirectory(name, create: false, context)
        try requireGeneration(nameFd, name, generation, context)
        let links = try self.links(of: name, nameFd, context)
        let old = links.current
        if old == generation { return .unchanged }
        linkCache[name] = nil
        let next = Layout.nextPrefix + temporaryName()
        let nextPath = store.path(name, next)
        do {
            try system.symlinkat(generation, nameFd, next)
        } catch {
            throw .system("symlinkat", error, path: nextPath, context)
        }
        store.faults.hit(.switchLinked)
        guard let old else {
            do {
                try renameNoReplace(nameFd, next, nameFd, Layout.current)
            } catch {
                try? system.unlinkat(nameFd, next, 0)
                throw .system("renameat2", error, path: store.path(name, Layout.current), context)
            }
            store.faults.hit(.switchPreviousSet)
            if durable { try system.sync(nameFd, at: store.path(name), context) }
            linkCache[name] = Links(current: generation, previous: links.previous)
            return .switched(from: nil)
        }
        // The generation leaving `previous` leaves the protected pair now: record durably when it stopped being
        // current, which is when its link became `previous` (the link's ctime; rename sets it). Switching back to
        // `previous` (the common flip) retires nothing beyond the pair and writes no marker.
        let leaving = links.previous
        var marker: String?
        if let leaving, leaving != generation, leaving != old {
            let status = try system.status(nameFd, Layout.previous, at: store.path(name, Layout.previous), context)
            let since = status?.changedNanoseconds ?? SystemClock.wallNanoseconds()
            marker = try writeMarker(nameFd, name, retiring: leaving, since: since, context) {
                try? self.system.unlinkat(nameFd, next, 0)
            }
        }
        var exchanged = true
        do {
            try system.renameat2(nameFd, next, nameFd, Layout.current, RenameFlags.exchange)
        } catch .invalidArgument, .notImplemented {
            exchanged = false
        } catch {
            // Nothing changed: take back the link and the marker.
            try? system.unlinkat(nameFd, next, 0)
            if let marker { try? system.unlinkat(nameFd, marker, 0) }
            throw .system("renameat2", error, path: store.path(name, Layout.current), context)
        }
        if exchanged {
            store.faults.hit(.switchExchanged)
            // current already names the new generation and `next` the old one: only previous is left to set.
            do {
                try system.renameat(nameFd, next, nameFd, Layout.previous)
            } catch {
                try? system.unlinkat(nameFd, next, 0)
                throw .system("renameat", error, path: store.path(name, Layout.previous), context)
            }
        } else {
            try replaceWithoutFlags(nameFd, name, current: generation, previous: old, consuming: next, context)
        }
        store.faults.hit(.switchPreviousSet)
        if durable { try system.sync(nameFd, at: store.path(name), context) }
        linkCache[name] = Links(current: generation, previous: old)
        return .switched(from: old)
    }

    /// Swaps `current` and `previous` in one system call and fsyncs `<name>/` (docs/format.md, "rollback").
    /// Fails (`.missingInput`) and changes nothing when there is no `previous` or it names no generation.
    @discardableResult
    public func rollback(name: String) throws(StoreError) -> (from: String, to: String) {
        let context = "cannot roll back \(name)"
        try NameRules.validateComponent(name, what: "exported name", context: context)
        let nameFd = try nameDirectory(name, create: false, context)
        let links = try self.links(of: name, nameFd, context)
        guard let previous = links.previous else {
            throw StoreError(
                .missingInput, context, "there is no previous generation", path: store.path(name, Layout.previous))
        }
        guard let current = links.current else {
            throw StoreError(
                .missingInput, context, "there is no current generation", path: store.path(name, Layout.current))
        }
        try NameRules.validateComponent(previous, what: "generation named by previous", context: context)
        try requireGeneration(nameFd, name, previous, context)
        linkCache[name] = nil
        // Nothing leaves the current/previous pair, so no marker: the exchange sets the ctime of the link that
        // becomes `previous`, which is when its generation stopped being current.
        do {
            try system.renameat2(nameFd, Layout.current, nameFd, Layout.previous, RenameFlags.exchange)
        } catch .invalidArgument, .notImplemented {
            let next = Layout.nextPrefix + temporaryName()
            do {
                try system.symlinkat(previous, nameFd, next)
            } catch {
                throw .system("symlinkat", error, path: store.path(name, next), context)
            }
            try replaceWithoutFlags(nameFd, name, current: previous, previous: current, consuming: next, context)
        } catch {
            throw .system("renameat2", error, path: store.path(name, Layout.current), context)
        }
        store.faults.hit(.rollbackExchanged)
        try system.sync(nameFd, at: store.path(name), context)
        linkCache[name] = Links(current: previous, previous: current)
        return (from: current, to: previous)
    }

    /// The fallback without `renameat2` flags: `next` (already naming the new current) is renamed over
    /// `current`, and a second fresh link over `previous`. `current` is replaced atomically, never absent.
    private func replaceWithoutFlags(
        _ nameFd: Int32, _ name: String, current: String, previous: String, consuming next: String, _ context: String
    ) throws(StoreError) {
        let second = Layout.nextPrefix + temporaryName()
        do {
            try system.symlinkat(previous, nameFd, second)
        } catch {
            try? system.unlinkat(nameFd, next, 0)
            throw .system("symlinkat", error, path: store.path(name, second), context)
        }
        do {
            try system.renameat(nameFd, next, nameFd, Layout.current)
        } catch {
            try? system.unlinkat(nameFd, next, 0)
            try? system.unlinkat(nameFd, second, 0)
            throw .system("renameat", error, path: store.path(name, Layout.current), context)
        }
        do {
            try system.renameat(nameFd, second, nameFd, Layout.previous)
        } catch {
            try? system.unlinkat(nameFd, second, 0)
            throw .system("renameat", error, path: store.path(name, Layout.previous), context)
        }
    }

    /// Records durably (in the directory the caller fsyncs) that `generation` stopped being current at `since`;
    /// returns the marker's name, so a caller whose flip then fails can take it back.
    private func writeMarker(
        _ nameFd: Int32, _ name: String, retiring generation: String, since: Int64, _ context: String,
        onFailure: () -> Void
    ) throws(StoreError) -> String {
        let marker = RetirementMarkers.name(time: since, suffix: temporaryName())
        do {
            try system.symlinkat(generation, nameFd, marker)
        } catch {
            onFailure()
            throw .system("symlinkat", error, path: store.path(name, marker), context)
        }
        return marker
    }
}
