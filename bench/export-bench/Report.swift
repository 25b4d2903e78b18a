/// Everything one run measured, and its renderings: the human table, Markdown, JSON.
struct Report {
    var machine: Machine
    var scale: Options.Scale
    var build: String
    var counts: Counts
    var filesystems: [(label: String, type: String)] = []
    var workingFilesystem = ""
    var notes: [String] = []
    var switching: [(filesystem: String, samples: [String: Samples])] = []
    var scaling: [Int: Samples] = [:]
    /// The raw C loop with a marker in a directory inside each size's name directory.
    var scalingControl: [Int: Samples] = [:]
    var publish: (store: Samples, raw: Samples)?
    var readers: [(filesystem: String, results: [String: ReaderBenchmark.Result])] = []
    var cli: [CommandCost] = []
    /// Item 5: the kernel's durable flip (the C loop) on the same filesystem, in the same run.
    var cliDurableFlip: Samples?
    var gc: GCBenchmark.Result?
    var union: UnionBenchmark.Result?
    var scaleHost: ScaleBenchmark.Result?
    var elapsedSeconds = 0.0

    // MARK: headline figures

    /// The switch samples of the working directory's filesystem (the headline), else the first measured.
    var headlineSwitch: [String: Samples]? {
        (switching.first { $0.filesystem == workingFilesystem } ?? switching.first)?.samples
    }

    func switchRatio(_ suffix: String, over baseline: String = "raw") -> Double? {
        guard let samples = headlineSwitch, let store = samples["store" + suffix], let raw = samples[baseline + suffix]
        else { return nil }
        return ratio(store.median, raw.median)
    }

    var scalingRatio: Double? { Self.largestOverOne(scaling) }
    var scalingControlRatio: Double? { Self.largestOverOne(scalingControl) }

    static func largestOverOne(_ samples: [Int: Samples]) -> Double? {
        guard let small = samples[1], let largest = samples.keys.max(), let large = samples[largest] else { return nil }
        return ratio(large.median, small.median)
    }

    var publishRatio: Double? { publish.map { ratio($0.store.median, $0.raw.median) } }

    func cost(_ prefix: String) -> CommandCost? { cli.first { $0.command.hasPrefix(prefix) } }

    /// Item 5: (median `switch` − median kernel durable flip) over the median JSON floor: what the process costs
    /// beyond the flip no program avoids.
    var switchBeyondFlipRatio: Double? {
        guard let flip = cliDurableFlip.flatMap({ $0.sorted.isEmpty ? nil : Double($0.median) / 1e6 }),
            let switchCost = Self.milliseconds(cost(CLILabel.switchCommand)),
            let floor = Self.milliseconds(cost(CLILabel.floorJSON)), floor > 0
        else { return nil }
        return (switchCost - flip) / floor
    }

    /// Median wall of `label` over median wall of `floor` (item 5), nil when either was not measured.
    func cliRatio(_ label: String, over floor: String) -> Double? {
        guard let top = Self.milliseconds(cost(label)), let bottom = Self.milliseconds(cost(floor)) else { return nil }
        return top / bottom
    }

    static func milliseconds(_ cost: CommandCost?) -> Double? {
        guard let cost, cost.unavailable == nil, cost.wall.count > 0 else { return nil }
        return Double(cost.wall.median) / 1e6
    }

    var peakRSS: Int? {
        let measured = cli.filter { $0.command.hasPrefix("snap-export") && $0.unavailable == nil }
        return measured.isEmpty ? nil : measured.map { Int($0.peakRSSKiB.maximum) }.max()
    }

    /// Reader results summed over every filesystem.
    var readerTotals: [String: ReaderBenchmark.Result] {
        var totals: [String: ReaderBenchmark.Result] = [:]
        for (_, results) in readers {
            for (method, result) in results {
                var total =
                    totals[method] ?? .init(lookups: 0, failures: 0, passes: 0, mixed: 0, flips: 0, nanoseconds: 0)
                total.lookups += result.lookups
                total.failures += result.failures
                total.passes += result.passes
                total.mixed += result.mixed
                total.flips += result.flips
                total.nanoseconds += result.nanoseconds
                totals[method] = total
            }
        }
        return totals
    }

    // MARK: table

    func table(markdown: Bool) -> String {
        var out: [String] = []
        func section(_ title: String) { out.append(markdown ? "\n#### " + title + "\n" : "\n== " + title) }
        func optional(_ value: Double?, _ digits: Int = 2) -> String { value.map { fixed($0, digits) } ?? "n/a" }
        let fsList = filesystems.map(\.label).joined(separator: ", ")
        out.append(
            "export-bench: \(build) build, \(scale.rawValue) run, \(fixed(elapsedSeconds, 0)) s. Machine: "
                + "\(machine.cores) cores (\(machine.cpu)), \(machine.memoryMiB) MiB, Linux \(machine.kernel), "
                + "\(machine.root ? "root" : "not root"). Working directory: \(workingFilesystem). "
                + "Filesystems: \(fsList).")

        if !switching.isEmpty {
            section("1. switch latency (per flip; ratio = median / raw median of the same fsync mode)")
            var rows: [[String]] = []
            for (filesystem, samples) in switching {
                for method in SwitchBenchmark.methods {
                    guard let s = samples[method] else { continue }
                    let raw = samples[method.hasSuffix("fsync") ? "raw fsync" : "raw"]
                    rows.append([
                        filesystem, method, String(s.count), human(s.median), human(s.p99), human(s.maximum),
                        raw.map { fixed(ratio(s.median, $0.median), 2) } ?? "",
                    ])
                }
            }
            out.append(
                render(["filesystem", "method", "flips", "p50", "p99", "max", "ratio"], rows, markdown))
            out.append(
                (markdown ? "\n" : "")
                    + "store/raw on \(workingFilesystem): \(optional(switchRatio(""))) without fsync "
                    + "(goal ≤ 1.5), \(optional(switchRatio(" fsync"))) with fsync (goal ≤ 1.1); "
                    + "store/raw+marker: \(optional(switchRatio("", over: "raw+marker"))) and "
                    + "\(optional(switchRatio(" fsync", over: "raw+marker")))")
        }
        if !scaling.isEmpty {
            section("2. switch latency against generation size (\(workingFilesystem), no fsync)")
            let base = scaling[1]?.median ?? 0
            let controlBase = scalingControl[1]?.median ?? 0
            let rows = scaling.keys.sorted().compactMap { size -> [String]? in
                guard let s = scaling[size] else { return nil }
                let c = scalingControl[size] ?? Samples([])
                return [
                    String(size), String(s.count), human(s.median), human(s.p99), fixed(ratio(s.median, base), 2),
                    human(c.median), fixed(ratio(c.median, controlBase), 2), fixed(ratio(s.median, c.median), 2),
                ]
            }
            out.append(
                render(
                    [
                        "entries", "flips", "store p50", "store p99", "store ratio to 1", "raw+marker p50",
                        "raw+marker ratio to 1", "store/raw+marker",
                    ], rows, markdown))
            out.append(
                (markdown ? "\n" : "") + "largest/1: store \(optional(scalingRatio)) (goal ≤ 1.2), "
                    + "raw+marker control in the same directory \(optional(scalingControlRatio))")
        }
        if let publish {
            section("3. publish throughput (\(workingFilesystem), \(counts.publishEntries) entries, synced)")
            let entries = Double(counts.publishEntries)
            let rows = [("store publish", publish.store), ("raw symlinkat loop + fsync", publish.raw)].map {
                [
                    $0.0, String($0.1.count), human($0.1.median),
                    fixed(entries / (Double($0.1.median) / 1e9), 0),
                ]
            }
            out.append(render(["method", "runs", "median time", "entries/s"], rows, markdown))
            out.append((markdown ? "\n" : "") + "store/raw time: \(optional(publishRatio)) (goal ≤ 2)")
        }
        if let union {
            section(
                "7. man union (\(workingFilesystem), \(union.snaps) snaps × \(counts.unionPages) pages, "
                    + "\(union.entries) entries)")
            let rows = [
                ("refresh of one snap, same page names", union.unchangedRefresh),
                ("refresh's check, nothing to do", union.check), ("install one more snap: link", union.link),
                ("install: union republish (publish with reuse + switch)", union.republish),
                ("raw linkat/symlinkat loop + fsyncs + rename", union.raw),
            ].map { [$0.0, String($0.1.count), human($0.1.median)] }
            out.append(render(["what", "runs", "median time"], rows, markdown))
            out.append(
                (markdown ? "\n" : "")
                    + "republish/raw: \(fixed(union.ratio, 2)) (goal ≤ 1.3); @man writes by same-name refreshes: "
                    + "\(union.unchangedRefreshManWrites) (goal 0); readers: \(union.lookups) lookups, "
                    + "\(union.failures) failed; initial build \(human(union.buildNanoseconds))")
        }
        if let scaleHost { out += scaleTable(scaleHost, markdown: markdown) }
        if !readers.isEmpty {
            section("4. readers during flips (2 reader threads, writer flipping without fsync)")
            var rows: [[String]] = []
            for (filesystem, results) in readers {
                for method in ReaderBenchmark.methods {
                    guard let r = results[method] else { continue }
                    rows.append([
                        filesystem, method, String(r.lookups), String(r.failures), String(r.passes), String(r.mixed),
                        String(r.flips), fixed(Double(r.nanoseconds) / 1e9, 1) + " s",
                    ])
                }
            }
            out.append(
                render(
                    ["filesystem", "method", "lookups", "failures", "set passes", "mixed", "flips", "time"], rows,
                    markdown))
        }
        if !cli.isEmpty {
            section("5. whole-process cost (\(workingFilesystem); spawn to reap)")
            let rows = cli.map { cost -> [String] in
                if let reason = cost.unavailable { return [cost.command, "0", reason, "", "", "", ""] }
                func times(_ floor: String) -> String {
                    cliRatio(cost.command, over: floor).map { fixed($0, 2) + "×" } ?? "—"
                }
                return [
                    cost.command, String(cost.wall.count), human(cost.wall.median), human(cost.wall.p99),
                    times(CLILabel.trueCommand), times(CLILabel.floorJSON), String(cost.peakRSSKiB.median) + " KiB",
                ]
            }
            out.append(
                render(
                    ["command", "runs", "median wall", "p99 wall", "× /bin/true", "× JSON floor", "peak RSS"], rows,
                    markdown))
            if let source = cli.first(where: { $0.unavailable == nil })?.rssSource {
                out.append((markdown ? "\n" : "") + "peak RSS (median of the runs) measured with " + source)
            }
            if let flip = cliDurableFlip, let beyond = switchBeyondFlipRatio {
                out.append(
                    (markdown ? "\n" : "") + "the kernel's durable flip on this filesystem (raw C loop, one per round): "
                        + human(flip.median) + "; switch less that flip: " + fixed(beyond, 2) + "× the JSON floor")
            }
        }
        if let gc {
            section("6. gc --dry-run (\(workingFilesystem), \(gc.generations) generations)")
            var rows: [[String]] = []
            func row(_ label: String, _ cost: CommandCost?) {
                guard let cost else { return }
                if let reason = cost.unavailable {
                    rows.append([label, "0", reason])
                } else {
                    rows.append([label, String(cost.wall.count), human(cost.wall.median)])
                }
            }
            row("no namespaces", gc.plain)
            row("\(gc.processes) processes in \(gc.namespaces) mount namespaces", gc.withNamespaces)
            out.append(render(["scenario", "runs", "median wall"], rows, markdown))
            if let note = gc.namespaceNote { out.append("namespaces: " + note) }
        }
        if !notes.isEmpty { out.append((markdown ? "\n" : "\n") + "Not measured: " + notes.joined(separator: "; ")) }
        return out.joined(separator: "\n") + "\n"
    }

    func render(_ header: [String], _ rows: [[String]], _ markdown: Bool) -> String {
        if markdown {
            let lines =
                ["| " + header.joined(separator: " | ") + " |", "|" + header.map { _ in "---|" }.joined()]
                + rows.map { "| " + $0.joined(separator: " | ") + " |" }
            return lines.joined(separator: "\n")
        }
        var widths = header.map(\.count)
        for row in rows {
            for (index, cell) in row.enumerated() where index < widths.count {
                widths[index] = max(widths[index], cell.count)
            }
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { $0.element + String(repeating: " ", count: widths[$0.offset] - $0.element.count) }
                .joined(separator: "  ")
        }
        return ([line(header)] + rows.map(line)).joined(separator: "\n")
    }

    // MARK: JSON

    static func number(_ value: Double?) -> JSON { value.map(JSON.number) ?? .null }

    static func distribution(_ samples: Samples) -> JSON {
        .object([
            ("samples", .count(samples.count)), ("min_ns", .count(samples.minimum)),
            ("p25_ns", .count(samples.percentile(0.25))),
            ("p50_ns", .count(samples.median)), ("p75_ns", .count(samples.percentile(0.75))),
            ("p99_ns", .count(samples.p99)), ("max_ns", .count(samples.maximum)),
        ])
    }

    static func command(_ cost: CommandCost) -> JSON {
        var members: [(String, JSON)] = [("command", .string(cost.command))]
        if let reason = cost.unavailable {
            members.append(("unavailable", .string(reason)))
        } else {
            members += [
                ("runs", .count(cost.wall.count)), ("median_ms", .number(Double(cost.wall.median) / 1e6)),
                ("p99_ms", .number(Double(cost.wall.p99) / 1e6)),
                ("peak_rss_kib_median", .count(cost.peakRSSKiB.median)),
                ("peak_rss_kib_max", .count(cost.peakRSSKiB.maximum)),
                ("peak_rss_from", .string(cost.rssSource)),
            ]
        }
        return .object(members)
    }

    static func readers(_ results: [String: ReaderBenchmark.Result]) -> JSON {
        .object(
            ReaderBenchmark.methods.compactMap { method in
                guard let r = results[method] else { return nil }
                return (
                    method,
                    .object([
                        ("lookups", .count(r.lookups)), ("failures", .count(r.failures)), ("mixed", .count(r.mixed)),
                        ("passes", .count(r.passes)), ("flips", .count(r.flips)),
                        ("seconds", .number(Double(r.nanoseconds) / 1e9)),
                    ])
                )
            })
    }

    func json() -> JSON {
        let headline = headlineSwitch
        var members: [(String, JSON)] = [
            ("switch_ratio_nosync", Self.number(switchRatio(""))),
            ("switch_ratio_fsync", Self.number(switchRatio(" fsync"))),
            ("switch_p50_ns", headline?["store"].map { .count($0.median) } ?? .null),
            ("switch_p99_ns", headline?["store"].map { .count($0.p99) } ?? .null),
            ("switch_fsync_p50_ns", headline?["store fsync"].map { .count($0.median) } ?? .null),
            ("switch_fsync_p99_ns", headline?["store fsync"].map { .count($0.p99) } ?? .null),
            ("switch_marker_ratio_nosync", Self.number(switchRatio("", over: "raw+marker"))),
            ("switch_marker_ratio_fsync", Self.number(switchRatio(" fsync", over: "raw+marker"))),
            ("scaling_ratio", Self.number(scalingRatio)),
            ("scaling_largest_entries", scaling.keys.max().map { .count($0) } ?? .null),
            ("scaling_control_ratio", Self.number(scalingControlRatio)),
            ("publish_ratio", Self.number(publishRatio)),
            (
                "publish_entries_per_s",
                publish.map { .number(Double(counts.publishEntries) / (Double($0.store.median) / 1e9)) } ?? .null
            ),
            (
                "publish_raw_entries_per_s",
                publish.map { .number(Double(counts.publishEntries) / (Double($0.raw.median) / 1e9)) } ?? .null
            ),
            ("cli_refresh_noop_ms", Self.number(Self.milliseconds(cost("snap-export refresh")))),
            ("cli_switch_ms", Self.number(Self.milliseconds(cost("snap-export switch")))),
            ("cli_true_ms", Self.number(Self.milliseconds(cost(CLILabel.trueCommand)))),
            ("cli_floor_plain_ms", Self.number(Self.milliseconds(cost(CLILabel.floorPlain)))),
            ("cli_floor_json_ms", Self.number(Self.milliseconds(cost(CLILabel.floorJSON)))),
            ("cli_switch_floor_ratio", Self.number(cliRatio(CLILabel.switchCommand, over: CLILabel.floorJSON))),
            ("cli_durable_flip_ms", Self.number(cliDurableFlip.flatMap { $0.sorted.isEmpty ? nil : Double($0.median) / 1e6 })),
            ("cli_switch_beyond_flip_floor_ratio", Self.number(switchBeyondFlipRatio)),
            ("cli_refresh_floor_ratio", Self.number(cliRatio(CLILabel.refresh, over: CLILabel.floorJSON))),
            ("cli_floor_json_true_ratio", Self.number(cliRatio(CLILabel.floorJSON, over: CLILabel.trueCommand))),
            ("cli_floor_plain_true_ratio", Self.number(cliRatio(CLILabel.floorPlain, over: CLILabel.trueCommand))),
            ("cli_peak_rss_kib", peakRSS.map { .count($0) } ?? .null),
            ("gc_dry_run_ms", Self.number(Self.milliseconds(gc?.plain))),
            ("gc_dry_run_namespaces_ms", Self.number(Self.milliseconds(gc?.withNamespaces))),
            ("readers", Self.readers(readerTotals)),
            ("union_republish_ratio", union.map { .number($0.ratio) } ?? .null),
            ("union_entries", union.map { .count($0.entries) } ?? .null),
            ("union_same_name_refresh_man_writes", union.map { .count($0.unchangedRefreshManWrites) } ?? .null),
            ("union_republish_p50_ns", union.map { .count($0.republish.median) } ?? .null),
            ("union_raw_p50_ns", union.map { .count($0.raw.median) } ?? .null),
            ("union_link_p50_ns", union.map { .count($0.link.median) } ?? .null),
            ("union_check_p50_ns", union.map { .count($0.check.median) } ?? .null),
            ("union_reader_lookups", union.map { .count(Int($0.lookups)) } ?? .null),
            ("union_reader_failures", union.map { .count(Int($0.failures)) } ?? .null),
        ]
        members += scaleHeadline()
        members.append(
            (
                "machine",
                .object([
                    ("cores", .count(machine.cores)), ("cpu", .string(machine.cpu)),
                    ("kernel", .string(machine.kernel)),
                    ("memory_mib", .count(machine.memoryMiB)), ("root", .bool(machine.root)),
                    ("working_filesystem", .string(workingFilesystem)),
                    (
                        "filesystems",
                        .array(filesystems.map { .object([("label", .string($0.label)), ("type", .string($0.type))]) })
                    ),
                ])
            ))
        members += [
            ("build", .string(build)), ("scale", .string(scale.rawValue)), ("elapsed_s", .number(elapsedSeconds)),
            (
                "switch",
                .array(
                    switching.map { entry in
                        .object(
                            [("filesystem", .string(entry.filesystem))]
                                + SwitchBenchmark.methods.compactMap { method in
                                    entry.samples[method].map { (method, Self.distribution($0)) }
                                })
                    })
            ),
            (
                "scaling",
                .array(
                    scaling.keys.sorted().compactMap { size in
                        scaling[size].map {
                            .object([
                                ("entries", .count(size)), ("switch", Self.distribution($0)),
                                ("raw_marker_control", scalingControl[size].map(Self.distribution) ?? .null),
                            ])
                        }
                    })
            ),
            (
                "publish",
                publish.map {
                    .object([
                        ("entries", .count(counts.publishEntries)), ("store", Self.distribution($0.store)),
                        ("raw", Self.distribution($0.raw)),
                    ])
                } ?? .null
            ),
            (
                "readers_by_filesystem",
                .array(
                    readers.map {
                        .object([("filesystem", .string($0.filesystem)), ("methods", Self.readers($0.results))])
                    })
            ),
            ("cli", .array(cli.map(Self.command))),
            (
                "gc",
                gc.map { gc in
                    .object([
                        ("generations", .count(gc.generations)), ("setup_ms", .number(gc.setupMilliseconds)),
                        ("plain", Self.command(gc.plain)),
                        ("with_namespaces", gc.withNamespaces.map(Self.command) ?? .null),
                        ("namespaces", .count(gc.namespaces)), ("processes", .count(gc.processes)),
                        ("namespace_note", gc.namespaceNote.map(JSON.string) ?? .null),
                    ])
                } ?? .null
            ),
            ("scale", scaleHost.map(Self.scaleJSON) ?? .null),
            ("notes", .array(notes.map(JSON.string))),
        ]
        return .object(members)
    }
}
