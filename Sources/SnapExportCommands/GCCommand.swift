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
        See docs/gc.md. Exit 1 when something could not be deleted (a mount inside a generation).
          --dry-run          decide and print, change nothing
          --keep N           generations kept per name beyond current and previous (default 2)
          --grace DURATION   seconds, or a number with s, m, h or d (default 10m; 0 disables)
          --json             {"dry_run", "removed": [...], "kept": [...], "pruned_markers", "trash_finished",
                              "left", "namespaces_read", "unreadable_pids"}
        """

    static func run(_ arguments: inout Arguments, _ context: CommandContext) throws -> ExitCode {
        let json = arguments.flag("--json")
        var options = GCOptions()
        options.dryRun = arguments.flag("--dry-run")
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
        let report = try context.withWriter { writer in try pass(writer, options, context) }
        context.console.out(json ? self.json(report).rendered() : render(text: report))
        return report.leftovers.isEmpty ? .success : .failure
    }

    /// One gc pass with snapd's sources under `writer`'s lock, the snap mount dir resolved as `refresh` resolves it
    /// (the option, else the distribution's default).
    static func pass(_ writer: StoreWriter, _ options: GCOptions, _ context: CommandContext) throws(StoreError)
        -> GCReport
    {
        try GenerationSources.collectGarbage(
            with: writer, snapMountDir: context.snapdSettings().settings.snapMountDir, options: options)
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

    static func render(text report: GCReport) -> String {
        var lines: [String] = []
        let remove = report.dryRun ? "would remove" : "removed"
        for path in report.trashFinished { lines.append("\(report.dryRun ? "would finish" : "finished") \(path)") }
        for decision in report.decisions where decision.remove {
            lines.append("\(remove) \(decision.name)/\(decision.generation): \(describe(decision.reasons))")
        }
        for decision in report.decisions where !decision.remove {
            lines.append("kept \(decision.name)/\(decision.generation): \(describe(decision.reasons))")
        }
        if !report.prunedMarkers.isEmpty {
            lines.append(
                "\(report.dryRun ? "would prune" : "pruned") \(report.prunedMarkers.count) retirement marker(s)")
        }
        for leftover in report.leftovers { lines.append("left \(leftover)") }
        if report.decisions.isEmpty && report.trashFinished.isEmpty { lines.append("nothing exported yet") }
        return lines.joined(separator: "\n") + "\n"
    }

    static func describe(_ reasons: [GCReason]) -> String {
        reasons.isEmpty ? "not a candidate" : reasons.map(\.description).joined(separator: "; ")
    }

    static func json(_ report: GCReport) -> JSONValue {
        func entry(_ decision: GCDecision) -> JSONValue {
            .object([
                ("name", .string(decision.name)), ("generation", .string(decision.generation)),
                ("published", decision.published.map { .int($0) } ?? .null),
                ("reasons", .array(decision.reasons.map(reason))),
            ])
        }
        return JSONValue.object([
            ("dry_run", .bool(report.dryRun)),
            ("removed", .array(report.decisions.filter(\.remove).map(entry))),
            ("kept", .array(report.decisions.filter { !$0.remove }.map(entry))),
            ("pruned_markers", .array(report.prunedMarkers.map { .string($0) })),
            ("trash_finished", .array(report.trashFinished.map { .string($0) })),
            (
                "left",
                .array(report.leftovers.map { .object([("path", .string($0.path)), ("reason", .string($0.reason))]) })
            ),
            ("namespaces_read", .int(report.scan.namespacesRead)),
            ("unreadable_pids", .array(report.scan.unreadable.map { .int(Int64($0)) })),
        ])
    }

    static func reason(_ reason: GCReason) -> JSONValue {
        var members: [(String, JSONValue)] = [("code", .string(reason.code)), ("text", .string(reason.description))]
        if case .inUse(let holders) = reason {
            members.append(("holders", .array(holders.map(InUseCommand.holder))))
        }
        return .object(members)
    }
}
