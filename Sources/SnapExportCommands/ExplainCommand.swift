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
          --json   print the result as JSON (its shape: docs/cli.md, "JSON output")
        """

    static let rootUse = RootUse.readIfPresent
    static let syntax = CommandSyntax(
        options: [.flag("--json")])

    static func run(_ arguments: inout Arguments, _ context: CommandContext) throws -> ExitCode {
        let json = arguments.flag("--json")
        _ = try arguments.positionals()
        try context.checkRoot()
        let plan = try context.toolsExporter().plan()
        let settings = plan.survey.settings
        let system =
            settings.isUbuntuCore
            ? "Ubuntu Core"
            : "classic (\(settings.osRelease.id)"
                + (settings.osRelease.isDebianLike ? ", Debian/Ubuntu-like)" : ", not Debian/Ubuntu-like)")
        if json {
            context.console.out(JSONOutput.render(Output(plan)))
        } else {
            for warning in plan.warnings { context.warn("\(warning)") }
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
        guard plan.decision.chosen == nil else { return .success }
        // A failed read leaves no provider (current unchanged): an I/O error, not a system without one.
        return plan.decision.readFailure != nil ? .ioError : .missingInput
    }

    /// `--json`: `{"candidates", "compared_versions", "current", "in_sync", "provider", "system", "warnings",
    /// "would_run"}`.
    struct Output: Encodable, Sendable {
        /// The system as snapd reads it.
        struct System: Encodable, Sendable {
            var ubuntuCore: Bool
            var id: String
            var idLike: [String]
            var versionId: String
            @Nullable var osRelease: String?
            var debianLike: Bool
            @Nullable var snapReexec: String?
            var reexecEnabled: Bool
            var reexecExplicitlyEnabled: Bool
            var hostRoot: String
            var snapMountDir: String
            var snapMountDirOrigin: String
            var reexecSnapDir: String
            var libexecDir: String
        }
        var system: System
        @Nullable var provider: Provider?
        @Nullable var wouldRun: String?
        var comparedVersions: Bool
        var candidates: [Candidate]
        @Nullable var current: String?
        var inSync: Bool
        var warnings: [JSONOutput.Warning]

        init(_ plan: ToolsPlan) {
            let settings = plan.survey.settings
            system = System(
                ubuntuCore: settings.isUbuntuCore, id: settings.osRelease.id, idLike: settings.osRelease.idLike,
                versionId: settings.osRelease.versionID, osRelease: settings.osReleasePath,
                debianLike: settings.osRelease.isDebianLike, snapReexec: settings.reexec.raw,
                reexecEnabled: settings.reexec.isEnabled,
                reexecExplicitlyEnabled: settings.reexec.isExplicitlyEnabled, hostRoot: settings.rootDir,
                snapMountDir: settings.snapMountDir, snapMountDirOrigin: settings.snapMountDirOrigin,
                reexecSnapDir: settings.reexecSnapDir, libexecDir: settings.libexecDir)
            provider = Provider(plan.decision)
            wouldRun = plan.decision.provider?.rawValue
            comparedVersions = plan.decision.comparedVersions
            candidates = Candidate.all(plan.decision, survey: plan.survey)
            current = plan.current
            inSync = plan.isNoop
            warnings = plan.warnings.map(JSONOutput.Warning.init)
        }
    }

    /// `{"generation", "kind", "reason", "source", "version"}`: the chosen provider (explain, refresh).
    struct Provider: Encodable, Sendable {
        var kind: String
        var generation: String
        var source: String
        @Nullable var version: String?
        var reason: String

        /// Nil when there is no provider.
        init?(_ decision: ProviderDecision) {
            guard let chosen = decision.chosen else { return nil }
            kind = chosen.kind.rawValue
            generation = chosen.generation
            source = chosen.manifestSource
            version = chosen.version
            reason = decision.reason
        }
    }

    /// `{"binary", "chosen", "generation", "has_binary", "kind", "missing_tools", "reason", "source", "version",
    /// "version_problem"}`: one candidate, with what the re-exec check saw of it (explain, refresh).
    struct Candidate: Encodable, Sendable {
        var kind: String
        @Nullable var generation: String?
        @Nullable var source: String?
        @Nullable var version: String?
        var chosen: Bool
        var reason: String
        @Nullable var hasBinary: Bool?
        @Nullable var binary: String?
        @Nullable var versionProblem: String?
        var missingTools: [String]

        static func all(_ decision: ProviderDecision, survey: SystemSurvey) -> [Candidate] {
            decision.verdicts.map { verdict in
                let candidate = survey.candidate(verdict.kind)
                return Candidate(
                    kind: verdict.kind.rawValue, generation: verdict.source?.generation,
                    source: verdict.source?.manifestSource, version: verdict.source?.version,
                    chosen: verdict.chosen, reason: verdict.reason, hasBinary: candidate.hasBinary,
                    binary: candidate.binaryNote, versionProblem: candidate.versionProblem,
                    missingTools: verdict.missingTools)
            }
        }
    }
}
