import GenerationStore

/// `snap-export in-use [--json]`
enum InUseCommand: Command {
    static let name = "in-use"
    static let summary = "show which generations live mount namespaces hold, with their pids"
    static let usage = "in-use [--json]"
    static let details = """
        Reads /proc/<pid>/mountinfo once per mount namespace and lists every mount whose source lies inside a
        generation of the export root (what gc will never remove). Reads only; never locks. Run as root to see
        every process; unreadable processes are counted.
          --json   print the result as JSON (its shape: docs/cli.md, "JSON output")
        """

    static let rootUse = RootUse.required
    static let syntax = CommandSyntax(
        options: [.flag("--json")])

    static func run(_ arguments: inout Arguments, _ context: CommandContext) throws -> ExitCode {
        let json = arguments.flag("--json")
        if let extra = try arguments.positionals().first { throw UsageError("unexpected argument '\(extra)'") }
        try context.checkRoot()
        let location = try ExportLocation.locate(root: context.options.root, system: context.system)
        let scan = try MountNamespaceScan.scan(location, system: context.system)
        var holds: [(MountNamespaceScan.Namespace, MountNamespaceScan.Hold)] = []
        for namespace in scan.namespaces {
            for hold in namespace.holds { holds.append((namespace, hold)) }
        }
        holds.sort { ($0.1.name, $0.1.generation, $0.0.identity) < ($1.1.name, $1.1.generation, $1.0.identity) }
        if json {
            let output = Output(
                namespacesRead: scan.namespacesRead, unreadablePids: scan.unreadable,
                holds: holds.map { namespace, hold in
                    Output.Hold(
                        name: hold.name, generation: hold.generation, namespace: namespace.identity,
                        pids: namespace.pids, mountPoint: hold.mountPoint)
                })
            context.console.out(JSONOutput.render(output))
            return .success
        }
        if holds.isEmpty {
            context.out("no mount namespace holds a generation (\(scan.namespacesRead) namespace(s) read)")
        } else {
            var table = Table("NAME", "GENERATION", "NAMESPACE", "PIDS", "MOUNTED ON")
            for (namespace, hold) in holds {
                table.add(
                    hold.name, hold.generation, namespace.identity,
                    namespace.pids.map(String.init).joined(separator: ","), hold.mountPoint)
            }
            context.console.out(table.rendered())
        }
        if !scan.unreadable.isEmpty {
            context.warn("\(scan.unreadable.count) process(es) could not be read (run as root)")
        }
        return .success
    }

    /// `--json`: `{"holds": [{"generation", "mount_point", "name", "namespace", "pids"}], "namespaces_read",
    /// "unreadable_pids"}`.
    struct Output: Encodable, Sendable {
        struct Hold: Encodable, Sendable {
            var name: String
            var generation: String
            var namespace: String
            var pids: [Int32]
            var mountPoint: String
        }
        var namespacesRead: Int
        var unreadablePids: [Int32]
        var holds: [Hold]
    }

    /// `{"mount_points", "namespace", "pids"}`: a namespace that holds a generation (gc's `in-use` reason).
    struct Holder: Encodable, Sendable {
        var namespace: String
        var pids: [Int32]
        var mountPoints: [String]

        init(_ holder: MountNamespaceScan.Holder) {
            namespace = holder.namespace
            pids = holder.pids
            mountPoints = holder.mountPoints
        }
    }
}
