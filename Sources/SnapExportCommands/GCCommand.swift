import GenerationStore
import SnapdExport

/// `snap-export gc [--dry-run] [--json] [--keep N] [--grace DURATION]`
enum GCCommand: Command {
    static let name = "gc"
    static let summary = "remove generations nobody needs, never one a running snap may use"
    static let usage = "gc [--dry-run] [--json] [--keep N] [--grace DURATION]"
    static let details = """
        Candidates: generations that are neither current nor previous and whose source is gone (snap revision
        no longer in the snap mount dir, superseded host export), plus, beyond the N newest of the rest (by
        publication), the older ones. Never removed: current, previous, a generation that stopped being current
        (or was published) less than the grace period ago, one that a live mount namespace has mounted
        (/proc/*/mountinfo). Removal renames into .trash under the writers' lock, then deletes without following
        symlinks or crossing mounts. Also finishes .trash leftovers and prunes stale retirement markers.
        See docs/gc.md. Exit 1 when something could not be deleted (a mount inside a generation, or one the kernel
        cannot tell); it stays in .trash. A generation that cannot be moved into .trash at all (renameat fails with
        EXDEV: a directory of an overlayfs lower layer) is kept whole, with a warning (exit 0).
          --dry-run          decide and print, change nothing
          --keep N           generations kept per name beyond current and previous (default 2)
          --grace DURATION   seconds, or a number with s, m, h or d (default 10m; 0 disables)
          --json             print the result as JSON (its shape: docs/cli.md, "JSON output")
        """

    static let rootUse = RootUse.required
    static let syntax = CommandSyntax(
        options: [.flag("--dry-run"), .flag("--json"), .value("--keep", .word), .value("--grace", .word)])

    static func run(_ arguments: inout Arguments, _ context: CommandContext) throws -> ExitCode {
        let json = arguments.flag("--json")
        var options = GCOptions(now: context.gcNow)
        options.dryRun = arguments.flag("--dry-run")
        options.healHeaderCaches = true
        if let keep = try arguments.value("--keep") {
            guard let value = Int(keep), value >= 0 else {
                throw UsageError("--keep needs a number >= 0, not '\(keep)'")
            }
            options.keep = value
        }
        if let grace = try arguments.value("--grace") {
            options.graceNanoseconds = try parseDuration(grace)
        }
        if let extra = try arguments.positionals().first { throw UsageError("unexpected argument '\(extra)'") }
        try context.checkRoot()
        let report = try context.withWriter { writer in try pass(writer, options, context) }
        if json {
            context.console.out(JSONOutput.render(Output(report)))
        } else {
            context.console.out(render(text: report))
            for leftover in report.leftovers { context.err("left \(leftover)") }
            for kept in report.unmovable { context.warn("kept \(kept)") }
        }
        return report.leftovers.isEmpty ? .success : .failure
    }

    /// One gc pass with snapd's sources under `writer`'s lock, the snap mount dir resolved as `refresh` resolves it
    /// (the option, else the distribution's default).
    static func pass(
        _ writer: StoreWriter, _ options: GCOptions, _ context: CommandContext, only: Set<String>? = nil
    ) throws(StoreError) -> GCReport {
        try GenerationSources.collectGarbage(
            with: writer, snapMountDir: context.snapdSettings().settings.snapMountDir, options: options, only: only)
    }

    /// `90` (seconds), `90s`, `15m`, `2h`, `7d` → nanoseconds.
    static func parseDuration(_ text: String) throws(UsageError) -> Int64 {
        let units: [Character: Int64] = ["s": 1, "m": 60, "h": 3600, "d": 86400]
        var digits = Substring(text)
        var multiplier: Int64 = 1
        if let last = text.last, let unit = units[last] {
            digits = digits.dropLast()
            multiplier = unit
        }
        guard !digits.isEmpty, digits.allSatisfy(\.isASCII), let value = Int64(digits), value >= 0,
            value <= Int64.max / 1_000_000_000 / multiplier
        else {
            throw UsageError("--grace needs seconds or a number with s, m, h or d (like 10m), not '\(text)'")
        }
        return value * multiplier * 1_000_000_000
    }

    /// One line per `.trash` leftover finished, per decision (removals first) and for pruned markers, built in
    /// one string (a host of 1,000 snaps has 3,000 decisions).
    static func render(text report: GCReport) -> String {
        var text = ""
        text.reserveCapacity(64 + report.decisions.count * 80)
        for path in report.trashFinished {
            text += report.dryRun ? "would finish " : "finished "
            text += path
            text += "\n"
        }
        let remove = report.dryRun ? "would remove " : "removed "
        for decision in report.decisions where decision.remove { line(remove, decision, &text) }
        for decision in report.decisions where !decision.remove { line("kept ", decision, &text) }
        if !report.prunedMarkers.isEmpty {
            text += "\(report.dryRun ? "would prune" : "pruned") \(report.prunedMarkers.count) retirement marker(s)\n"
        }
        if report.decisions.isEmpty && report.trashFinished.isEmpty { text += "nothing exported yet\n" }
        return text
    }

    /// `<verb>name/generation: reasons` and a newline.
    private static func line(_ verb: String, _ decision: GCDecision, _ text: inout String) {
        text += verb
        text += decision.name
        text += "/"
        text += decision.generation
        text += ": "
        describe(decision.reasons, to: &text)
        text += "\n"
    }

    static func describe(_ reasons: [GCReason]) -> String {
        var text = ""
        describe(reasons, to: &text)
        return text
    }

    /// The reasons, `; ` between them, or `not a candidate`.
    static func describe(_ reasons: [GCReason], to text: inout String) {
        if reasons.isEmpty { text += "not a candidate" }
        for (index, reason) in reasons.enumerated() {
            if index > 0 { text += "; " }
            reason.write(to: &text)
        }
    }

    /// `--json` (and the `gc` member of refresh's): `{"dry_run", "kept", "left", "namespaces_read",
    /// "pruned_markers", "removed", "trash_finished", "unreadable_pids"}`; `kept` and `removed` hold
    /// `{"generation", "name", "published", "reasons": [{"code", "holders"?, "text"}]}`.
    struct Output: Encodable, Sendable {
        struct Decision: Encodable, Sendable {
            var name: String
            var generation: String
            @Nullable var published: Int64?
            var reasons: [Reason]
        }
        struct Reason: Encodable, Sendable {
            var code: String
            var text: String
            /// Only for `in-use`.
            var holders: [InUseCommand.Holder]?
        }
        var dryRun: Bool
        var removed: [Decision]
        var kept: [Decision]
        var prunedMarkers: [String]
        var trashFinished: [String]
        var left: [JSONOutput.Leftover]
        var namespacesRead: Int
        var unreadablePids: [Int32]

        init(_ report: GCReport) {
            func decision(_ decision: GCDecision) -> Decision {
                Decision(
                    name: decision.name, generation: decision.generation, published: decision.published,
                    reasons: decision.reasons.map { reason in
                        var holders: [InUseCommand.Holder]?
                        if case .inUse(let list) = reason { holders = list.map(InUseCommand.Holder.init) }
                        return Reason(code: reason.code, text: reason.description, holders: holders)
                    })
            }
            dryRun = report.dryRun
            removed = report.decisions.filter(\.remove).map(decision)
            kept = report.decisions.filter { !$0.remove }.map(decision)
            prunedMarkers = report.prunedMarkers
            trashFinished = report.trashFinished
            left = report.leftovers.map(JSONOutput.Leftover.init)
            namespacesRead = report.scan.namespacesRead
            unreadablePids = report.scan.unreadable
        }
    }
}
