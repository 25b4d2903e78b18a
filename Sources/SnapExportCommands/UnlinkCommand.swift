import GenerationStore
import SnapdExport

/// `snap-export unlink INSTANCE REVISION`
enum UnlinkCommand: Command {
    static let name = "unlink"
    static let summary = "stop exporting a snap revision after snapd unlinked it (switching away first)"
    static let usage = "unlink INSTANCE REVISION [--json]"
    static let details = """
        For the snapd and core snaps: if snapd/current names the revision's generation, switches to the next
        provider by the same rule as refresh (the revision no longer counts), so no tool is ever missing; exits
        66, snapd/current unchanged, when no other provider exists. For any other snap: if INSTANCE/current
        names REVISION, switches to the snap's current revision when that one exports something. Generations
        are not removed (that is gc's job).
          --json   as for link
        """

    static let rootUse = RootUse.created
    static let syntax = CommandSyntax(
        options: [.flag("--json")], operands: [.required("INSTANCE", .word), .required("REVISION", .word)])

    static func run(_ arguments: inout Arguments, _ context: CommandContext) throws -> ExitCode {
        try LinkCommand.runHook(linking: false, &arguments, context)
    }
}
