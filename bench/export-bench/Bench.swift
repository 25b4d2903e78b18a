import CExportBenchLoops
import Glibc

/// export-bench: switch latency against the raw syscalls and against the peers' methods, in one run.
/// See docs/benchmarks.md for what each figure means and how to read it.
@main
enum Bench {
    #if DEBUG
        static let build = "debug"
    #else
        static let build = "release"
    #endif

    static func main() {
        let options: Options
        switch Options.parse(Array(CommandLine.arguments.dropFirst())) {
        case .success(let parsed): options = parsed
        case .failure(let error):
            if !error.message.isEmpty { printError("export-bench: \(error.message)") }
            printError(Options.usage)
            exit(error.message.isEmpty ? 0 : 64)
        }
        if build == "debug" {
            printError(
                """
                ************************************************************************
                export-bench is a DEBUG build: its figures are meaningless.
                Build it with: swift build -c release --product export-bench
                ************************************************************************
                """)
            if options.scale == .full && !options.allowDebug {
                printError("export-bench: refusing the full run in a debug build (--allow-debug to insist)")
                exit(64)
            }
        }
        do {
            if let (instances, directory) = options.scaleHost {
                print(try ScaleBenchmark.keepHost(instances: instances, in: directory).joined(separator: " "))
                return
            }
            let report = try run(options)
            print(report.table(markdown: false))
            if let path = options.jsonPath { try Disk.write(path, report.json().rendered()) }
            if let path = options.svgPath { try Disk.write(path, Chart.svg(report)) }
            if let path = options.scaleSVGPath { try Disk.write(path, ScaleChart.svg(report)) }
            if let path = options.markdownPath { try Disk.write(path, report.table(markdown: true)) }
        } catch {
            printError("export-bench: \(error.message)")
            exit(1)
        }
    }

    static func printError(_ text: String) {
        var line = text + "\n"
        line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
    }

    static func progress(_ text: String) { printError("… " + text) }

    /// Items 1 and 4 on one filesystem.
    static func measureFilesystem(
        _ filesystem: TestFilesystem, _ options: Options, _ counts: Counts, _ report: inout Report
    ) throws(BenchError) {
        if options.runs("switch") {
            progress("switch latency on \(filesystem.label)")
            let samples = try SwitchBenchmark(
                filesystem: filesystem, flips: counts.switchFlips, fsyncFlips: counts.fsyncFlips
            ).run()
            report.switching.append((filesystem.label, samples))
        }
        if options.runs("readers") {
            progress("readers during flips on \(filesystem.label)")
            report.readers.append(
                (filesystem.label, try ReaderBenchmark(filesystem: filesystem, lookups: counts.lookups).run()))
        }
    }

    static func run(_ options: Options) throws(BenchError) -> Report {
        let started = cx_bench_now()
        let counts = Counts(options.scale)
        var report = Report(machine: Machine.current(), scale: options.scale, build: build, counts: counts)
        let scratch = try Disk.temporaryDirectory(in: try Disk.realPath(options.workingDirectory), ".export-bench")
        defer { Disk.removeTree(scratch) }
        // Filesystems are measured one after the other, each made just before and removed just after, so that
        // writeback from a loop image never lands in another filesystem's figures.
        let working = try TestFilesystem.working(scratch)
        report.workingFilesystem = working.label
        report.filesystems.append((working.label, working.type))
        try measureFilesystem(working, options, counts, &report)
        if options.runs("scaling") {
            progress("switch latency against generation size on \(working.label)")
            (report.scaling, report.scalingControl) = try ScalingBenchmark(
                filesystem: working, sizes: counts.sizes, flips: counts.scalingFlips
            ).run()
        }
        if options.runs("publish") {
            progress("publish throughput on \(working.label)")
            let (store, raw) = try PublishBenchmark(
                filesystem: working, entries: counts.publishEntries, repetitions: counts.publishRepetitions
            ).run()
            report.publish = (store, raw)
        }
        if options.runs("cli") {
            progress("whole-process cost on \(working.label)")
            (report.cli, report.cliDurableFlip) = try CLIBenchmark(filesystem: working, runs: counts.cliRuns).run()
        }
        if options.runs("gc") {
            progress("gc --dry-run on \(working.label)")
            report.gc = try GCBenchmark(
                filesystem: working, generations: counts.gcGenerations, namespaces: counts.namespaces,
                processesPerNamespace: counts.processesPerNamespace, runs: counts.gcRuns
            ).run()
        }
        if options.runs("union") {
            progress("man union: \(counts.unionSnaps) snaps × \(counts.unionPages) pages on \(working.label)")
            report.union = try UnionBenchmark(
                filesystem: working, snaps: counts.unionSnaps, pages: counts.unionPages,
                installs: counts.unionInstalls
            ).run()
        }
        if options.runs("scale") {
            // As root on a private tmpfs: the fixtures hold up to a million symlinks, which this machine's ext4 made
            // at ≈ 1 ms each while others wrote to the disk. The measured commands only read (page cache).
            let tmpfs = geteuid() == 0 ? try TestFilesystem.tmpfs(scratch) : nil
            defer { tmpfs?.tearDown() }
            let filesystem = tmpfs ?? working
            progress(
                "a host of \(counts.scaleSizes.map(String.init).joined(separator: ", ")) snaps on \(filesystem.label)")
            report.scaleHost = try ScaleBenchmark(
                filesystem: filesystem, sizes: counts.scaleSizes, runs: counts.scaleRuns,
                namespaceHostSize: counts.scaleNamespaceHost, namespaces: counts.scaleNamespaces,
                mountsPerNamespace: counts.scaleMounts, namespaceRuns: counts.scaleNamespaceRuns,
                statusEntries: counts.scaleStatusEntries, statusRuns: counts.scaleStatusRuns
            ).run()
        }
        let perFilesystem = options.runs("switch") || options.runs("readers")
        if perFilesystem && working.type != "tmpfs", let tmpfs = try TestFilesystem.tmpfs(scratch) {
            defer { tmpfs.tearDown() }
            report.filesystems.append((tmpfs.label, tmpfs.type))
            try measureFilesystem(tmpfs, options, counts, &report)
        }
        for type in ["xfs", "btrfs"] where perFilesystem && working.type != type {
            guard counts.loopFilesystems else {
                report.notes.append("\(type): not in a --smoke run")
                continue
            }
            Disk.syncFilesystem(scratch)
            let (made, reason) = TestFilesystem.loop(type, scratch)
            guard let filesystem = made else {
                report.notes.append("\(type): \(reason ?? "")")
                continue
            }
            defer {
                filesystem.tearDown()
                Disk.syncFilesystem(scratch)
            }
            report.filesystems.append((filesystem.label, filesystem.type))
            try measureFilesystem(filesystem, options, counts, &report)
        }
        report.elapsedSeconds = Double(cx_bench_now() - started) / 1e9
        return report
    }
}

/// How many of everything each scale measures.
struct Counts {
    var switchFlips: Int
    var fsyncFlips: Int
    var sizes: [Int]
    var scalingFlips: Int
    var publishEntries: Int
    var publishRepetitions: Int
    var lookups: UInt64
    var cliRuns: Int
    var gcGenerations: Int
    var namespaces: Int
    var processesPerNamespace: Int
    var gcRuns: Int
    var loopFilesystems: Bool
    var unionSnaps: Int
    var unionPages = 20
    var unionInstalls: Int
    /// Item 9: host sizes (instances), runs per command, the host the namespaces are made on, namespaces, bind
    /// mounts each inherits, runs of in-use, entries per generation of the status name, runs of status.
    var scaleSizes: [Int]
    var scaleRuns: Int
    var scaleNamespaceHost: Int
    var scaleNamespaces: Int
    var scaleMounts: Int
    var scaleNamespaceRuns: Int
    var scaleStatusEntries: [Int]
    var scaleStatusRuns: Int

    init(_ scale: Options.Scale) {
        switch scale {
        case .full:
            (switchFlips, fsyncFlips, sizes, scalingFlips) = (10_000, 10_000, [1, 100, 10_000, 100_000], 10_000)
            (publishEntries, publishRepetitions, lookups, cliRuns) = (10_000, 10, 1_000_000, 200)
            (gcGenerations, namespaces, processesPerNamespace, gcRuns) = (1_000, 50, 20, 10)
            loopFilesystems = true
            (unionSnaps, unionInstalls) = (1_000, 5)
            (scaleSizes, scaleRuns, scaleNamespaceHost) = ([10, 100, 1_000, 3_000], 10, 1_000)
            (scaleNamespaces, scaleMounts, scaleNamespaceRuns) = (200, 3_000, 5)
            (scaleStatusEntries, scaleStatusRuns) = ([10_000, 100_000], 5)
        case .quick:
            (switchFlips, fsyncFlips, sizes, scalingFlips) = (2_000, 400, [1, 100, 10_000], 2_000)
            (publishEntries, publishRepetitions, lookups, cliRuns) = (10_000, 3, 100_000, 10)
            (gcGenerations, namespaces, processesPerNamespace, gcRuns) = (100, 10, 10, 3)
            loopFilesystems = true
            (unionSnaps, unionInstalls) = (1_000, 3)
            (scaleSizes, scaleRuns, scaleNamespaceHost) = ([10, 100, 300], 3, 300)
            (scaleNamespaces, scaleMounts, scaleNamespaceRuns) = (20, 300, 3)
            (scaleStatusEntries, scaleStatusRuns) = ([1_000, 10_000], 3)
        case .smoke:
            (switchFlips, fsyncFlips, sizes, scalingFlips) = (200, 20, [1, 100], 200)
            (publishEntries, publishRepetitions, lookups, cliRuns) = (1_000, 1, 10_000, 3)
            (gcGenerations, namespaces, processesPerNamespace, gcRuns) = (10, 2, 3, 1)
            loopFilesystems = false
            (unionSnaps, unionInstalls) = (20, 2)
            (scaleSizes, scaleRuns, scaleNamespaceHost) = ([3, 10], 1, 10)
            (scaleNamespaces, scaleMounts, scaleNamespaceRuns) = (3, 20, 1)
            (scaleStatusEntries, scaleStatusRuns) = ([20, 200], 1)
        }
    }
}
