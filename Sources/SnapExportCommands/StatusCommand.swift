import GenerationStore
import SnapdExport

/// `snap-export status [NAME] [--json]`
enum StatusCommand: Command {
    static let name = "status"
    static let summary = "show each exported name's current, previous and generations"
    static let usage = "status [NAME] [--json]"
    static let details = """
        Reads only; never locks. With union views (docs/exports.md), --json also lists their conflicts and
        refused entries (the 'exports' command shows them in full).
          --json   print the result as JSON (its shape: docs/cli.md, "JSON output")
        """

    static let rootUse = RootUse.required
    static let syntax = CommandSyntax(
        options: [.flag("--json")], operands: [.optional("NAME", .exportedName)])

    static func run(_ arguments: inout Arguments, _ context: CommandContext) throws -> ExitCode {
        let json = arguments.flag("--json")
        let given = try arguments.positionals()
        if given.count > 1 { throw UsageError("unexpected argument '\(given[1])'") }
        try context.checkRoot()
        let status = try context.store.status(only: given.first)
        for name in status { if let problem = name.problem { context.warn(problem) } }
        guard json else {
            context.console.out(render(table: status))
            return .success
        }
        var output = Output(status)
        // The names' `current` links as status read them, so the union check does not read them again; where one is
        // not a link (a problem status reports), the check reads them itself and fails on it as before.
        let links: [(name: String, target: String?)]? =
            status.contains { $0.problem != nil } ? nil : status.map { ($0.name, $0.current) }
        if given.isEmpty, status.contains(where: { UnionKind.isUnionName($0.name) }),
            let summary = try UnionSurvey.summary(context.unionExporter(caches: ConsumerCaches.none), links: links)
        {
            output.unions = Output.Unions(
                conflicts: summary.conflicts.map(UnionsOutput.Conflict.init),
                refused: summary.refused.map(UnionsOutput.Refusal.init), upToDate: summary.upToDate)
        }
        context.console.out(JSONOutput.render(output))
        return .success
    }

    /// `--json`: `{"names": [{"name", "current", "previous", "generations": [{"name", "entries"}]}], "unions":
    /// {"conflicts", "refused", "up_to_date"} or null}`.
    struct Output: Encodable, Sendable {
        struct Name: Encodable, Sendable {
            var name: String
            @Nullable var current: String?
            @Nullable var previous: String?
            var generations: [Generation]
        }
        struct Generation: Encodable, Sendable {
            var name: String
            @Nullable var entries: Int?
        }
        /// The union views' conflicts and refused entries (docs/exports.md); null without union views.
        struct Unions: Encodable, Sendable {
            var conflicts: [UnionsOutput.Conflict]
            var refused: [UnionsOutput.Refusal]
            var upToDate: Bool
        }
        var names: [Name]
        @Nullable var unions: Unions?

        init(_ status: [NameStatus]) {
            names = status.map { name in
                Name(
                    name: name.name, current: name.current, previous: name.previous,
                    generations: name.generations.map { Generation(name: $0.name, entries: $0.entries) })
            }
        }
    }

    static func render(json status: [NameStatus]) -> String { JSONOutput.render(Output(status)) }

    static func render(table status: [NameStatus]) -> String {
        if status.isEmpty { return "nothing exported yet\n" }
        var table = Table("NAME", "GENERATION", "ENTRIES", "STATE")
        for name in status {
            for generation in name.generations {
                var state: [String] = []
                if generation.name == name.current { state.append("current") }
                if generation.name == name.previous { state.append("previous") }
                table.add(
                    name.name, generation.name, generation.entries.map(String.init) ?? "?",
                    state.joined(separator: ","))
            }
            if name.generations.isEmpty { table.add(name.name, "-", "-", "no generations") }
        }
        return table.rendered()
    }
}
