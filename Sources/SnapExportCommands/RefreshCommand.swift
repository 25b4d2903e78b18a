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
        (see 'explain'), in one renameat2. With nothing changed it writes nothing at all. Unusable sources are
        skipped with a warning naming the file. Exits 66, snapd/current unchanged, when no provider exists.
        SNAP_REEXEC in the environment is honoured as snapd honours it. Ends with a gc pass with the default
        options (see 'gc'), so a snap refresh needs one call; the pass writes nothing when nothing is to go.
          --dry-run   only say what would be published, switched and collected
          --no-gc     skip the gc pass
          --json      {"dry_run", "changed", "published": [{"generation", "source", "version", "tools"}],
                       "previous_current", "current", "provider", "candidates", "warnings": [{"path", "message"}],
                       "gc": the gc report (see 'gc --help') or null}
        """

    static func run(_ arguments: inout Arguments, _ context: CommandContext) throws -> ExitCode {
        let dryRun = arguments.flag("--dry-run")
        let noGC = arguments.flag("--no-gc")
        let json = arguments.flag("--json")
        _ = try arguments.positionals()
        let report = try context.toolsExporter().refresh(dryRun: dryRun, wait: !context.options.noWait)
        var collected: GCReport?
        // The gc pass needs an export root: a provider was chosen (so refresh wrote or found one).
        if !noGC, report.decision.chosen != nil, try !context.store.names().isEmpty {
            collected = try context.withWriter { writer in
                try GCCommand.pass(writer, GCOptions(dryRun: dryRun), context)
            }
        }
        return render(report, gc: collected, json: json, context)
    }

    /// Prints a refresh (or tools link/unlink) report; exit 66 when there is no provider.
    static func render(_ report: RefreshReport, gc: GCReport? = nil, json: Bool, _ context: CommandContext) -> ExitCode
    {
        let name = SnapdSettings.exportName
        if json {
            context.console.out(
                JSONValue.object([
                    ("dry_run", .bool(report.dryRun)), ("changed", .bool(report.changed)),
                    (
                        "published",
                        .array(
                            report.published.map {
                                .object([
                                    ("generation", .string($0.generation)), ("source", .string($0.manifestSource)),
                                    ("version", .string($0.version)), ("tools", .int($0.tools.count)),
                                ])
                            })
                    ),
                    ("previous_current", .string(report.previousCurrent)), ("current", .string(report.current)),
                    ("provider", ExplainCommand.json(provider: report.decision)),
                    ("candidates", ExplainCommand.json(verdicts: report.decision, survey: report.survey)),
                    ("warnings", warningsJSON(report.warnings)),
                    ("gc", gc.map(GCCommand.json) ?? .null),
                ]).rendered())
        } else {
            for warning in report.warnings { context.err("warning: \(warning)") }
            let would = report.dryRun ? "would publish" : "published"
            for source in report.published {
                context.out(
                    "\(would) \(name)/\(source.generation) (\(source.label), version \(source.version ?? "unknown"), "
                        + "\(source.tools.count) tools)")
            }
            if report.decision.chosen == nil {
                context.err("snap-export: no tools provider: \(report.decision.reason); \(name)/current unchanged")
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
            }
        }
        return report.decision.chosen == nil ? .missingInput : .success
    }

    static func warningsJSON(_ warnings: [SnapdWarning]) -> JSONValue {
        .array(warnings.map { .object([("path", .string($0.path)), ("message", .string($0.message))]) })
    }
}

extension CommandContext {
    /// The snapd settings from the global options (nil = the distribution's default) and `SNAP_REEXEC`.
    func snapdSettings() -> (settings: SnapdSettings, warnings: [SnapdWarning]) {
        SnapdSettings.resolve(
            rootDir: options.hostRoot, snapMountDir: options.snapMountDir, libexecDir: options.libexecDir,
            osReleasePath: options.osRelease, reexec: environment["SNAP_REEXEC"], system: system)
    }

    /// The tools exporter for this invocation.
    func toolsExporter() -> ToolsExporter {
        let (settings, warnings) = snapdSettings()
        return ToolsExporter(store: store, settings: settings, settingsWarnings: warnings)
    }
}
