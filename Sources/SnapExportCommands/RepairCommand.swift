import GenerationStore

/// `snap-export repair [--json]`
enum RepairCommand: Command {
    static let name = "repair"
    static let summary = "remove leftovers of interrupted writers (.staging/*, .trash/*, .next-*)"
    static let usage = "repair [--json]"
    static let details = """
        Under the writers' lock. Never touches a published generation, current or previous.
          --json   {"removed": [paths], "left": [{"path", "reason"}]}
        """

    static func run(_ arguments: inout Arguments, _ context: CommandContext) throws -> ExitCode {
        let json = arguments.flag("--json")
        _ = try arguments.positionals()
        let report = try context.withWriter { try $0.repair() }
        if json {
            context.console.out(
                JSONValue.object([
                    ("removed", .array(report.removed.map { .string($0) })),
                    (
                        "left",
                        .array(
                            report.leftovers.map {
                                .object([("path", .string($0.path)), ("reason", .string($0.reason))])
                            })
                    ),
                ]).rendered())
        } else {
            for path in report.removed { context.out("removed \(path)") }
            for leftover in report.leftovers { context.err("left \(leftover)") }
            if report.removed.isEmpty && report.leftovers.isEmpty { context.out("nothing to repair") }
        }
        return report.leftovers.isEmpty ? .success : .failure
    }
}
