import GenerationStore
import SnapdExport

/// `snap-export repair [--json]`
enum RepairCommand: Command {
    static let name = "repair"
    static let summary = "finish or remove what interrupted writers left (.next-*, .staging/*, .trash/*)"
    static let usage = "repair [--json]"
    static let details = """
        Under the writers' lock. Completes a switch interrupted after its exchange (previous becomes the
        generation current named before it), removes the other leftovers. Never touches a published
        generation or current. Also removes
        <snap mount dir>/.man.snap-export-* (the temporary link of an interrupted man link update).
          --json   print the result as JSON (its shape: docs/cli.md, "JSON output")
        """

    static let rootUse = RootUse.required
    static let syntax = CommandSyntax(
        options: [.flag("--json")])

    static func run(_ arguments: inout Arguments, _ context: CommandContext) throws -> ExitCode {
        let json = arguments.flag("--json")
        _ = try arguments.positionals()
        try context.checkRoot()
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
                JSONOutput.render(
                    Output(
                        completed: report.completed.map(Completed.init), removed: report.removed,
                        left: report.leftovers.map(JSONOutput.Leftover.init))))
        } else {
            for switched in report.completed {
                context.out(
                    "completed the interrupted switch of \(switched.name) to \(switched.current): "
                        + "previous now names \(switched.previous)")
            }
            for path in report.removed { context.out("removed \(path)") }
            for leftover in report.leftovers { context.err("left \(leftover)") }
            if report.completed.isEmpty && report.removed.isEmpty && report.leftovers.isEmpty {
                context.out("nothing to repair")
            }
        }
        return report.leftovers.isEmpty ? .success : .failure
    }

    /// `--json`: `{"completed": [{"name", "current", "previous"}], "left": [{"path", "reason"}], "removed": [paths]}`.
    struct Output: Encodable, Sendable {
        var completed: [Completed]
        var removed: [String]
        var left: [JSONOutput.Leftover]
    }

    /// A switch interrupted after its exchange that repair completed.
    struct Completed: Encodable, Sendable {
        var name: String
        var current: String
        var previous: String

        init(_ switched: StoreWriter.CompletedSwitch) {
            name = switched.name
            current = switched.current
            previous = switched.previous
        }
    }
}
