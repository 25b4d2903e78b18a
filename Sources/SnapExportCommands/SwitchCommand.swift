import GenerationStore
import SnapdExport

/// `snap-export switch NAME GENERATION`
enum SwitchCommand: Command {
    static let name = "switch"
    static let summary = "point NAME/current at GENERATION atomically (the old one becomes previous)"
    static let usage = "switch NAME GENERATION [--json]"
    static let details = """
        One renameat2(RENAME_EXCHANGE) of a fresh link with NAME/current, then fsync of NAME/: readers see the old
        generation or the new one, never nothing. Switching to the current generation changes nothing. For a snap
        whose exports are in the union views, the unions are switched around it (docs/exports.md, "Ordering").
          --json   print the outcome as JSON
        """

    static let rootUse = RootUse.required
    static let syntax = CommandSyntax(
        options: [.flag("--json")], operands: [.required("NAME", .exportedName), .required("GENERATION", .generation)])

    static func run(_ arguments: inout Arguments, _ context: CommandContext) throws -> ExitCode {
        let json = arguments.flag("--json")
        let names = try arguments.positionals("NAME", "GENERATION")
        try context.checkRoot()
        let (outcome, unions): (StoreWriter.SwitchOutcome, UnionExporter.Report?) = try context.withWriter { writer in
            // A name that owns nothing in the union views (snapd's tools, most of all) is switched by the store
            // alone: no union exporter, no consumer caches looked up on PATH (a few per cent of the process).
            guard UnionExporter.isOwner(names[0]) else {
                return (try writer.switchCurrent(name: names[0], to: names[1]), UnionExporter.Report?.none)
            }
            return try context.unionExporter().switchName(writer, name: names[0], to: names[1])
        }
        if let unions, !json { UnionsOutput.print(unions, context) }
        let from: String?
        switch outcome {
        case .switched(let old): from = old
        case .unchanged: from = names[1]
        }
        if json {
            context.console.out(
                JSONOutput.render(
                    Output(
                        name: names[0], current: names[1], changed: outcome != .unchanged, previousCurrent: from)))
        } else if outcome == .unchanged {
            context.out("\(names[0])/current already is \(names[1]); nothing changed")
        } else {
            context.out("\(names[0])/current: \(from ?? "(none)") -> \(names[1])")
        }
        return .success
    }

    /// `--json`: `{"changed", "current", "name", "previous_current"}`.
    struct Output: Encodable, Sendable {
        var name: String
        var current: String
        var changed: Bool
        @Nullable var previousCurrent: String?
    }
}
