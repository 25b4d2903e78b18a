import GenerationStore
import SnapdExport
import Glibc
import Synchronization

/// `snap-export demo`: the whole job on a self-contained, simulated system, with readers watching.
enum DemoCommand: Command {
    static let name = "demo"
    static let summary = "run the main job on a built-in demo: publish, switch thousands of times, roll back"
    static let usage = "demo [--switches N] [--readers N] [--json]"
    static let details = """
        Builds a fresh export root in a new temporary directory (or --root DIR, which must be empty or absent),
        with a simulated host and snapd revisions whose tools are small files in that temporary directory.
        Publishes a generation per source, then flips snapd/current between them N times (durable: fsync each)
        and rolls back, while reader threads resolve every current/tools/<tool> continuously. Prints the status
        table, the number of switches, the median and p99 switch latency and the failed lookups, which must be 0
        (else exit 1).
          --switches N   flips to make (default 3000)
          --readers N    reader threads (default 2)
          --json         print the figures as JSON
        """

    static let tools = SnapdSettings.tools
    static let exportName = SnapdSettings.exportName
    static let toolsSet = SnapdSettings.toolsSet

    static let rootUse = RootUse.unused
    static let syntax = CommandSyntax(
        options: [.value("--switches", .word), .value("--readers", .word), .flag("--json")])

    static func run(_ arguments: inout Arguments, _ context: CommandContext) throws -> ExitCode {
        let json = arguments.flag("--json")
        let switches = try count(arguments.value("--switches"), default: 3000, option: "--switches")
        let readers = try count(arguments.value("--readers"), default: 2, option: "--readers")
        _ = try arguments.positionals()
        let explicitRoot = context.options.root != GlobalOptions.defaultRoot
        if explicitRoot, let existing = try? ExportStore(root: context.options.root).names(), !existing.isEmpty {
            throw UsageError(
                "--root \(context.options.root) already holds exports; the demo needs an empty or absent root")
        }
        // The simulated system lives in its own temporary directory, never inside the export root: the root
        // holds only what verify expects there.
        let base = try makeTemporaryDirectory(in: context.environment["TMPDIR"] ?? "/tmp")
        let root = explicitRoot ? context.options.root : base + "/export"
        let system = base + "/system"
        let store = ExportStore(root: root, system: context.system)

        // Simulated sources: the host's packaged snapd and three snapd snap revisions, each a directory of tools.
        let sources: [(generation: String, source: String, version: String, directory: String)] =
            [(ToolsSource.hostGeneration, SnapSource.host.manifestSource, "2.61.3", system + "/host/usr/lib/snapd")]
            + ["21184", "21465", "21759"].enumerated().map { index, revision in
                let snap = SnapSource.snap(instance: ProviderSnap.snapd.instance, revision: revision)
                return (
                    revision, snap.manifestSource, "2.6\(2 + index)", system + "/snap/snapd/\(revision)/usr/lib/snapd"
                )
            }
        for source in sources { try makeToolFiles(in: source.directory, context) }

        var latencies: [UInt64] = []
        latencies.reserveCapacity(switches)
        let stop = Atomic<Bool>(false)
        let lookups = Atomic<Int>(0)
        let failures = Atomic<Int>(0)
        let wait = !context.options.noWait
        let (rollbacks, finalCurrent) = try store.withWriter(wait: wait, creatingRoot: true) { writer in
            for source in sources {
                let entries = Dictionary(uniqueKeysWithValues: tools.map { ($0, source.directory + "/" + $0) })
                try writer.publish(
                    name: exportName, generation: source.generation,
                    manifest: Manifest(source: source.source, version: source.version, sets: [toolsSet: entries]))
            }
            try writer.switchCurrent(name: exportName, to: ToolsSource.hostGeneration)
            let paths = tools.map { [root, exportName, Layout.current, toolsSet, $0].joined(separator: "/") }
            let threads = (0..<readers).map { _ in
                JoinableThread {
                    var info = stat()
                    var local = 0
                    var failed = 0
                    while !stop.load(ordering: .relaxed) {
                        for path in paths {
                            if stat(path, &info) != 0 { failed += 1 }
                            local += 1
                        }
                    }
                    lookups.add(local, ordering: .relaxed)
                    failures.add(failed, ordering: .relaxed)
                }
            }
            var rollbacks = 0
            let rollbackEvery = max(1, min(1000, switches / 3))
            for index in 0..<switches {
                let target = sources[1 + index % (sources.count - 1)].generation
                let start = SystemClock.monotonicNanoseconds()
                try writer.switchCurrent(name: exportName, to: target)
                latencies.append(SystemClock.monotonicNanoseconds() - start)
                if index % rollbackEvery == rollbackEvery - 1 {
                    try writer.rollback(name: exportName)
                    rollbacks += 1
                }
            }
            stop.store(true, ordering: .relaxed)
            for thread in threads { thread.join() }
            // Leave the newest revision current, as a refresh would.
            try writer.switchCurrent(name: exportName, to: sources[sources.count - 1].generation)
            return (rollbacks, sources[sources.count - 1].generation)
        }
        latencies.sort()
        let median = latencies.isEmpty ? 0 : latencies[latencies.count / 2]
        let p99 = latencies.isEmpty ? 0 : latencies[min(latencies.count - 1, latencies.count * 99 / 100)]
        let problems = try store.verify()
        let failed = failures.load(ordering: .relaxed)
        if json {
            context.console.out(
                JSONOutput.render(
                    Output(
                        root: root, switches: switches, rollbacks: rollbacks, current: finalCurrent,
                        switchP50Ns: median, switchP99Ns: p99, lookups: lookups.load(ordering: .relaxed),
                        failedLookups: failed, verifyProblems: problems.count)))
        } else {
            context.console.out(StatusCommand.render(table: try store.status()))
            context.out("")
            context.out("export root:     \(root)")
            context.out("switches:        \(switches) (durable: fsync of snapd/ each), \(rollbacks) rollbacks")
            context.out("switch latency:  median \(micro(median)), p99 \(micro(p99))")
            context.out("reader lookups:  \(lookups.load(ordering: .relaxed)) by \(readers) threads, \(failed) failed")
            context.out("verify:          \(problems.isEmpty ? "clean" : "\(problems.count) problems")")
        }
        for problem in problems { context.err(problem.description) }
        return failed == 0 && problems.isEmpty ? .success : .failure
    }

    /// `--json`: `{"current", "failed_lookups", "lookups", "rollbacks", "root", "switch_p50_ns", "switch_p99_ns",
    /// "switches", "verify_problems"}`.
    struct Output: Encodable, Sendable {
        var root: String
        var switches: Int
        var rollbacks: Int
        var current: String
        var switchP50Ns: UInt64
        var switchP99Ns: UInt64
        var lookups: Int
        var failedLookups: Int
        var verifyProblems: Int
    }

    private static func micro(_ nanoseconds: UInt64) -> String {
        let tenths = (nanoseconds + 50) / 100
        return "\(tenths / 10).\(tenths % 10) µs"
    }

    private static func count(_ value: String?, default fallback: Int, option: String) throws(UsageError) -> Int {
        guard let value else { return fallback }
        guard let number = Int(value), number >= 0, number <= 10_000_000 else {
            throw UsageError("\(option) needs a whole number, not '\(value)'")
        }
        return number
    }

    /// A fresh `snap-export-demo.XXXXXX` directory in `base` (`$TMPDIR`, else `/tmp`).
    private static func makeTemporaryDirectory(in base: String) throws -> String {
        var template = Array("\(base)/snap-export-demo.XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else {
            throw StoreError(
                .cannotCreate, "cannot create the demo directory", "mkdtemp: \(Errno(rawValue: errno))",
                path: base)
        }
        return String(cString: made)
    }

    /// `mkdir -p directory` and one small executable file per tool in it, through the same syscall layer.
    private static func makeToolFiles(in directory: String, _ context: CommandContext) throws {
        let system = context.system
        let why = "cannot create the demo system"
        try system.makeDirectories(directory, why)
        for tool in tools {
            let path = directory + "/" + tool
            do {
                let fd = try system.open(AT_FDCWD, path, [.writeOnly, .create, .truncate], mode: 0o755)
                defer { system.close(fd) }
                try system.write(fd, Array("#!/bin/sh\necho \(tool) from \(directory)\n".utf8))
            } catch {
                throw StoreError.system("write", error, path: path, why)
            }
        }
    }
}
