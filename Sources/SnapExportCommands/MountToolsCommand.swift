import GenerationStore
import SnapdExport

/// `snap-export mount-tools --into DIR [--name snapd] [--set tools] [--mode pin|follow]`
enum MountToolsCommand: Command {
    static let name = "mount-tools"
    static let summary = "inside a new mount namespace, mount an exported set on DIR (pin or follow)"
    static let usage =
        "mount-tools --into DIR [--name NAME] [--set SET] [--mode pin|follow] [--allow-host-namespace] [--json]"
    static let details = """
        What snap-confine does when it builds a namespace; needs root and a private mount namespace
        (unshare -m --propagation private).
          --into DIR        the directory to mount on (usually /usr/lib/snapd); must exist
          --name NAME       the exported name (default snapd)
          --set SET         the set of the generation (default tools)
          --mode pin        bind-mount NAME's current generation's SET read-only on DIR: the namespace keeps
                            that generation until it is rebuilt, and gc sees it in mountinfo (default)
          --mode follow     a read-only tmpfs on DIR with one symlink per entry to ROOT/NAME/current/SET/ENTRY:
                            every later switch is seen at once
          --allow-host-namespace
                            mount even in the host's mount namespace or on a shared mount (propagates!)
          --json            print what was mounted as JSON
        On any failure nothing stays mounted.
        """

    static let rootUse = RootUse.required
    static let syntax = CommandSyntax(
        options: [
            .value("--into", .directory), .value("--name", .exportedName), .value("--set", .word),
            .value("--mode", .choice(ConsumerMounts.Mode.allCases.map(\.rawValue))), .flag("--allow-host-namespace"),
            .flag("--json"),
        ])

    static func run(_ arguments: inout Arguments, _ context: CommandContext) throws -> ExitCode {
        let json = arguments.flag("--json")
        let allow = arguments.flag("--allow-host-namespace")
        guard let directory = try arguments.value("--into") else { throw UsageError("missing --into DIR") }
        let name = try arguments.value("--name") ?? SnapdSettings.exportName
        let set = try arguments.value("--set") ?? SnapdSettings.toolsSet
        let modeWord = try arguments.value("--mode") ?? "pin"
        guard let mode = ConsumerMounts.Mode(rawValue: modeWord) else {
            throw UsageError("--mode must be pin or follow, not '\(modeWord)'")
        }
        if let extra = try arguments.positionals().first { throw UsageError("unexpected argument '\(extra)'") }
        try context.checkRoot()
        let request = ConsumerMounts.Request(
            directory: directory, name: name, set: set, mode: mode, allowHostNamespace: allow)
        let outcome = try ConsumerMounts(store: context.store).mountTools(request)
        if json {
            context.console.out(
                JSONOutput.render(
                    Output(
                        mode: mode.rawValue, into: directory, generation: outcome.generation, source: outcome.source,
                        entries: outcome.entries)))
        } else {
            context.out(
                "mounted \(name)/\(outcome.generation)/\(set) on \(directory) (\(mode.rawValue), "
                    + "\(outcome.entries.count) entries from \(outcome.source))")
        }
        return .success
    }

    /// `--json`: `{"entries", "generation", "into", "mode", "source"}`.
    struct Output: Encodable, Sendable {
        var mode: String
        var into: String
        var generation: String
        var source: String
        var entries: [String]
    }
}
