import Glibc

/// Item 9's figures in the report: the table, the headline JSON keys, the per-size JSON, the chart.
extension ScaleBenchmark.Result {
    /// The command labels with their JSON slugs.
    static let slugs: [(label: String, slug: String)] = [
        (ScaleLabel.refresh, "refresh_noop"), (ScaleLabel.refreshNoGC, "refresh_no_gc"),
        (ScaleLabel.gcDryRun, "gc_dry_run"), (ScaleLabel.statusJSON, "status_json"),
        (ScaleLabel.refreshAfterState, "refresh_after_state"),
    ]

    var sorted: [ScaleBenchmark.Size] { sizes.sorted { $0.instances < $1.instances } }
    /// The size the goals are stated at: 1,000 instances in the full run (the largest not above it).
    var top: ScaleBenchmark.Size? { sorted.last { $0.instances <= 1_000 } ?? sorted.last }
    /// The size below `top` (100 in the full run): growth = top / middle.
    var middle: ScaleBenchmark.Size? {
        guard let top, let index = sorted.firstIndex(where: { $0.instances == top.instances }), index > 0 else {
            return nil
        }
        return sorted[index - 1]
    }
    /// The smallest size (10 in the full run).
    var bottom: ScaleBenchmark.Size? { sorted.first }

    static func over(_ a: ScaleBenchmark.Size?, _ b: ScaleBenchmark.Size?, _ label: String) -> Double? {
        guard let x = a?.median(label), let y = b?.median(label), y > 0 else { return nil }
        return ratio(x, y)
    }

    func growth(_ label: String) -> Double? { Self.over(top, middle, label) }
    func growthFromSmallest(_ label: String) -> Double? { Self.over(top, bottom, label) }

    /// The least a refresh with nothing to do at `top` can cost over itself at `bottom`: the refresh at `bottom`
    /// plus the raw link reads at `top` that no refresh can skip (one `readlinkat` of each snap's `current`), over
    /// the refresh at `bottom`.
    var refreshFloorFromSmallest: Double? {
        guard let refresh = bottom?.median(ScaleLabel.refresh), refresh > 0, let top, top.currentLinks.count > 0,
            let bottom, bottom.currentLinks.count > 0
        else { return nil }
        let extra =
            top.currentLinks.median > bottom.currentLinks.median
            ? top.currentLinks.median - bottom.currentLinks.median : 0
        return ratio(refresh + extra, refresh)
    }

    /// Median peak RSS of `label` at `top` over the same at `bottom`.
    func rssGrowth(_ label: String) -> Double? {
        guard let a = top?.command(label), let b = bottom?.command(label), a.unavailable == nil, b.unavailable == nil,
            a.peakRSSKiB.count > 0, b.peakRSSKiB.count > 0
        else { return nil }
        return ratio(a.peakRSSKiB.median, b.peakRSSKiB.median)
    }

    /// The status name's peak RSS with the most entries over the same with the fewest.
    var statusRSSRatio: Double? {
        let measured = status.filter { $0.cost.unavailable == nil && $0.cost.peakRSSKiB.count > 0 }
            .sorted { $0.entries < $1.entries }
        guard let small = measured.first, let large = measured.last, measured.count > 1 else { return nil }
        return ratio(large.cost.peakRSSKiB.median, small.cost.peakRSSKiB.median)
    }
}

extension Report {
    static func ms(_ nanoseconds: UInt64) -> String { fixed(Double(nanoseconds) / 1e6, 1) + " ms" }
    static func mib(_ kib: UInt64) -> String { fixed(Double(kib) / 1024, 1) + " MiB" }

    func scaleTable(_ result: ScaleBenchmark.Result, markdown: Bool) -> [String] {
        var out: [String] = []
        func optional(_ value: Double?) -> String { value.map { fixed($0, 2) } ?? "n/a" }
        out.append(
            (markdown ? "\n#### " : "\n== ")
                + "9. a host with many snaps (\(result.filesystem); whole processes, medians; "
                + "\(counts.scaleRuns) runs each)" + (markdown ? "\n" : ""))
        var rows: [[String]] = []
        for size in result.sorted {
            for (label, _) in ScaleBenchmark.Result.slugs {
                guard let cost = size.command(label) else { continue }
                if let reason = cost.unavailable {
                    rows.append([String(size.instances), label, reason, "", "", ""])
                    continue
                }
                rows.append([
                    String(size.instances), label, Self.ms(cost.wall.median), Self.ms(cost.wall.p99),
                    Self.mib(cost.peakRSSKiB.median),
                    label == ScaleLabel.gcDryRun || label == ScaleLabel.statusJSON
                        ? optional(size.rawRatio(label)) + "×" : "",
                ])
            }
            rows.append([
                String(size.instances), "raw C read of every .manifest.json", Self.ms(size.raw.median),
                Self.ms(size.raw.p99), "",
                "\(size.generations) generations, \(size.entries) snap entries, "
                    + "\(fixed(Double(size.manifestBytes) / 1e6, 1)) MB; host built in \(fixed(size.setupSeconds, 1)) s",
            ])
            if size.currentLinks.count > 0 {
                rows.append([
                    String(size.instances), "raw C readlinkat of every <smd>/<snap>/current",
                    Self.ms(size.currentLinks.median), Self.ms(size.currentLinks.p99), "", "\(size.links) links",
                ])
            }
        }
        out.append(render(["instances", "command", "median", "p99", "peak RSS", "× raw read"], rows, markdown))
        let top = result.top?.instances ?? 0
        let middle = result.middle?.instances ?? 0
        let bottom = result.bottom?.instances ?? 0
        let growths = ScaleBenchmark.Result.slugs.map { "\($0.label) \(optional(result.growth($0.label)))" }
        out.append(
            (markdown ? "\n" : "") + "growth \(top)/\(middle): " + growths.joined(separator: ", ") + "; refresh "
                + "\(top)/\(bottom): \(optional(result.growthFromSmallest(ScaleLabel.refresh))) (goal ≤ 1.5; floor "
                + "\(optional(result.refreshFloorFromSmallest)): the refresh at \(bottom) plus the link reads at \(top)); "
                + "refresh peak RSS \(top)/\(bottom): \(optional(result.rssGrowth(ScaleLabel.refresh))) (goal flat); "
                + "at \(top): gc --dry-run / raw \(optional(result.top?.rawRatio(ScaleLabel.gcDryRun))), "
                + "status --json / raw \(optional(result.top?.rawRatio(ScaleLabel.statusJSON))) (goals ≤ 2)")
        if let ns = result.namespaces {
            var nsRows: [[String]] = []
            for cost in [ns.inUse, ns.gcCandidate] {
                if let reason = cost.unavailable {
                    nsRows.append([cost.command, reason, "", "", ""])
                } else {
                    nsRows.append([
                        cost.command, Self.ms(cost.wall.median), Self.ms(cost.wall.p99),
                        Self.mib(cost.peakRSSKiB.median), fixed(ratio(cost.wall.median, ns.raw.median), 2) + "×",
                    ])
                }
            }
            nsRows.append([
                "raw C read of \(ns.files) mountinfo files (1 MiB reads)", Self.ms(ns.raw.median), Self.ms(ns.raw.p99),
                "", "\(fixed(Double(ns.bytes) / 1e6, 1)) MB",
            ])
            out.append(
                (markdown ? "\n" : "") + "\(ns.namespaces) mount namespaces on the host of \(ns.instances) instances, "
                    + "each inheriting \(ns.mountsPerNamespace) bind mounts and holding one generation "
                    + "(\(ns.lines) mountinfo lines each; made in \(fixed(ns.setupSeconds, 1)) s):"
                    + (markdown ? "\n" : ""))
            out.append(render(["command", "median", "p99", "peak RSS", "× raw read"], nsRows, markdown))
            out.append(
                (markdown ? "\n" : "") + "in-use / raw mountinfo read: \(optional(ns.inUseRatio)) (goal ≤ 1.3)")
        }
        if let note = result.namespaceNote { out.append((markdown ? "\n" : "") + "namespaces: " + note) }
        if !result.status.isEmpty {
            let statusRows = result.status.map { status -> [String] in
                let cost = status.cost
                if let reason = cost.unavailable {
                    return ["\(status.generations) × \(status.entries)", reason, "", ""]
                }
                return [
                    "\(status.generations) × \(status.entries)", Self.ms(cost.wall.median),
                    Self.mib(cost.peakRSSKiB.median), fixed(status.setupSeconds, 1) + " s",
                ]
            }
            out.append((markdown ? "\n" : "") + "status of one name:" + (markdown ? "\n" : ""))
            out.append(render(["generations × entries", "median", "peak RSS", "set-up"], statusRows, markdown))
            out.append(
                (markdown ? "\n" : "") + "status peak RSS, most entries / fewest: \(optional(result.statusRSSRatio)) "
                    + "(goal: independent of the entries, ≈ 1)")
        }
        return out
    }

    /// Item 9's headline keys (null when not measured).
    func scaleHeadline() -> [(String, JSON)] {
        let result = scaleHost
        var members: [(String, JSON)] = [
            ("scale_instances", result?.top.map { .count($0.instances) } ?? .null),
            ("scale_growth_over", result?.middle.map { .count($0.instances) } ?? .null),
        ]
        for (label, slug) in ScaleBenchmark.Result.slugs {
            members.append(
                ("scale_\(slug)_ms", Self.number(result?.top?.median(label).map { Double($0) / 1e6 })))
            members.append(("scale_\(slug)_growth", Self.number(result?.growth(label))))
            members.append(
                (
                    "scale_\(slug)_peak_rss_kib",
                    result?.top?.command(label).flatMap { $0.unavailable == nil ? .count($0.peakRSSKiB.median) : nil }
                        ?? .null
                ))
        }
        members += [
            ("scale_refresh_noop_growth_vs_smallest", Self.number(result?.growthFromSmallest(ScaleLabel.refresh))),
            ("scale_refresh_noop_rss_growth", Self.number(result?.rssGrowth(ScaleLabel.refresh))),
            ("scale_refresh_noop_floor_vs_smallest", Self.number(result?.refreshFloorFromSmallest)),
            (
                "scale_refresh_after_state_growth_vs_smallest",
                Self.number(result?.growthFromSmallest(ScaleLabel.refreshAfterState))
            ),
            ("scale_raw_current_links_ms", Self.number(result?.top.map { Double($0.currentLinks.median) / 1e6 })),
            ("scale_raw_manifest_read_ms", Self.number(result?.top.map { Double($0.raw.median) / 1e6 })),
            ("scale_gc_dry_run_raw_ratio", Self.number(result?.top?.rawRatio(ScaleLabel.gcDryRun))),
            ("scale_status_json_raw_ratio", Self.number(result?.top?.rawRatio(ScaleLabel.statusJSON))),
            ("scale_in_use_ms", Self.number(Self.milliseconds(result?.namespaces?.inUse))),
            ("scale_gc_candidate_namespaces_ms", Self.number(Self.milliseconds(result?.namespaces?.gcCandidate))),
            (
                "scale_raw_mountinfo_read_ms",
                Self.number(result?.namespaces.map { Double($0.raw.median) / 1e6 })
            ),
            ("scale_in_use_mountinfo_ratio", Self.number(result?.namespaces?.inUseRatio)),
            ("scale_status_rss_ratio", Self.number(result?.statusRSSRatio)),
        ]
        return members
    }

    static func scaleJSON(_ result: ScaleBenchmark.Result) -> JSON {
        .object([
            ("filesystem", .string(result.filesystem)),
            (
                "sizes",
                .array(
                    result.sorted.map { size in
                        .object([
                            ("instances", .count(size.instances)), ("generations", .count(size.generations)),
                            ("snap_entries", .count(size.entries)), ("manifest_bytes", .count(size.manifestBytes)),
                            ("setup_s", .number(size.setupSeconds)),
                            ("raw_manifest_read", distribution(size.raw)),
                            ("raw_current_links", distribution(size.currentLinks)), ("links", .count(size.links)),
                            ("commands", .array(size.commands.map(command))),
                        ])
                    })
            ),
            (
                "namespaces",
                result.namespaces.map { ns in
                    .object([
                        ("instances", .count(ns.instances)), ("namespaces", .count(ns.namespaces)),
                        ("mounts_per_namespace", .count(ns.mountsPerNamespace)),
                        ("mountinfo_files", .count(ns.files)), ("mountinfo_bytes", .count(ns.bytes)),
                        ("mountinfo_lines", .count(ns.lines)), ("setup_s", .number(ns.setupSeconds)),
                        ("in_use", command(ns.inUse)), ("gc_candidate", command(ns.gcCandidate)),
                        ("raw_mountinfo_read", distribution(ns.raw)),
                        ("in_use_ratio", number(ns.inUseRatio)),
                    ])
                } ?? .null
            ),
            ("namespace_note", result.namespaceNote.map(JSON.string) ?? .null),
            (
                "status",
                .array(
                    result.status.map {
                        .object([
                            ("generations", .count($0.generations)), ("entries", .count($0.entries)),
                            ("setup_s", .number($0.setupSeconds)), ("command", command($0.cost)),
                        ])
                    })
            ),
        ])
    }
}

/// Item 9's chart: median wall time against instances (both log scales), one line per command, and the raw read.
enum ScaleChart {
    static let colors = ["#1565c0", "#64b5f6", "#c62828", "#2e7d32", "#9e9e9e"]

    static func svg(_ report: Report) -> String {
        let (left, top, plotWidth, plotHeight) = (70.0, 56.0, 560.0, 320.0)
        let width = left + plotWidth + 340
        let height = top + plotHeight + 60
        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" \
            viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif" font-size="12">
            <rect width="100%" height="100%" fill="white"/>
            <text x="\(left)" y="20" font-size="15" font-weight="bold">A host with many snaps: median wall time \
            per command (log–log)</text>
            <text x="\(left)" y="38" fill="#555">whole processes, snap instances × 3 revisions; \
            \(report.machine.cores) cores, Linux \(Chart.escape(report.machine.kernel)), \(report.build) build, \
            \(report.scale.rawValue) run</text>

            """
        guard let result = report.scaleHost, !result.sizes.isEmpty else {
            return svg + "<text x=\"\(left)\" y=\"\(top + 20)\">item scale was not measured</text>\n</svg>\n"
        }
        let sizes = result.sorted
        var series: [(String, [(Int, UInt64)])] = ScaleBenchmark.Result.slugs.map { label, _ in
            (label, sizes.compactMap { size in size.median(label).map { (size.instances, $0) } })
        }
        series.append(("raw C read of every manifest", sizes.map { ($0.instances, $0.raw.median) }))
        let values = series.flatMap { $0.1.map(\.1) }.filter { $0 > 0 }
        let lowY = floor(log10(Double(values.min() ?? 1_000_000)))
        let highY = max(ceil(log10(Double(values.max() ?? 1_000_000_000))), lowY + 1)
        let lowX = floor(log10(Double(sizes.first?.instances ?? 1)))
        let highX = max(ceil(log10(Double(sizes.last?.instances ?? 10))), lowX + 1)
        func x(_ instances: Int) -> Double {
            left + (log10(Double(max(instances, 1))) - lowX) / (highX - lowX) * plotWidth
        }
        func y(_ nanoseconds: UInt64) -> Double {
            top + plotHeight - (log10(Double(max(nanoseconds, 1))) - lowY) / (highY - lowY) * plotHeight
        }
        var exponent = lowY
        while exponent <= highY {
            let position = y(UInt64(pow(10, exponent)))
            svg +=
                "<line x1=\"\(left)\" y1=\"\(fixed(position, 1))\" x2=\"\(left + plotWidth)\" "
                + "y2=\"\(fixed(position, 1))\" stroke=\"#e0e0e0\"/>\n"
            svg +=
                "<text x=\"\(left - 6)\" y=\"\(fixed(position + 4, 1))\" text-anchor=\"end\" fill=\"#555\">"
                + "\(Chart.escape(human(UInt64(pow(10, exponent)))))</text>\n"
            exponent += 1
        }
        for size in sizes {
            let position = x(size.instances)
            svg +=
                "<line x1=\"\(fixed(position, 1))\" y1=\"\(top)\" x2=\"\(fixed(position, 1))\" "
                + "y2=\"\(top + plotHeight)\" stroke=\"#e0e0e0\"/>\n"
            svg +=
                "<text x=\"\(fixed(position, 1))\" y=\"\(top + plotHeight + 16)\" text-anchor=\"middle\" "
                + "fill=\"#555\">\(size.instances)</text>\n"
        }
        svg +=
            "<text x=\"\(left + plotWidth / 2)\" y=\"\(top + plotHeight + 36)\" text-anchor=\"middle\">"
            + "snap instances</text>\n"
        for (index, (label, points)) in series.enumerated() {
            let color = colors[index % colors.count]
            let dash = index == series.count - 1 ? " stroke-dasharray=\"5,4\"" : ""
            let path = points.map { "\(fixed(x($0.0), 1)),\(fixed(y($0.1), 1))" }.joined(separator: " ")
            svg += "<polyline points=\"\(path)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\"\(dash)/>\n"
            for point in points {
                svg +=
                    "<circle cx=\"\(fixed(x(point.0), 1))\" cy=\"\(fixed(y(point.1), 1))\" r=\"3\" "
                    + "fill=\"\(color)\"/>\n"
            }
            let legendY = top + 10 + Double(index) * 20
            svg +=
                "<line x1=\"\(left + plotWidth + 20)\" y1=\"\(legendY)\" x2=\"\(left + plotWidth + 44)\" "
                + "y2=\"\(legendY)\" stroke=\"\(color)\" stroke-width=\"2\"\(dash)/>\n"
            let last = points.last.map { " (\(human($0.1)) at \($0.0))" } ?? ""
            svg +=
                "<text x=\"\(left + plotWidth + 50)\" y=\"\(legendY + 4)\">\(Chart.escape(label + last))</text>\n"
        }
        return svg + "</svg>\n"
    }
}
