import GenerationStore
import SnapdExport

/// `snap-export refresh [--dry-run] [--json]`
enum RefreshCommand: Command {
    static let name = "refresh"
    static let summary = "export the tools of the provider snapd would run (snapd, core or host), atomically"
    static let usage = "refresh [--dry-run] [--no-gc] [--json]"
    static let details = """
        Reads the snap mount dir (mounted revisions of the snapd and core snaps, their current links, meta/snap.yaml
        and usr/lib/snapd/info) and the host's libexec dir, publishes every missing generation (snapd/<rev>,
        snapd/core_<rev>, snapd/host), and switches snapd/current to the provider snapd's re-exec rule chooses
        (see 'explain'), in one renameat2. Only the generation current is to name is published (a revert is a
        publish and a switch). With nothing changed it writes nothing and takes no lock, however old the store,
        but the root's stamp, once after each change of snapd's state file, so that the next ones read no snap's
        links (docs/exports.md).
        Unusable sources are skipped with a warning naming the file. Exits 66, snapd/current unchanged, when no
        provider exists. SNAP_REEXEC in the environment is honoured as snapd honours it. When it published or
        switched, it ends with a gc pass of the snapd name with the default options (see 'gc'), so a snap
        refresh needs one call; removals that come due with time alone are the gc timer's. A gc pass that fails
        after the refresh changed what consumers see does not fail the refresh: exit 0, a warning saying what was
        switched and why gc failed (with --json, gc_error). Then the union views
        of man pages and fonts (docs/exports.md): snaps removed or switched outside the hooks leave or follow,
        checked with link reads unless the stamp says nothing changed since the last check (--snapd-state); the
        pass also covers the unions switched and the snaps retired.
          --dry-run   only say what would be published, switched and collected
          --no-gc     skip the gc pass
          --json      print the result as JSON (its shape: docs/cli.md, "JSON output")
        """

    static let rootUse = RootUse.created
    static let syntax = CommandSyntax(
        options: [.flag("--dry-run"), .flag("--no-gc"), .flag("--json")])

    static func run(_ arguments: inout Arguments, _ context: CommandContext) throws -> ExitCode {
        let dryRun = arguments.flag("--dry-run")
        let noGC = arguments.flag("--no-gc")
        let json = arguments.flag("--json")
        _ = try arguments.positionals()
        try context.checkRoot()
        let report = try context.toolsExporter().refresh(dryRun: dryRun, wait: !context.options.noWait)
        let unions = try context.unionExporter().refresh(wait: !context.options.noWait, dryRun: dryRun)
        var collected: GCReport?
        var gcError: GCFailure?
        // Only what this refresh could have made removable: the snapd name, when it published or switched. A
        // refresh that changed nothing runs no pass, so it writes nothing and takes no lock at any age.
        // The same for the union views: the unions switched and the snaps retired.
        var names: Set<String> = report.changed && report.decision.chosen != nil ? [SnapdSettings.exportName] : []
        names.formUnion(unions.switched.map(\.union) + unions.retired)
        if !noGC, !names.isEmpty, try !context.store.names().isEmpty {
            do {
                collected = try context.withWriter { writer in
                    try GCCommand.pass(writer, GCOptions(dryRun: dryRun, now: context.gcNow), context, only: names)
                }
            } catch {
                // What consumers see has changed already: the refresh succeeded, its clean-up did not (the gc timer
                // or the next refresh retries it). Exit 0, and say both.
                gcError = GCFailure(error)
            }
        }
        if let gcError {
            context.warn("\(changes(report, unions).joined(separator: ", ")), then gc failed: \(gcError.message)")
        }
        return render(report, gc: collected, gcError: gcError, unions: unions, json: json, context)
    }

    /// What a refresh changed, for the warning when its gc pass then fails: `switched snapd/current 1 -> 2`,
    /// `published snapd/2`, `switched @man to u…`, `retired htop from the union views`.
    static func changes(_ report: RefreshReport, _ unions: UnionExporter.Report) -> [String] {
        let name = SnapdSettings.exportName
        var done = report.published.map { "published \(name)/\($0.generation)" }
        if report.previousCurrent != report.current {
            done.append("switched \(name)/current \(report.previousCurrent ?? "(none)") -> \(report.current ?? "?")")
        }
        done += unions.switched.map { "switched \($0.union)/current to \($0.generation)" }
        done += unions.retired.map { "retired \($0) from the union views" }
        return done.isEmpty ? ["refreshed"] : done
    }

    /// A gc pass that failed after the refresh changed what consumers see: `{"message", "path", "reason",
    /// "syscall"}` (`path` and `syscall` null when the error names none).
    struct GCFailure: Encodable, Sendable {
        var message: String
        @Nullable var path: String?
        @Nullable var syscall: String?
        var reason: String

        init(_ error: any Error) {
            message = "\(error)"
            if let error = error as? StoreError {
                (path, syscall, reason) = (error.path, error.syscall, error.reason)
            } else {
                reason = message
            }
        }
    }

    /// Prints a refresh (or tools link/unlink) report; exit 66 when there is no provider.
    static func render(
        _ report: RefreshReport, gc: GCReport? = nil, gcError: GCFailure? = nil, unions: UnionExporter.Report? = nil,
        json: Bool, _ context: CommandContext
    ) -> ExitCode {
        let name = SnapdSettings.exportName
        if json {
            context.console.out(JSONOutput.render(Output(report, gc: gc, gcError: gcError, unions: unions)))
        } else {
            if let unions { UnionsOutput.print(unions, context) }
            for warning in report.warnings { context.warn("\(warning)") }
            let would = report.dryRun ? "would publish" : "published"
            for source in report.published {
                context.out(
                    "\(would) \(name)/\(source.generation) (\(source.label), version \(source.version ?? "unknown"), "
                        + "\(source.tools.count) tools)")
            }
            if report.decision.chosen == nil {
                context.err("no tools provider: \(report.decision.reason); \(name)/current unchanged")
            } else if report.previousCurrent != report.current {
                let verb = report.dryRun ? "would switch" : "switched"
                context.out(
                    "\(verb) \(name)/current: \(report.previousCurrent ?? "(none)") -> \(report.current ?? "?") "
                        + "(\(report.decision.chosen?.label ?? "?"): \(report.decision.reason))")
            } else if !report.changed || report.dryRun {
                context.out(
                    "\(report.dryRun ? "would change nothing else" : "nothing changed"): \(name)/current already is "
                        + "\(report.current ?? "?") (\(report.decision.chosen?.label ?? "?"))")
            }
            if let gc {
                // Quiet unless the pass removed (or would remove) something.
                let remove = gc.dryRun ? "would remove" : "removed"
                for decision in gc.decisions where decision.remove {
                    context.out(
                        "gc: \(remove) \(decision.name)/\(decision.generation): "
                            + GCCommand.describe(decision.reasons))
                }
                for leftover in gc.leftovers { context.err("gc: left \(leftover)") }
                for kept in gc.unmovable { context.warn("gc: kept \(kept)") }
            }
        }
        guard report.decision.chosen == nil else { return .success }
        // A failed read leaves no provider (current unchanged): an I/O error, not a system without one.
        return report.decision.readFailure != nil ? .ioError : .missingInput
    }

    /// `--json` (also of link and unlink for the snapd and core snaps): `{"candidates", "changed", "current",
    /// "dry_run", "gc", "gc_error", "previous_current", "provider", "published": [{"generation", "source", "tools",
    /// "version"}], "unions", "warnings"}`.
    struct Output: Encodable, Sendable {
        struct Published: Encodable, Sendable {
            var generation: String
            var source: String
            @Nullable var version: String?
            var tools: Int
        }
        var dryRun: Bool
        var changed: Bool
        var published: [Published]
        @Nullable var previousCurrent: String?
        @Nullable var current: String?
        @Nullable var provider: ExplainCommand.Provider?
        var candidates: [ExplainCommand.Candidate]
        var warnings: [JSONOutput.Warning]
        /// The gc pass's report; null when there was none or it failed.
        @Nullable var gc: GCCommand.Output?
        /// Why the gc pass failed (after the refresh changed what consumers see; exit 0); null when it did not.
        @Nullable var gcError: GCFailure?
        /// What the union views did (docs/exports.md); null for link and unlink of snapd and core.
        @Nullable var unions: UnionsOutput?

        init(_ report: RefreshReport, gc: GCReport?, gcError: GCFailure? = nil, unions: UnionExporter.Report? = nil) {
            self.gcError = gcError
            self.unions = unions.map(UnionsOutput.init)
            dryRun = report.dryRun
            changed = report.changed || gc?.changes == true
            published = report.published.map {
                Published(
                    generation: $0.generation, source: $0.manifestSource, version: $0.version, tools: $0.tools.count)
            }
            previousCurrent = report.previousCurrent
            current = report.current
            provider = ExplainCommand.Provider(report.decision)
            candidates = ExplainCommand.Candidate.all(report.decision, survey: report.survey)
            warnings = report.warnings.map(JSONOutput.Warning.init)
            self.gc = gc.map(GCCommand.Output.init)
        }
    }
}

extension CommandContext {
    /// The snapd settings from the global options (nil = the distribution's default) and `SNAP_REEXEC`.
    func snapdSettings() -> (settings: SnapdSettings, warnings: [SnapdWarning]) {
        resolvedSettings.value
    }

    /// snapd's settings as this invocation's options and environment give them.
    static func resolveSettings(_ options: GlobalOptions, _ environment: [String: String], _ system: any SystemCalls)
        -> (settings: SnapdSettings, warnings: [SnapdWarning])
    {
        SnapdSettings.resolve(
            rootDir: options.hostRoot, snapMountDir: options.snapMountDir, libexecDir: options.libexecDir,
            osReleasePath: options.osRelease, reexec: environment["SNAP_REEXEC"], stateFile: options.snapdState,
            system: system)
    }

    /// The tools exporter for this invocation.
    func toolsExporter() -> ToolsExporter {
        let (settings, warnings) = snapdSettings()
        return ToolsExporter(store: store, settings: settings, settingsWarnings: warnings)
    }
}
