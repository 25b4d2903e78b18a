import GenerationStore

/// Keeps `snapd/current` at the generation whose tools snapd itself would run: `refresh` after any change,
/// `link`/`unlink` from snapd's per-snap tasks. Generic snaps' own exports are handled by `SnapExportsLinker`.
///
/// Reading happens first and without the lock: when nothing is missing and `current` is right, nothing is
/// written at all (no lock file, no fsync). Otherwise the plan is made again under the writers' lock and
/// carried out: publish what is missing, then switch once.
public struct ToolsExporter: Sendable {
    /// The export root.
    public let store: ExportStore
    /// The system as configured.
    public let settings: SnapdSettings
    /// Warnings from resolving the settings (an unreadable os-release), added to every report.
    public let settingsWarnings: [SnapdWarning]

    public init(store: ExportStore, settings: SnapdSettings, settingsWarnings: [SnapdWarning] = []) {
        self.store = store
        self.settings = settings
        self.settingsWarnings = settingsWarnings
    }

    /// What a refresh would do now; reads only.
    public func plan(adjustment: SystemSurvey.Adjustment? = nil) throws(StoreError) -> ToolsPlan {
        var survey = SystemSurvey.read(settings, system: store.system, adjustment: adjustment)
        survey.warnings = settingsWarnings + survey.warnings
        return try ToolsPlan.make(survey, store: store)
    }

    /// Publishes every missing generation of the snapd, core and host sources, then switches `snapd/current`
    /// to the provider the rule chooses if it changed. With nothing to do it writes nothing; with
    /// `dryRun` it only reports what it would do. When no provider exists, `current` is left as it is
    /// (`report.decision.chosen` is nil).
    @discardableResult
    public func refresh(
        dryRun: Bool = false, wait: Bool = true, adjustment: SystemSurvey.Adjustment? = nil
    ) throws -> RefreshReport {
        let first = try plan(adjustment: adjustment)
        if dryRun {
            return RefreshReport(
                first, dryRun: true, published: first.publications, current: first.target ?? first.current)
        }
        if first.isNoop { return RefreshReport(first, dryRun: false, published: [], current: first.current) }
        return try store.withWriter(wait: wait, creatingRoot: true) { writer in
            let plan = try self.plan(adjustment: adjustment)
            var published: [ToolsSource] = []
            for source in plan.publications {
                let outcome = try writer.publish(
                    name: SnapdSettings.exportName, generation: source.generation,
                    manifest: source.manifest(libexecDir: settings.hostLibexecDir))
                if outcome == .published { published.append(source) }
            }
            var current = plan.current
            if let target = plan.target, target != plan.current {
                try writer.switchCurrent(name: SnapdSettings.exportName, to: target)
                current = target
            }
            return RefreshReport(plan, dryRun: false, published: published, current: current)
        }
    }

    /// The hook for after snapd mounted `revision` of the snapd or core snap and before it links it: publishes
    /// its generation (and anything else missing) and switches `snapd/current` as if `revision` were current.
    /// Fails, changing nothing, when the revision is not usable.
    @discardableResult
    public func link(instance: String, revision: String, dryRun: Bool = false, wait: Bool = true) throws
        -> RefreshReport
    {
        let context = "cannot link \(instance) \(revision)"
        try SnapNames.validate(instance: instance, revision: revision, context: context)
        guard let provider = ProviderSnap.named(instance) else {
            throw StoreError(.badData, context, "'\(instance)' is not the snapd or core snap")
        }
        let checked = SystemSurvey.readRevision(settings, system: store.system, provider, revision: revision)
        if checked.source == nil {
            let path = settings.snapMountDir + "/" + instance + "/" + revision
            throw StoreError(
                checked.unreadable ? .ioError : .missingInput, context,
                checked.warnings.first?.description ?? checked.reason ?? "not usable",
                path: checked.warnings.isEmpty ? path : nil)
        }
        return try refresh(dryRun: dryRun, wait: wait, adjustment: .linking(instance: instance, revision: revision))
    }

    /// The hook for after snapd unlinked `revision` of the snapd or core snap: if `snapd/current` names its
    /// generation, switches first to the next provider by the same rule (the revision no longer counts), so
    /// there is never a moment without tools. The generation itself stays until garbage collection.
    @discardableResult
    public func unlink(instance: String, revision: String, dryRun: Bool = false, wait: Bool = true) throws
        -> RefreshReport
    {
        let context = "cannot unlink \(instance) \(revision)"
        try SnapNames.validate(instance: instance, revision: revision, context: context)
        guard ProviderSnap.named(instance) != nil else {
            throw StoreError(.badData, context, "'\(instance)' is not the snapd or core snap")
        }
        return try refresh(dryRun: dryRun, wait: wait, adjustment: .unlinking(instance: instance, revision: revision))
    }
}
