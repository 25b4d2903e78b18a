import GenerationStore
import SnapdExport

/// `snap-export exports [--json]`
enum ExportsCommand: Command {
    static let name = "exports"
    static let summary = "show the man page and font unions: every entry's owner, conflicts and refused entries"
    static let usage = "exports [--json]"
    static let details = """
        Reads every snap's current exports and the union views @man and @fonts (docs/exports.md): each union
        entry with the snap that owns it, every conflict (two snaps exporting one name: who keeps it, whose is
        refused), every refused entry with the rule it breaks, whether each union is up to date (else run
        'refresh'), and what <snap mount dir>/man is. Reads only; never locks.
          --json   print the result as JSON (its shape: docs/cli.md, "JSON output")
        """

    static let rootUse = RootUse.required
    static let syntax = CommandSyntax(options: [.flag("--json")])

    static func run(_ arguments: inout Arguments, _ context: CommandContext) throws -> ExitCode {
        let json = arguments.flag("--json")
        _ = try arguments.positionals()
        try context.checkRoot()
        let survey = try UnionSurvey.read(context.unionExporter(caches: ConsumerCaches.none))
        if json {
            context.console.out(JSONOutput.render(Output(survey)))
            return .success
        }
        guard let survey else {
            context.out("no snap exports man pages or fonts")
            return .success
        }
        var table = Table("UNION", "ENTRY", "OWNER")
        for union in survey.unions {
            for entry in union.entries { table.add(union.kind.exportName, entry.set + "/" + entry.entry, entry.owner) }
        }
        context.console.out(table.rendered())
        for union in survey.unions {
            for conflict in union.conflicts { context.out(UnionsOutput.describe(conflict)) }
            for refusal in union.refused { context.out(UnionsOutput.describe(refusal)) }
            if !union.upToDate { context.out("\(union.kind.exportName) is out of date: run 'snap-export refresh'") }
        }
        context.out("\(survey.manLink.path): \(survey.manLink.state) (the man union is \(survey.manLink.target))")
        return .success
    }

    /// `--json`: `{"man_link": {"path", "state", "target"} or null, "owners": [{"current", "name"}],
    /// "unions": [{"conflicts", "current", "entries": [{"entry", "owner", "set", "target"}], "name", "refused",
    /// "up_to_date"}]}`.
    struct Output: Encodable, Sendable {
        struct ManLink: Encodable, Sendable {
            var path: String
            var target: String
            var state: String
        }
        struct Entry: Encodable, Sendable {
            var set: String
            var entry: String
            var owner: String
            var target: String
        }
        struct Union: Encodable, Sendable {
            var name: String
            @Nullable var current: String?
            var upToDate: Bool
            var entries: [Entry]
            var conflicts: [UnionsOutput.Conflict]
            var refused: [UnionsOutput.Refusal]
        }
        struct Owner: Encodable, Sendable {
            var name: String
            var current: String
        }
        var unions: [Union]
        var owners: [Owner]
        @Nullable var manLink: ManLink?

        init(_ survey: UnionSurvey?) {
            unions =
                survey?.unions.map { union in
                    Union(
                        name: union.kind.exportName, current: union.current, upToDate: union.upToDate,
                        entries: union.entries.map {
                            Entry(set: $0.set, entry: $0.entry, owner: $0.owner, target: $0.target)
                        },
                        conflicts: union.conflicts.map(UnionsOutput.Conflict.init),
                        refused: union.refused.map(UnionsOutput.Refusal.init))
                } ?? []
            owners = (survey?.owners ?? [:]).sorted { $0.key < $1.key }.map { Owner(name: $0.key, current: $0.value) }
            manLink = survey.map { ManLink(path: $0.manLink.path, target: $0.manLink.target, state: $0.manLink.state) }
        }
    }
}

/// What `link`, `unlink` and `refresh` report of the union views (docs/exports.md), for `--json` and for people.
struct UnionsOutput: Encodable, Sendable {
    struct Switched: Encodable, Sendable {
        var union: String
        var generation: String
    }
    struct Conflict: Encodable, Sendable {
        var union: String
        var set: String
        var entry: String
        var owner: String
        var refused: String
        init(_ conflict: UnionConflict) {
            (union, set, entry, owner, refused) = (
                conflict.union, conflict.set, conflict.entry, conflict.owner, conflict.refused
            )
        }
    }
    struct Refusal: Encodable, Sendable {
        var union: String
        var snap: String
        var set: String
        var entry: String
        var reason: String
        init(_ refusal: UnionRefusal) {
            (union, snap, set, entry, reason) = (
                refusal.union, refusal.snap, refusal.set, refusal.entry, refusal.reason
            )
        }
    }
    var switched: [Switched]
    var retired: [String]
    var converged: [String]
    var conflicts: [Conflict]
    var refused: [Refusal]
    var warnings: [JSONOutput.Warning]
    /// `refresh`'s check: `stamp` (its stamp stood, nothing more was read) or `links`; null for `link`/`unlink`.
    @Nullable var check: String?

    init(_ report: UnionExporter.Report) {
        check = report.check?.rawValue
        switched = report.switched.map { Switched(union: $0.union, generation: $0.generation) }
        retired = report.retired
        converged = report.converged
        conflicts = report.conflicts.map(Conflict.init)
        refused = report.refused.map(Refusal.init)
        warnings = report.warnings.map(JSONOutput.Warning.init)
    }

    static func describe(_ conflict: UnionConflict) -> String {
        "conflict: \(conflict.union) \(conflict.set)/\(conflict.entry) is exported by \(conflict.owner) and "
            + "\(conflict.refused): \(conflict.owner) keeps it, \(conflict.refused)'s is not in the union"
    }

    static func describe(_ refusal: UnionRefusal) -> String {
        "refused: \(refusal.snap)'s \(refusal.set)/\(refusal.entry) is not in \(refusal.union): \(refusal.reason)"
    }

    /// The human lines: switches on standard output, conflicts, refusals and warnings on standard error.
    static func print(_ report: UnionExporter.Report, _ context: CommandContext) {
        for item in report.switched { context.out("switched \(item.union)/current -> \(item.generation)") }
        for instance in report.retired { context.out("retired \(instance): its exports left the unions") }
        for instance in report.converged { context.out("\(instance): exports follow its current revision") }
        for conflict in report.conflicts { context.warn(describe(conflict)) }
        for refusal in report.refused { context.warn(describe(refusal)) }
        for warning in report.warnings { context.warn("\(warning)") }
    }
}

extension CommandContext {
    /// The union exporter for this invocation; caches from `PATH` unless `SNAP_EXPORT_CACHES=off`.
    func unionExporter(caches: ConsumerCaches? = nil) -> UnionExporter {
        let chosen =
            caches
            ?? (environment["SNAP_EXPORT_CACHES"] == "off"
                ? .none : .installed(path: environment["PATH"], system: system))
        let context = self
        return UnionExporter(
            store: store, settings: ResolvedOnce { context.snapdSettings().settings }, caches: chosen)
    }
}
