import GenerationStore

/// `snap-export verify [--json]`
enum VerifyCommand: Command {
    static let name = "verify"
    static let summary = "check every on-disk invariant; exit 0 only when all hold"
    static let usage = "verify [--json]"
    static let details = """
        Checks that current and previous name generations of their name, that every generation matches its
        manifest exactly (no missing, extra or wrong entries), and that no leftover of an interrupted writer
        remains. Prints one line per problem and exits 1 if there is any. Reads only; holds the writers' lock
        shared (LOCK_SH), so it waits for a running writer (--no-wait: exit 75 instead).
          --json   print the result as JSON (its shape: docs/cli.md, "JSON output")
        """

    static let rootUse = RootUse.required
    static let syntax = CommandSyntax(
        options: [.flag("--json")])

    static func run(_ arguments: inout Arguments, _ context: CommandContext) throws -> ExitCode {
        let json = arguments.flag("--json")
        _ = try arguments.positionals()
        try context.checkRoot()
        // Shared with other readers, exclusive of writers: a running writer's work is never reported as a leftover.
        let problems = try context.store.withSharedLock(wait: !context.options.noWait) { try context.store.verify() }
        if json {
            context.console.out(JSONOutput.render(Output(problems)))
        } else if problems.isEmpty {
            context.out("\(context.options.root): clean")
        } else {
            for problem in problems { context.out(problem.description) }
        }
        return problems.isEmpty ? .success : .failure
    }

    /// `--json`: `{"clean": bool, "problems": [{"path", "message"}]}`.
    struct Output: Encodable, Sendable {
        struct Problem: Encodable, Sendable {
            var path: String
            var message: String
        }
        var clean: Bool
        var problems: [Problem]

        init(_ problems: [ExportStore.Problem]) {
            clean = problems.isEmpty
            self.problems = problems.map { Problem(path: $0.path, message: $0.message) }
        }
    }
}
