import GenerationStore

/// `snap-export completion bash|zsh`: a completion script generated from the command registry.
enum CompletionCommand: Command {
    static let name = "completion"
    static let summary = "print a bash or zsh completion script for snap-export"
    static let usage = "completion SHELL"
    static let details = """
        Prints a script generated from the command registry, so it knows every command, every option of each,
        and what each operand is: exported names and generations come from the configured root when the user
        presses TAB (through the hidden '__complete' command), directories and files from the shell.
          SHELL   bash, or zsh (the bash script run through zsh's bashcompinit)
        Install: snap-export completion bash > /usr/share/bash-completion/completions/snap-export
        (the Debian package ships it there).
        """
    static let rootUse = RootUse.unused
    static let syntax = CommandSyntax(operands: [.required("SHELL", .choice(CompletionScript.shells))])

    static func run(_ arguments: inout Arguments, _ context: CommandContext) throws -> ExitCode {
        let shell = try arguments.positionals("SHELL")[0]
        switch shell {
        case "bash": context.console.out(CompletionScript.bash())
        case "zsh": context.console.out(CompletionScript.zsh())
        default:
            throw UsageError("SHELL must be \(CompletionScript.shells.joined(separator: " or ")), not '\(shell)'")
        }
        return .success
    }
}

/// `snap-export __complete names|generations [NAME]`: the words completion offers for an operand, from the
/// configured root; hidden from `--help`. Prints one word per line and nothing at all when the root cannot be
/// read, so a TAB never shows an error.
enum CompleteCommand: Command {
    static let name = "__complete"
    static let summary = "the words completion offers (for the completion script)"
    static let usage = "__complete WHAT [NAME]"
    static let details = """
        WHAT is 'names' (the exported names of the root) or 'generations' (the generations of NAME, in
        publication order).
        """
    static let rootUse = RootUse.unused
    static let syntax = CommandSyntax(
        operands: [.required("WHAT", .choice(["names", "generations"])), .optional("NAME", .exportedName)])
    static let hidden = true

    static func run(_ arguments: inout Arguments, _ context: CommandContext) throws -> ExitCode {
        let given = try arguments.positionals()
        var words: [String]
        switch (given.first, given.count) {
        case ("names", 1): words = (try? context.store.names()) ?? []
        case ("generations", 2):
            words = ((try? context.store.status(only: given[1])) ?? []).flatMap { $0.generations.map(\.name) }
        default: throw UsageError("give 'names' or 'generations NAME'")
        }
        // Only a root's names: the directories of a mistyped --root are not exported names.
        if (try? context.store.rootState().isRoot) != true { words = [] }
        for word in words { context.out(word) }
        return .success
    }
}
