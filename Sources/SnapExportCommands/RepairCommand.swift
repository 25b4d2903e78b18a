import GenerationStore
import SnapdExport

/// `snap-export repair [--json]`
enum RepairCommand: Command {
    static let name = "repair"
    static let summary = "remove leftovers of interrupted writers (.staging/*, .trash/*, .next-*)"
    static let usage = "repair [--json]"
    static let details = """
        Under the writers' lock. Never touches a published generation, current or previous. Also removes
        <snap mount dir>/.man.snap-export-* (the temporary link of an interrupted man link update).
          --json   print the result as JSON (its shape: docs/cli.md, "JSON output")
        """

    static let syntax = CommandSyntax(
        options: [.flag("--json")])

    static func run(_ arguments: inout Arguments, _ context: CommandContext) throws -> ExitCode {
        let json = arguments.flag("--json")
        _ = try arguments.positionals()
        let manLink = ManPageLink(
            settings: context.snapdSettings().settings, root: context.store.root, system: context.system)
        let report = try context.withWriter { writer in
            var report = try writer.repair()
            // The temporary link of an interrupted man link update lies in the snap mount dir, outside the root.
            report.removed += try manLink.repair()
            return report
        }
        if json {
            context.console.out(
                JSONOutput.render(Output(removed: report.removed, left: report.leftovers.map(JSONOutput.Leftover.init)))
            )
        } else {
            for path in report.removed { context.out("removed \(path)") }
            for leftover in report.leftovers { context.err("left \(leftover)") }
            if report.removed.isEmpty && report.leftovers.isEmpty { context.out("nothing to repair") }
        }
        return report.leftovers.isEmpty ? .success : .failure
    }

    /// `--json`: `{"left": [{"path", "reason"}], "removed": [paths]}`.
    struct Output: Encodable, Sendable {
        var removed: [String]
        var left: [JSONOutput.Leftover]
    }
}
