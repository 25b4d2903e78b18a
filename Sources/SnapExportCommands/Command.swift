import GenerationStore
import SnapdExport

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
    /// What it needs at the export root's path; the dispatcher checks it before `run` (exit 66 otherwise).
    static var rootUse: RootUse { get }
    /// Runs the command; throws `UsageError`, `StoreError` or returns a non-zero code.
    static func run(_ arguments: inout Arguments, _ context: CommandContext) throws -> ExitCode
}

extension Command {
    static var hidden: Bool { false }
}

/// What a command needs at the export root's path (docs/format.md, "The root marker"), declared by every command
/// and checked by the dispatcher before the command runs; a writer checks again under the lock.
enum RootUse: Sendable {
    /// An export root (marked, or a format-1 root): anything else, an absent path included, exits 66.
    case required
    /// An export root, or an absent path or empty directory, which the command makes a root when it writes.
    case created
    /// An export root, or nothing yet (an absent path or an empty directory): `explain` reads the system.
    case readIfPresent
    /// Not the root of the command line: `demo` makes its own, completion reads names only from a root.
    case unused
}

/// What a command runs with: the global options, the environment, the console and the store.
struct CommandContext: Sendable {
    let options: GlobalOptions
    let environment: [String: String]
    var console: any Console
    let system: any SystemCalls
    /// snapd's settings from `options`, `environment` and `system`, resolved once, when a command first needs them.
    let resolvedSettings: ResolvedOnce<(settings: SnapdSettings, warnings: [SnapdWarning])>

    init(options: GlobalOptions, environment: [String: String], console: any Console, system: any SystemCalls) {
        self.options = options
        self.environment = environment
        self.console = console
        self.system = system
        resolvedSettings = ResolvedOnce { Self.resolveSettings(options, environment, system) }
    }

    /// The export root's store.
    var store: ExportStore { ExportStore(root: options.root, system: system) }

    /// The running command's name and what it needs at the root (`Command.rootUse`), set by the dispatcher.
    var command = ""
    var rootUse = RootUse.unused

    /// Fails (exit 66, naming the root) unless the root's path is what the command needs (`rootUse`). Every
    /// command calls it once its arguments are parsed (a usage error is reported first), before it reads or
    /// writes anything at the root; a test runs every command of the registry on a directory that is not a root.
    func checkRoot() throws(StoreError) {
        switch rootUse {
        case .required: try store.requireRoot(command)
        case .created, .readIfPresent: try store.requireRoot(creating: true, command)
        case .unused: return
        }
    }

    /// The time gc decides at, for tests only: debug builds read `SNAP_EXPORT_NOW` (`+SECONDS` from now, or
    /// seconds since the Unix epoch) so a test can age the store without waiting; release builds ignore it and
    /// gc uses the real clock (nil).
    var gcNow: Int64? {
        #if DEBUG
            guard let text = environment["SNAP_EXPORT_NOW"] else { return nil }
            let offset = text.hasPrefix("+")
            guard let seconds = Int64(offset ? String(text.dropFirst()) : text), seconds >= 0,
                seconds < Int64.max / 2_000_000_000
            else { return nil }
            return (offset ? SystemClock.wallNanoseconds() : 0) + seconds * 1_000_000_000
        #else
            return nil
        #endif
    }

    /// Runs `body` as the writer of the store, honouring `--no-wait`; only `publish` passes `creatingRoot`
    /// (`ExportStore.withWriter`).
    func withWriter<T>(creatingRoot: Bool = false, _ body: (StoreWriter) throws -> T) throws -> T {
        try store.withWriter(wait: !options.noWait, creatingRoot: creatingRoot, body)
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
            ExportsCommand.self,
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
