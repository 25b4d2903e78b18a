import GenerationStore
import SnapdExport

/// `snap-export rollback NAME`
enum RollbackCommand: Command {
    static let name = "rollback"
    static let summary = "swap NAME/current and NAME/previous in one renameat2(RENAME_EXCHANGE)"
    static let usage = "rollback NAME [--json]"
    static let details = """
        Fails (66) and changes nothing when NAME has no previous generation.
          --json   print the outcome as JSON
        """

    static let rootUse = RootUse.required
    static let syntax = CommandSyntax(
        options: [.flag("--json")], operands: [.required("NAME", .exportedName)])

    static func run(_ arguments: inout Arguments, _ context: CommandContext) throws -> ExitCode {
        let json = arguments.flag("--json")
        let name = try arguments.positionals("NAME")[0]
        try context.checkRoot()
        let (from, to, unions): (String, String, UnionExporter.Report?) = try context.withWriter { writer in
            // As `switch`: a name that owns nothing in the union views is rolled back by the store alone.
            guard UnionExporter.isOwner(name) else {
                let (from, to) = try writer.rollback(name: name)
                return (from, to, UnionExporter.Report?.none)
            }
            return try context.unionExporter().rollbackName(writer, name: name)
        }
        if let unions, !json { UnionsOutput.print(unions, context) }
        if json {
            context.console.out(JSONOutput.render(Output(name: name, current: to, previous: from)))
        } else {
            context.out("\(name)/current: \(from) -> \(to) (rolled back)")
        }
        return .success
    }

    /// `--json`: `{"current", "name", "previous"}`, after the swap.
    struct Output: Encodable, Sendable {
        var name: String
        var current: String
        var previous: String
    }
}
