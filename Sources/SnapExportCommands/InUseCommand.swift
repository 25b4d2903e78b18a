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
          --json   {"namespaces_read", "unreadable_pids", "holds": [{"name", "generation", "namespace",
                    "pids", "mount_point"}]}
        """

    static func run(_ arguments: inout Arguments, _ context: CommandContext) throws -> ExitCode {
        let json = arguments.flag("--json")
        if let extra = try arguments.positionals().first { throw UsageError("unexpected argument '\(extra)'") }
        let location = try ExportLocation.locate(root: context.options.root, system: context.system)
        let scan = try MountNamespaceScan.scan(location, system: context.system)
        var holds: [(MountNamespaceScan.Namespace, MountNamespaceScan.Hold)] = []
        for namespace in scan.namespaces {
            for hold in namespace.holds { holds.append((namespace, hold)) }
        }
        holds.sort { ($0.1.name, $0.1.generation, $0.0.identity) < ($1.1.name, $1.1.generation, $1.0.identity) }
        if json {
            context.console.out(
                JSONValue.object([
                    ("namespaces_read", .int(scan.namespacesRead)),
                    ("unreadable_pids", .array(scan.unreadable.map { .int(Int64($0)) })),
                    (
                        "holds",
                        .array(
                            holds.map { namespace, hold in
                                .object([
                                    ("name", .string(hold.name)), ("generation", .string(hold.generation)),
                                    ("namespace", .string(namespace.identity)),
                                    ("pids", .array(namespace.pids.map { .int(Int64($0)) })),
                                    ("mount_point", .string(hold.mountPoint)),
                                ])
                            })
                    ),
                ]).rendered())
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
            context.err("warning: \(scan.unreadable.count) process(es) could not be read (run as root)")
        }
        return .success
    }

    static func holder(_ holder: MountNamespaceScan.Holder) -> JSONValue {
        .object([
            ("namespace", .string(holder.namespace)), ("pids", .array(holder.pids.map { .int(Int64($0)) })),
            ("mount_points", .array(holder.mountPoints.map { .string($0) })),
        ])
    }
}
