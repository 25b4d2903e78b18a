import GenerationStore

/// `snap-export verify [--json]`
enum VerifyCommand: Command {
    static let name = "verify"
    static let summary = "check every on-disk invariant; exit 0 only when all hold"
    static let usage = "verify [--json]"
    static let details = """
        Checks that current and previous name generations of their name, that every generation matches its
        manifest exactly (no missing, extra or wrong entries), and that no leftover of an interrupted writer
        remains. Prints one line per problem and exits 1 if there is any. Reads only; never locks.
          --json   {"clean": bool, "problems": [{"path", "message"}]}
        """

    static func run(_ arguments: inout Arguments, _ context: CommandContext) throws -> ExitCode {
        let json = arguments.flag("--json")
        _ = try arguments.positionals()
        let problems = try context.store.verify()
        if json {
            context.console.out(
                JSONValue.object([
                    ("clean", .bool(problems.isEmpty)),
                    (
                        "problems",
                        .array(
                            problems.map { .object([("path", .string($0.path)), ("message", .string($0.message))]) })
                    ),
                ]).rendered())
        } else if problems.isEmpty {
            context.out("\(context.options.root): clean")
        } else {
            for problem in problems { context.out(problem.description) }
        }
        return problems.isEmpty ? .success : .failure
    }
}
