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
    /// A switch of the same name interrupted after its exchange is completed first (`links(of:)`).
    @discardableResult
    public func switchCurrent(name: String, to generation: String, durable: Bool = true) throws(StoreError)
        -> SwitchOutcome
    {
        let context = "cannot switch \(name) to \(generation)"
        try NameRules.validateComponent(name, what: "exported name", context: context)
        try NameRules.validateGeneration(generation, context: context)
        let nameFd = try nameDirectory(name, create: false, context)
        try requireGeneration(nameFd, name, generation, readable: true, context)
        let links = try self.links(of: name, nameFd, context)
        let old = links.current
        if old == generation { return .unchanged }
        try dropStamp(context)
        linkCache[name] = nil
        // The pending link is named after the generation it is made for; the exchange moves targets, not names, so
        // after it the name says the link is the displaced `current` (Layout.pendingLink).
        let next = Layout.pendingLink(switchingTo: generation)
        try makeLink(nameFd, name, next, naming: generation, context)
        store.faults.hit(.switchLinked)
        guard let old else {
            do {
                try renameNoReplace(nameFd, next, nameFd, Layout.current)
            } catch {
                try? system.unlinkat(nameFd, next, 0)
                throw .system("renameat2", error, path: store.path(name, Layout.current), context)
            }
            store.faults.hit(.switchPreviousSet)
            if durable { try syncChanged(nameFd, name, "current now names \(generation)", context) }
            linkCache[name] = Links(current: generation, previous: links.previous)
            return .switched(from: nil)
        }
        // A `current` that names no generation (a dangling link) is replaced, but never becomes `previous`: the
        // valid `previous` stays, and the displaced link is unlinked instead.
        let displacesGeneration = try isGeneration(nameFd, name, old, context)
        // The generation leaving `previous` leaves the protected pair now: record durably when it stopped being
        // current, which is when its link became `previous` (the link's ctime; rename sets it). Switching back to
        // `previous` (the common flip) retires nothing beyond the pair and writes no marker.
        let leaving = links.previous
        var marker: String?
        if displacesGeneration, let leaving, leaving != generation, leaving != old {
            let status = try system.status(nameFd, Layout.previous, at: store.path(name, Layout.previous), context)
            let since = status?.changedNanoseconds ?? SystemClock.wallNanoseconds()
            marker = try writeMarker(nameFd, name, retiring: leaving, since: since, context) {
                try? self.system.unlinkat(nameFd, next, 0)
            }
        }
        do {
            try system.renameat2(nameFd, next, nameFd, Layout.current, RenameFlags.exchange)
        } catch .invalidArgument, .notImplemented {
            try? system.unlinkat(nameFd, next, 0)
            try replaceWithoutFlags(
                nameFd, name, current: generation, previous: displacesGeneration ? old : nil, context
            ) {
                if let marker { try? self.system.unlinkat(nameFd, marker, 0) }
            }
            return try finishSwitch(
                nameFd, name, generation, from: old, previous: displacesGeneration ? old : links.previous,
                durable: durable, context)
        } catch {
            // Nothing changed: take back the link and the marker.
            try? system.unlinkat(nameFd, next, 0)
            if let marker { try? system.unlinkat(nameFd, marker, 0) }
            throw .system("renameat2", error, path: store.path(name, Layout.current), context)
        }
        store.faults.hit(.switchExchanged)
        guard displacesGeneration else {
            do {
                try system.unlinkat(nameFd, next, 0)
            } catch {
                throw interrupted(
                    .system("unlinkat", error, path: store.path(name, next), context), name, generation,
                    displaced: nil)
            }
            return try finishSwitch(
                nameFd, name, generation, from: old, previous: links.previous, durable: durable, context)
        }
        // current already names the new generation and `next` the old one: only previous is left to set.
        do {
            try system.renameat(nameFd, next, nameFd, Layout.previous)
        } catch {
            let failure = StoreError.system("renameat", error, path: store.path(name, Layout.previous), context)
            // Restore: one exchange back puts the old generation in `current` again, and nothing changed.
            if (try? system.renameat2(nameFd, next, nameFd, Layout.current, RenameFlags.exchange)) != nil {
                try? system.unlinkat(nameFd, next, 0)
                if let marker { try? system.unlinkat(nameFd, marker, 0) }
                throw StoreError(
                    failure.kind, context, failure.reason + "; current still names \(old), nothing changed",
                    path: failure.path, syscall: failure.syscall, errno: failure.errno)
            }
            throw interrupted(failure, name, generation, displaced: old)
        }
        return try finishSwitch(nameFd, name, generation, from: old, previous: old, durable: durable, context)
    }

    /// The last step of a switch: `fsync(<name>/)` (if `durable`); a failure says that `current` already moved.
    private func finishSwitch(
        _ nameFd: Int32, _ name: String, _ generation: String, from old: String, previous: String?, durable: Bool,
        _ context: String
    ) throws(StoreError) -> SwitchOutcome {
        store.faults.hit(.switchPreviousSet)
        if durable {
            let done = "current now names \(generation)" + (previous.map { " and previous \($0)" } ?? "")
            try syncChanged(nameFd, name, done, context)
        }
        linkCache[name] = Links(current: generation, previous: previous)
        return .switched(from: old)
    }

    /// `fsync(<name>/)` after `current` moved: a failure says what already changed (`done`).
    private func syncChanged(_ nameFd: Int32, _ name: String, _ done: String, _ context: String) throws(StoreError) {
        do {
            try system.sync(nameFd, at: store.path(name), context)
        } catch {
            throw StoreError(
                error.kind, error.context, error.reason + "; \(done), perhaps not durably", path: error.path,
                syscall: error.syscall, errno: error.errno)
        }
    }

    /// The error of a switch that stopped after `current` moved, with its pending link left for `repair` (or the
    /// next writer of the name) to complete.
    private func interrupted(_ failure: StoreError, _ name: String, _ generation: String, displaced: String?)
        -> StoreError
    {
        let rest =
            displaced.map {
                ", and previous will name \($0) once 'snap-export repair' (or the next writer of \(name)) completes "
                    + "the switch"
            } ?? "; 'snap-export repair' removes the temporary link"
        return StoreError(
            failure.kind, failure.context, failure.reason + "; current now names \(generation)" + rest,
            path: failure.path, syscall: failure.syscall, errno: failure.errno)
    }

    /// Completes a switch of `name` interrupted after its exchange: the pending link named after what `current`
    /// names (`Layout.pendingLink`) and naming another generation is the displaced `current`, renamed over
    /// `previous` and the name directory synced. Returns the generation `previous` then names; nil when nothing
    /// was pending. With `dryRun`, only says what it would do.
    func completeInterruptedSwitch(
        _ name: String, _ nameFd: Int32, current: String?, dryRun: Bool = false, _ context: String
    ) throws(StoreError) -> String? {
        guard let current else { return nil }
        let pending = Layout.pendingLink(switchingTo: current)
        let path = store.path(name, pending)
        let displaced: String
        do {
            displaced = try system.readlinkat(nameFd, pending)
        } catch .noSuchFileOrDirectory, .invalidArgument {
            return nil  // nothing pending, or not a link (verify reports it; repair leaves it)
        } catch {
            throw .system("readlinkat", error, path: path, context)
        }
        guard Layout.isDisplacedCurrent(pending, target: displaced, current: current) else { return nil }
        guard (try? NameRules.validateGeneration(displaced, context: "")) != nil,
            try system.status(nameFd, displaced, at: store.path(name, displaced), context)?.kind == .directory
        else { return nil }  // names no generation: an ordinary leftover, which repair removes
        if dryRun { return displaced }
        try dropStamp(context)
        linkCache[name] = nil
        do {
            try system.renameat(nameFd, pending, nameFd, Layout.previous)
        } catch {
            throw .system("renameat", error, path: store.path(name, Layout.previous), context)
        }
        try system.sync(nameFd, at: store.path(name), context)
        return displaced
    }

    /// Swaps `current` and `previous` in one system call and fsyncs `<name>/` (docs/format.md, "rollback").
    /// Fails (`.missingInput`) and changes nothing when there is no `previous` or it names no generation.
    @discardableResult
    public func rollback(name: String) throws(StoreError) -> (from: String, to: String) {
        let context = "cannot roll back \(name)"
        try NameRules.validateComponent(name, what: "exported name", context: context)
        try dropStamp(context)
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
        try requireGeneration(nameFd, name, previous, readable: true, context)
        linkCache[name] = nil
        // Nothing leaves the current/previous pair, so no marker: the exchange sets the ctime of the link that
        // becomes `previous`, which is when its generation stopped being current.
        do {
            try system.renameat2(nameFd, Layout.current, nameFd, Layout.previous, RenameFlags.exchange)
        } catch .invalidArgument, .notImplemented {
            try replaceWithoutFlags(nameFd, name, current: previous, previous: current, context) {}
        } catch {
            throw .system("renameat2", error, path: store.path(name, Layout.current), context)
        }
        store.faults.hit(.rollbackExchanged)
        try syncChanged(nameFd, name, "current now names \(previous) and previous \(current)", context)
        linkCache[name] = Links(current: previous, previous: current)
        return (from: current, to: previous)
    }

    /// The fallback without `renameat2` flags. First the pending link, named after the new `current` and naming
    /// the old one, made durable (`fsync(<name>/)`): once `current` moves, it is the displaced `current` that
    /// `repair` completes. Then a fresh link naming the new generation is renamed over `current` (replaced
    /// atomically, never absent), `fsync(<name>/)` again, and the pending link renamed over `previous`. `undo` takes back what the caller wrote
    /// when nothing changed.
    private func replaceWithoutFlags(
        _ nameFd: Int32, _ name: String, current: String, previous: String?, _ context: String, undo: () -> Void
    ) throws(StoreError) {
        let pending = Layout.pendingLink(switchingTo: current)
        let fresh = Layout.nextPrefix + temporaryName()
        do throws(StoreError) {
            if let previous {
                try makeLink(nameFd, name, pending, naming: previous, context)
                try system.sync(nameFd, at: store.path(name), context)
            }
            try makeLink(nameFd, name, fresh, naming: current, context)
        } catch {
            try? system.unlinkat(nameFd, pending, 0)
            try? system.unlinkat(nameFd, fresh, 0)
            undo()
            throw error
        }
        do {
            try system.renameat(nameFd, fresh, nameFd, Layout.current)
        } catch {
            try? system.unlinkat(nameFd, fresh, 0)
            try? system.unlinkat(nameFd, pending, 0)
            undo()
            throw .system("renameat", error, path: store.path(name, Layout.current), context)
        }
        guard let previous else { return }
        // Durable before `previous` changes: two renames of different names may persist in either order.
        try syncChanged(nameFd, name, "current now names \(current)", context)
        do {
            try system.renameat(nameFd, pending, nameFd, Layout.previous)
        } catch {
            throw interrupted(
                .system("renameat", error, path: store.path(name, Layout.previous), context), name, current,
                displaced: previous)
        }
    }

    /// `symlinkat(target, <name>/<link>)`; a link left there by an interrupted switch that had not exchanged
    /// (it names no displaced `current`: `links(of:)` completed any that did) is replaced once.
    private func makeLink(_ nameFd: Int32, _ name: String, _ link: String, naming target: String, _ context: String)
        throws(StoreError)
    {
        do {
            try system.symlinkat(target, nameFd, link)
        } catch .fileExists {
            do {
                do {
                    try system.unlinkat(nameFd, link, 0)
                } catch .noSuchFileOrDirectory {}
                try system.symlinkat(target, nameFd, link)
            } catch {
                throw .system("symlinkat", error, path: store.path(name, link), context)
            }
        } catch {
            throw .system("symlinkat", error, path: store.path(name, link), context)
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
