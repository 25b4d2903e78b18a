import GenerationStore
import SnapdExport

/// `snap-export link INSTANCE REVISION`
enum LinkCommand: Command {
    static let name = "link"
    static let summary = "export a snap revision after snapd mounted it, before it links it"
    static let usage = "link INSTANCE REVISION [--json]"
    static let details = """
        For the snapd and core snaps: publishes the revision's tools generation (and anything else missing) and
        switches snapd/current as if REVISION were current, by the same rule as refresh. For any other snap:
        publishes its meta/exports.json (docs/snapd.md) as INSTANCE/REVISION and switches INSTANCE/current; an
        entry that is absolute or has '..' fails the link (65) and nothing is published. A snap without
        meta/exports.json exports nothing. The revision must be mounted (66 otherwise).
          Man pages and fonts also enter the union views @man and @fonts (docs/exports.md): the unions without the
          names the snap loses, then its switch, then the unions with its new names; a conflict or refused entry
          is a warning naming both snaps and the entry. A revision without meta/exports.json withdraws the snap's
          exports.
          --json   the refresh report (snapd, core) or {"name", "revision", "published", "previous_current",
                   "current", "entries", "changed", "note", "unions"}
        """

    static let rootUse = RootUse.created
    static let syntax = CommandSyntax(
        options: [.flag("--json")], operands: [.required("INSTANCE", .word), .required("REVISION", .word)])

    static func run(_ arguments: inout Arguments, _ context: CommandContext) throws -> ExitCode {
        try runHook(linking: true, &arguments, context)
    }

    /// `link` and `unlink`: the tools exporter for the snapd and core snaps, `meta/exports.json` for the others.
    static func runHook(linking: Bool, _ arguments: inout Arguments, _ context: CommandContext) throws -> ExitCode {
        let json = arguments.flag("--json")
        let names = try arguments.positionals("INSTANCE", "REVISION")
        try context.checkRoot()
        let (instance, revision) = (names[0], names[1])
        let wait = !context.options.noWait
        if ProviderSnap.named(instance) != nil {
            let exporter = context.toolsExporter()
            let report =
                linking
                ? try exporter.link(instance: instance, revision: revision, wait: wait)
                : try exporter.unlink(instance: instance, revision: revision, wait: wait)
            return RefreshCommand.render(report, json: json, context)
        }
        let linker = SnapExportsLinker(
            store: context.store, settings: context.snapdSettings().settings, caches: context.unionExporter().caches)
        let report =
            linking
            ? try linker.link(instance: instance, revision: revision, wait: wait)
            : try linker.unlink(instance: instance, revision: revision, wait: wait)
        return render(report, json: json, context)
    }

    /// Prints a generic snap's link or unlink report.
    static func render(_ report: SnapExportsLinker.Report, json: Bool, _ context: CommandContext) -> ExitCode {
        if json {
            context.console.out(
                JSONOutput.render(
                    Output(
                        name: report.instance, revision: report.revision, published: report.published,
                        previousCurrent: report.previousCurrent, current: report.current, entries: report.entries,
                        changed: report.changed, note: report.note, unions: report.unions.map(UnionsOutput.init))))
        } else {
            if report.published {
                context.out("published \(report.instance)/\(report.revision) (\(report.entries) entries)")
            }
            context.out(report.note)
            if let unions = report.unions { UnionsOutput.print(unions, context) }
        }
        return .success
    }

    /// `--json` for a snap other than snapd and core: `{"changed", "current", "entries", "name", "note",
    /// "previous_current", "published", "revision"}`.
    struct Output: Encodable, Sendable {
        var name: String
        var revision: String
        var published: Bool
        @Nullable var previousCurrent: String?
        @Nullable var current: String?
        @Nullable var entries: Int?
        var changed: Bool
        @Nullable var note: String?
        /// What the union views did, with this snap's conflicts and refused entries (docs/exports.md).
        @Nullable var unions: UnionsOutput?
    }
}
