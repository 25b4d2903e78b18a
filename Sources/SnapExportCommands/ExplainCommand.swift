import GenerationStore
import SnapdExport

/// `snap-export explain [--json]`
enum ExplainCommand: Command {
    static let name = "explain"
    static let summary = "say which provider of the tools snapd would run, and why each other one is not used"
    static let usage = "explain [--json]"
    static let details = """
        Applies snapd's re-exec rule (snapdtool/tool_linux.go) to the system as it is (reads only, never
        locks): on Ubuntu Core the snapd snap, else core; on classic the host when re-exec is off (SNAP_REEXEC
        false, or a distribution that is not Debian/Ubuntu-like unless SNAP_REEXEC is set), else the snapd snap
        if /snap/snapd/current has usr/bin/snap (else core if /snap/core/current has it) when its info VERSION
        is not older than the host's (compared as snapd compares), else the host. Says which of the nine
        tools each candidate lacks. See docs/snapd.md.
          --json   {"system", "provider", "would_run", "compared_versions", "candidates": [{"kind",
                    "generation", "source", "version", "chosen", "reason", "has_binary", "binary",
                    "version_problem", "missing_tools"}], "current", "in_sync", "warnings"}
        """

    static func run(_ arguments: inout Arguments, _ context: CommandContext) throws -> ExitCode {
        let json = arguments.flag("--json")
        _ = try arguments.positionals()
        let plan = try context.toolsExporter().plan()
        let settings = plan.survey.settings
        let system =
            settings.isUbuntuCore
            ? "Ubuntu Core"
            : "classic (\(settings.osRelease.id)"
                + (settings.osRelease.isDebianLike ? ", Debian/Ubuntu-like)" : ", not Debian/Ubuntu-like)")
        let reexec = settings.reexec.raw
        if json {
            context.console.out(
                JSONValue.object([
                    (
                        "system",
                        .object([
                            ("ubuntu_core", .bool(settings.isUbuntuCore)),
                            ("id", .string(settings.osRelease.id)),
                            ("id_like", .array(settings.osRelease.idLike.map { .string($0) })),
                            ("version_id", .string(settings.osRelease.versionID)),
                            ("os_release", .string(settings.osReleasePath)),
                            ("debian_like", .bool(settings.osRelease.isDebianLike)),
                            ("snap_reexec", .string(reexec)),
                            ("reexec_enabled", .bool(settings.reexec.isEnabled)),
                            ("reexec_explicitly_enabled", .bool(settings.reexec.isExplicitlyEnabled)),
                            ("host_root", .string(settings.rootDir)),
                            ("snap_mount_dir", .string(settings.snapMountDir)),
                            ("snap_mount_dir_origin", .string(settings.snapMountDirOrigin)),
                            ("reexec_snap_dir", .string(settings.reexecSnapDir)),
                            ("libexec_dir", .string(settings.libexecDir)),
                        ])
                    ),
                    ("provider", Self.json(provider: plan.decision)),
                    ("would_run", .string(plan.decision.provider?.rawValue)),
                    ("compared_versions", .bool(plan.decision.comparedVersions)),
                    ("candidates", Self.json(verdicts: plan.decision, survey: plan.survey)),
                    ("current", .string(plan.current)), ("in_sync", .bool(plan.isNoop)),
                    ("warnings", RefreshCommand.warningsJSON(plan.warnings)),
                ]).rendered())
        } else {
            for warning in plan.warnings { context.err("warning: \(warning)") }
            context.out("system: \(system), \(settings.reexec)")
            context.out(
                "paths: os-release \(settings.osReleasePath ?? "(none: ID=linux)"), snaps at \(settings.snapMountDir) "
                    + "(\(settings.snapMountDirOrigin)), re-exec check under \(settings.reexecSnapDir), host tools at "
                    + settings.libexecDir)
            if let chosen = plan.decision.chosen {
                context.out("provider: \(chosen.label), generation \(chosen.generation) (\(plan.decision.reason))")
            } else {
                context.out("provider: none (\(plan.decision.reason))")
            }
            var table = Table("CANDIDATE", "GENERATION", "VERSION", "LACKS", "VERDICT")
            for verdict in plan.decision.verdicts {
                let lacks = verdict.missingTools
                table.add(
                    verdict.source?.label ?? verdict.kind.rawValue, verdict.source?.generation ?? "-",
                    verdict.source?.version ?? "-",
                    lacks.isEmpty
                        ? "-" : lacks.count == SnapdSettings.tools.count ? "all" : lacks.joined(separator: ","),
                    verdict.reason)
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
            ("source", .string(chosen.manifestSource)), ("version", .string(chosen.version)),
            ("reason", .string(decision.reason)),
        ])
    }

    /// One object per candidate (with what the re-exec check saw of it when the survey is given).
    static func json(verdicts decision: ProviderDecision, survey: SystemSurvey? = nil) -> JSONValue {
        .array(
            decision.verdicts.map { verdict in
                let candidate = survey?.candidate(verdict.kind)
                return .object([
                    ("kind", .string(verdict.kind.rawValue)), ("generation", .string(verdict.source?.generation)),
                    ("source", .string(verdict.source?.manifestSource)),
                    ("version", .string(verdict.source?.version)), ("chosen", .bool(verdict.chosen)),
                    ("reason", .string(verdict.reason)),
                    ("has_binary", candidate.map { .bool($0.hasBinary) } ?? .null),
                    ("binary", .string(candidate?.binaryNote)),
                    ("version_problem", .string(candidate?.versionProblem)),
                    ("missing_tools", .array(verdict.missingTools.map { .string($0) })),
                ])
            })
    }
}
