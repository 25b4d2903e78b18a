import GenerationStore
import SnapdExport

/// `snap-export explain [--json]`
enum ExplainCommand: Command {
    static let name = "explain"
    static let summary = "say which provider of the tools snapd would run, and why each other one is not used"
    static let usage = "explain [--json]"
    static let details = """
        Applies snapd's re-exec rule to the system as it is (reads only, never locks): on Ubuntu Core the snapd
        snap, else core; on classic the host when re-exec is off (SNAP_REEXEC=0, or a distribution that is not
        Debian/Ubuntu-like unless SNAP_REEXEC=1), else the snapd snap (else core) if its info VERSION is not
        older than the host's (compared as dpkg does), else the host.
          --json   {"system", "provider", "candidates": [{"kind", "generation", "source", "version", "chosen",
                    "reason"}], "current", "in_sync", "warnings"}
        """

    static func run(_ arguments: inout Arguments, _ context: CommandContext) throws -> ExitCode {
        let json = arguments.flag("--json")
        _ = try arguments.positionals()
        let plan = try context.toolsExporter().plan()
        let settings = plan.survey.settings
        let system =
            settings.isUbuntuCore
            ? "Ubuntu Core"
            : "classic (\(settings.osRelease?.id ?? "unknown os-release")"
                + ((settings.osRelease?.isDebianLike ?? false) ? ", Debian/Ubuntu-like)" : ", not Debian/Ubuntu-like)")
        let reexec = context.environment["SNAP_REEXEC"]
        if json {
            context.console.out(
                JSONValue.object([
                    (
                        "system",
                        .object([
                            ("ubuntu_core", .bool(settings.isUbuntuCore)),
                            ("id", .string(settings.osRelease?.id)),
                            ("debian_like", .bool(settings.osRelease?.isDebianLike ?? false)),
                            ("snap_reexec", .string(reexec)), ("snap_mount_dir", .string(settings.snapMountDir)),
                            ("libexec_dir", .string(settings.libexecDir)),
                        ])
                    ),
                    ("provider", Self.json(provider: plan.decision)),
                    ("candidates", Self.json(verdicts: plan.decision)),
                    ("current", .string(plan.current)), ("in_sync", .bool(plan.isNoop)),
                    ("warnings", RefreshCommand.warningsJSON(plan.warnings)),
                ]).rendered())
        } else {
            for warning in plan.warnings { context.err("warning: \(warning)") }
            context.out("system: \(system), SNAP_REEXEC \(reexec.map { "=\($0)" } ?? "unset")")
            if let chosen = plan.decision.chosen {
                context.out("provider: \(chosen.label), generation \(chosen.generation) (\(plan.decision.reason))")
            } else {
                context.out("provider: none (\(plan.decision.reason))")
            }
            var table = Table("CANDIDATE", "GENERATION", "VERSION", "VERDICT")
            for verdict in plan.decision.verdicts {
                table.add(
                    verdict.source?.label ?? verdict.kind.rawValue, verdict.source?.generation ?? "-",
                    verdict.source?.version.text ?? "-", verdict.reason)
            }
            context.console.out(table.rendered())
            let name = SnapdSettings.exportName
            if plan.isNoop {
                context.out("\(name)/current: \(plan.current ?? "(none)") (in sync)")
            } else {
                context.out("\(name)/current: \(plan.current ?? "(none)") (run 'snap-export refresh' to update)")
            }
        }
        return plan.decision.chosen == nil ? .missingInput : .success
    }

    /// The chosen provider as JSON, or null.
    static func json(provider decision: ProviderDecision) -> JSONValue {
        guard let chosen = decision.chosen else { return .null }
        return .object([
            ("kind", .string(chosen.kind.rawValue)), ("generation", .string(chosen.generation)),
            ("source", .string(chosen.manifestSource)), ("version", .string(chosen.version.text)),
            ("reason", .string(decision.reason)),
        ])
    }

    /// One object per candidate.
    static func json(verdicts decision: ProviderDecision) -> JSONValue {
        .array(
            decision.verdicts.map { verdict in
                .object([
                    ("kind", .string(verdict.kind.rawValue)), ("generation", .string(verdict.source?.generation)),
                    ("source", .string(verdict.source?.manifestSource)),
                    ("version", .string(verdict.source?.version.text)), ("chosen", .bool(verdict.chosen)),
                    ("reason", .string(verdict.reason)),
                ])
            })
    }
}
