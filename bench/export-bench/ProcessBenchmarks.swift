import CExportBenchLoops
import GenerationStore
import Glibc

/// A command measured as whole processes, or why it was not.
struct CommandCost {
    var command: String
    /// nil when measured; else why not (e.g. "not available: unknown command").
    var unavailable: String?
    var wall = Samples([])
    var peakRSSKiB = Samples([])
    /// How the peak RSS was measured.
    var rssSource = ""
}

/// Where the built `snap-export` is: next to this executable.
func snapExportPath() -> String { siblingPath("snap-export") }

/// A product built next to this executable (`snap-export`, the start-up floors).
func siblingPath(_ name: String) -> String {
    var buffer = [CChar](repeating: 0, count: 4097)
    let count = readlink("/proc/self/exe", &buffer, 4096)
    let own = count > 0 ? String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
    let directory = own.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
    return directory + "/" + name
}

/// The labels of item 5's rows, shared by the benchmark and the report.
enum CLILabel {
    static let trueCommand = "/bin/true"
    /// `startup-floor-plain`: a Swift program with no imports, built like snap-export.
    static let floorPlain = "floor: Swift, no imports"
    /// `startup-floor-json`: a Swift program that decodes a small JSON document with FoundationEssentials.
    static let floorJSON = "floor: Swift + FoundationEssentials JSON"
    static let switchCommand = "snap-export switch"
    static let refresh = "snap-export refresh (nothing to do)"
}

/// Runs `arguments` once with output captured: nil when it works, else the reason it is not available.
func probe(_ path: String, _ arguments: [String], scratch: String) throws(BenchError) -> String? {
    guard Disk.isExecutable(path) else { return "not available: \(path) not built" }
    let output = scratch + "/probe.out"
    let run = try Runner.run(path, arguments, output: output)
    let text = Disk.read(output) ?? ""
    unlink(output)
    if run.status == 0 { return nil }
    if run.status == 64 && text.contains("unknown command") { return "not available (unknown command)" }
    let first = text.split(separator: "\n").first.map(String.init) ?? ""
    return "failed (exit \(run.status)): \(first)"
}

/// GNU time, which reports a child's peak RSS from a process small enough not to taint it.
///
/// `wait4`'s `ru_maxrss` of a child spawned by this (large) process starts from the RSS of the address space the
/// child had when it called `execve` (ours, under `vfork`), so it is an upper bound only. GNU time forks from a
/// tiny process, so what it reports is the command's own peak.
let gnuTime = Runner.find(["/usr/bin/time"])

/// Measures `count` whole-process runs; `arguments(i)` gives the i-th run's arguments. Wall time is spawn to
/// reap from here; peak RSS comes from `count` more runs under GNU time when it is installed.
func measureProcess(
    _ label: String, _ path: String, count: Int, scratch: String, _ arguments: (Int) -> [String]
) throws(BenchError) -> CommandCost {
    var wall: [UInt64] = []
    var rss: [UInt64] = []
    var rssSource = "wait4 (upper bound: includes the harness's RSS at exec)"
    for index in -2..<count {  // two warm-up runs fill the page cache
        let run = try Runner.run(path, arguments(index))
        if run.status != 0 {
            return CommandCost(command: label, unavailable: "failed (exit \(run.status)) on run \(index)")
        }
        if index >= 0 {
            wall.append(run.wallNanoseconds)
            rss.append(UInt64(run.peakRSSKiB))
        }
    }
    if let gnuTime {
        rssSource = "GNU time"
        rss = []
        let output = scratch + "/time.out"
        for index in count..<(2 * count) {
            let run = try Runner.run(gnuTime, ["-f", "%M", "-o", output, path] + arguments(index))
            let text = Disk.read(output) ?? ""
            guard run.status == 0, let kib = text.split(separator: "\n").last.flatMap({ UInt64($0) }) else {
                return CommandCost(command: label, unavailable: "failed under GNU time (exit \(run.status))")
            }
            rss.append(kib)
        }
        unlink(output)
    }
    return CommandCost(
        command: label, unavailable: nil, wall: Samples(wall), peakRSSKiB: Samples(rss), rssSource: rssSource)
}

/// One command of an interleaved measurement: its label, its executable and the i-th run's arguments.
struct MeasuredCommand {
    var label: String
    var path: String
    var arguments: (Int) -> [String]
}

/// Measures `commands` as whole processes, `count` rounds of one run of each in turn, so that every command sees
/// the same machine: a change of load during the measurement (other tenants of these 2 cores) shifts them all
/// alike instead of tainting the commands measured last. Two warm-up rounds fill the page cache. Wall time is
/// spawn to reap from here; peak RSS comes from `count` more rounds under GNU time when it is installed.
func measureInterleaved(
    _ commands: [MeasuredCommand], count: Int, scratch: String,
    eachRound: () throws(BenchError) -> Void = {}
) throws(BenchError) -> [CommandCost] {
    var wall = [[UInt64]](repeating: [], count: commands.count)
    var rss = [[UInt64]](repeating: [], count: commands.count)
    var failed = [String?](repeating: nil, count: commands.count)
    for index in -2..<count {
        if index >= 0 { try eachRound() }
        for (position, command) in commands.enumerated() where failed[position] == nil {
            let run = try Runner.run(command.path, command.arguments(index))
            if run.status != 0 {
                failed[position] = "failed (exit \(run.status)) on run \(index)"
            } else if index >= 0 {
                wall[position].append(run.wallNanoseconds)
                rss[position].append(UInt64(run.peakRSSKiB))
            }
        }
    }
    var rssSource = "wait4 (upper bound: includes the harness's RSS at exec)"
    if let gnuTime {
        rssSource = "GNU time"
        rss = [[UInt64]](repeating: [], count: commands.count)
        let output = scratch + "/time.out"
        for index in count..<(2 * count) {
            for (position, command) in commands.enumerated() where failed[position] == nil {
                let run = try Runner.run(gnuTime, ["-f", "%M", "-o", output, command.path] + command.arguments(index))
                let text = Disk.read(output) ?? ""
                guard run.status == 0, let kib = text.split(separator: "\n").last.flatMap({ UInt64($0) }) else {
                    failed[position] = "failed under GNU time (exit \(run.status))"
                    continue
                }
                rss[position].append(kib)
            }
        }
        unlink(output)
    }
    return commands.enumerated().map { position, command in
        if let reason = failed[position] { return CommandCost(command: command.label, unavailable: reason) }
        return CommandCost(
            command: command.label, unavailable: nil, wall: Samples(wall[position]),
            peakRSSKiB: Samples(rss[position]), rssSource: rssSource)
    }
}

/// Item 5: `/bin/true`, the two start-up floors (Swift programs built like snap-export: one with no imports,
/// one that only decodes a small JSON document with FoundationEssentials), `snap-export switch` and
/// `snap-export refresh` with nothing to do, as whole processes, interleaved (`measureInterleaved`) in one run.
struct CLIBenchmark {
    let filesystem: TestFilesystem
    let runs: Int

    /// The commands' costs, and the kernel's own cost of `switch`'s durable flip on the same filesystem in the same
    /// run (`cx_bench_raw_switch` with fsync, one flip per round), which no program can go below.
    func run() throws(BenchError) -> (costs: [CommandCost], durableFlip: Samples) {
        let tool = snapExportPath()
        let base = filesystem.path + "/cli"
        try Disk.makeDirectory(base)
        var unavailable: [String: String] = [:]
        var commands: [MeasuredCommand] = []
        let truePath = Runner.find(["/bin/true", "/usr/bin/true"]) ?? "/bin/true"
        commands.append(MeasuredCommand(label: CLILabel.trueCommand, path: truePath) { _ in [] })
        for (label, product) in [
            (CLILabel.floorPlain, "startup-floor-plain"), (CLILabel.floorJSON, "startup-floor-json"),
        ] {
            let path = siblingPath(product)
            if let reason = try probe(path, [], scratch: base) {
                unavailable[label] = reason
            } else {
                commands.append(MeasuredCommand(label: label, path: path) { _ in [] })
            }
        }

        let root = base + "/root"
        let store = ExportStore(root: root)
        do {
            try store.withWriter(creatingRoot: true) { writer in
                for generation in ["a", "b"] {
                    try writer.publish(
                        name: "snapd", generation: generation,
                        manifest: benchManifest(source: "/opt/bench/" + generation, label: generation))
                }
                try writer.switchCurrent(name: "snapd", to: "a")
            }
        } catch {
            throw BenchError("cli fixture: \(error)")
        }
        if let reason = try probe(tool, ["--root", root, "switch", "snapd", "b"], scratch: base) {
            unavailable[CLILabel.switchCommand] = reason
        } else {
            // The probe left current -> b; run i switches to a, b, a, … so every run really flips.
            commands.append(
                MeasuredCommand(label: CLILabel.switchCommand, path: tool) { index in
                    ["--root", root, "switch", "snapd", (index + 2) % 2 == 0 ? "a" : "b"]
                })
        }

        // A tiny host: snapd's tools in a libexec dir with an info file, no snaps mounted, an Ubuntu os-release.
        let snapMountDir = base + "/snap"
        let libexecDir = base + "/libexec"
        let osRelease = base + "/os-release"
        try Disk.makeDirectory(snapMountDir)
        try Disk.makeDirectory(libexecDir)
        for tool in toolNames where tool != "info" { try Disk.write(libexecDir + "/" + tool, "#!/bin/sh\n") }
        try Disk.write(libexecDir + "/info", "VERSION=2.63\nSNAPD_APPARMOR_REEXEC=1\n")
        try Disk.write(osRelease, "NAME=\"Ubuntu\"\nID=ubuntu\nID_LIKE=debian\nVERSION_ID=\"24.04\"\n")
        let refresh = [
            "--root", base + "/refresh-root", "--snap-mount-dir", snapMountDir, "--libexec-dir", libexecDir,
            "--os-release", osRelease, "refresh",
        ]
        // The first refresh publishes the host's tools; the measured ones find nothing to do.
        if let reason = try probe(tool, refresh, scratch: base) {
            unavailable[CLILabel.refresh] = reason
        } else {
            commands.append(MeasuredCommand(label: CLILabel.refresh, path: tool) { _ in refresh })
        }
        // The raw flip's directory: `current` -> a at the start, as the C loop expects; an even count per round.
        let flipDirectory = base + "/raw-flip"
        try Disk.makeDirectory(flipDirectory)
        try Disk.makeDirectory(flipDirectory + "/a")
        try Disk.makeDirectory(flipDirectory + "/b")
        try Disk.symlink("a", flipDirectory + "/current")
        let flipFd = try Disk.openDirectory(flipDirectory)
        defer { close(flipFd) }
        var flips: [UInt64] = []
        let measured = try measureInterleaved(commands, count: runs, scratch: base) { () throws(BenchError) in
            var times = [UInt64](repeating: 0, count: 2)
            if cx_bench_raw_switch(flipFd, "a", "b", 2, 1, 0, &times) != 0 {
                throw Disk.failure("raw durable flip", flipDirectory)
            }
            flips.append(times[0])
        }
        // The rows in the report's order, the unavailable ones with their reason.
        let costs = [
            CLILabel.trueCommand, CLILabel.floorPlain, CLILabel.floorJSON, CLILabel.switchCommand, CLILabel.refresh,
        ].map { label in
            measured.first { $0.command == label } ?? CommandCost(command: label, unavailable: unavailable[label])
        }
        return (costs, Samples(flips))
    }
}

/// Item 6: `snap-export gc --dry-run` over many generations, without and with live mount namespaces.
struct GCBenchmark {
    let filesystem: TestFilesystem
    let generations: Int
    let namespaces: Int
    let processesPerNamespace: Int
    let runs: Int

    struct Result {
        var generations: Int
        var setupMilliseconds: Double
        var plain: CommandCost
        var withNamespaces: CommandCost?
        var namespaces: Int
        var processes: Int
        /// Why the namespaces were not made, if they were not.
        var namespaceNote: String?
    }

    func run() throws(BenchError) -> Result {
        let tool = snapExportPath()
        let base = filesystem.path + "/gc"
        try Disk.makeDirectory(base)
        let root = base + "/root"
        let store = ExportStore(root: root)
        let setupStart = cx_bench_now()
        do {
            try store.withWriter(creatingRoot: true) { writer in
                for index in 0..<generations {
                    try writer.publish(
                        name: "snapd", generation: "g\(index)",
                        manifest: benchManifest(source: "/opt/bench/g\(index)", label: "bench g\(index)"))
                }
                try writer.switchCurrent(name: "snapd", to: "g\(generations - 2)")
                try writer.switchCurrent(name: "snapd", to: "g\(generations - 1)")
            }
        } catch {
            throw BenchError("gc fixture: \(error)")
        }
        let setup = Double(cx_bench_now() - setupStart) / 1e6
        let arguments = ["--root", root, "gc", "--dry-run"]
        let label = "snap-export gc --dry-run"
        var result = Result(
            generations: generations, setupMilliseconds: setup, plain: CommandCost(command: label), withNamespaces: nil,
            namespaces: 0, processes: 0, namespaceNote: nil)
        if let reason = try probe(tool, arguments, scratch: base) {
            result.plain.unavailable = reason
        } else {
            result.plain = try measureProcess(label, tool, count: runs, scratch: base) { _ in arguments }
        }
        guard geteuid() == 0 else {
            result.namespaceNote = "needs root"
            return result
        }
        // Each namespace bind-mounts one generation's set, as snap-confine does, and holds its processes.
        let mountPoint = base + "/mnt"
        try Disk.makeDirectory(mountPoint)
        var leaders: [Int32] = []
        defer { for leader in leaders { cx_bench_namespace_kill(leader) } }
        for index in 0..<namespaces {
            let generation = "g\((index * max(1, generations / max(1, namespaces))) % generations)"
            let leader = cx_bench_namespace_spawn(
                root + "/snapd/" + generation + "/tools", mountPoint, Int32(processesPerNamespace))
            if leader < 0 {
                result.namespaceNote = "cannot make mount namespace: \(String(cString: strerror(errno)))"
                return result
            }
            leaders.append(leader)
        }
        result.namespaces = leaders.count
        result.processes = leaders.count * processesPerNamespace
        if result.plain.unavailable == nil {
            result.withNamespaces = try measureProcess(label, tool, count: runs, scratch: base) { _ in arguments }
        } else {
            result.withNamespaces = CommandCost(command: label, unavailable: result.plain.unavailable)
        }
        return result
    }
}
