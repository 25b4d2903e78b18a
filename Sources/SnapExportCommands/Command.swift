import GenerationStore

/// One sub-command of `snap-export`: its name, usage, help, and what it does.
protocol Command {
    /// The word on the command line.
    static var name: String { get }
    /// One line for the command list.
    static var summary: String { get }
    /// The usage line, without the leading `snap-export`.
    static var usage: String { get }
    /// Options and details for `--help`, may be empty.
    static var details: String { get }
    /// Its options and operands: the dispatcher rejects anything else before `run`, completion offers them.
    static var syntax: CommandSyntax { get }
    /// Left out of `--help`'s list and of completion's subcommands (none today).
    static var hidden: Bool { get }
    /// Runs the command; throws `UsageError`, `StoreError` or returns a non-zero code.
    static func run(_ arguments: inout Arguments, _ context: CommandContext) throws -> ExitCode
}

extension Command {
    static var hidden: Bool { false }
}

/// What a command runs with: the global options, the environment, the console and the store.
struct CommandContext: Sendable {
    var options: GlobalOptions
    var environment: [String: String]
    var console: any Console
    var system: any SystemCalls

    /// The export root's store.
    var store: ExportStore { ExportStore(root: options.root, system: system) }

    /// Runs `body` as the writer of the store, honouring `--no-wait`.
    func withWriter<T>(_ body: (StoreWriter) throws -> T) throws -> T {
        try store.withWriter(wait: !options.noWait, body)
    }

    /// One line of results on standard output.
    func out(_ line: String) { console.out(line + "\n") }
    /// One diagnostic line on standard error, with the one prefix every diagnostic has: `snap-export: `.
    func err(_ line: String) { console.err(Diagnostic.prefix + line + "\n") }
    /// A warning on standard error: `snap-export: warning: …`.
    func warn(_ line: String) { err("warning: " + line) }
}

/// Every command, in the order `--help` lists them.
enum Commands {
    static var all: [any Command.Type] {
        [
            RefreshCommand.self,
            ExplainCommand.self,
            LinkCommand.self,
            UnlinkCommand.self,
            GCCommand.self,
            InUseCommand.self,
            MountToolsCommand.self,
            PublishCommand.self,
            SwitchCommand.self,
            RollbackCommand.self,
            StatusCommand.self,
            VerifyCommand.self,
            RepairCommand.self,
            DemoCommand.self,
            CompletionCommand.self,
            CompleteCommand.self,
        ]
    }

    static func named(_ name: String) -> (any Command.Type)? {
        all.first { $0.name == name }
    }
}
