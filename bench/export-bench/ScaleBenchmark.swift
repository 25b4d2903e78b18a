import CExportBenchLoops
import GenerationStore
import Glibc
import SnapdExport

/// The labels of item 9's commands, in the order the table and the chart show them.
enum ScaleLabel {
    static let refresh = "refresh (nothing to do)"
    static let refreshNoGC = "refresh --no-gc (nothing to do)"
    static let gcDryRun = "gc --dry-run"
    static let statusJSON = "status --json"
    /// A refresh right after snapd wrote its state file (nothing else changed): no stamp stands, so it reads every
    /// owner's links, as every refresh did before the stamp.
    static let refreshAfterState = "refresh (snapd's state just written)"
    static let commands = [refresh, refreshNoGC, gcDryRun, statusJSON, refreshAfterState]
    static let inUse = "in-use"
    static let gcCandidate = "gc --dry-run --keep 0 --grace 0"
}

/// Item 9 (issue 11): a simulated host of `instances` snaps × 3 revisions, plus snapd's and core's revisions and the
/// host's tools, for each size in `sizes`. Each size gets a fresh snap mount dir and export root: every instance's
/// three revisions published from its `meta/exports.json` and switched in order (so `current` → 3, `previous` → 2,
/// 1 retired), the man union built once, then `snap-export refresh` run once (it publishes snapd's generation) and
/// once more to prove that it finds nothing to do. Then, as whole processes (`measureProcess`): `refresh` and
/// `refresh --no-gc` with nothing to do, `gc --dry-run`, `status --json`, each with its peak RSS, against a raw C
/// walk that opens and reads every generation's `.manifest.json` (`cx_bench_raw_manifest_walk`), run before and
/// after the commands. On the host of `namespaceHostSize` instances, as root: `namespaces` mount namespaces that
/// each inherit `mountsPerNamespace` bind mounts and hold one generation, against a raw read of their mountinfo.
/// Last, `status NAME` of one name with 11 generations of each of `statusEntries` entries.
struct ScaleBenchmark {
    let filesystem: TestFilesystem
    let sizes: [Int]
    let runs: Int
    let namespaceHostSize: Int
    let namespaces: Int
    let mountsPerNamespace: Int
    let namespaceRuns: Int
    let statusEntries: [Int]
    let statusGenerations = 11
    let statusRuns: Int

    /// Per instance and revision: man pages (in the @man union) and shell completions.
    static let manPages = 5
    static let completions = 45

    struct Size {
        var instances: Int
        var generations: Int
        var entries: Int
        var manifestBytes: Int
        var setupSeconds: Double
        var commands: [CommandCost]
        /// The raw walk's wall time per run.
        var raw: Samples
        /// The time of one `readlinkat` of every snap's `<smd>/<snap>/current` per run (`cx_bench_raw_current_links`):
        /// what a refresh with nothing to do cannot skip (it must see a snap switched outside the hooks), and
        /// `links` snaps read.
        var currentLinks: Samples
        var links: Int

        func command(_ label: String) -> CommandCost? { commands.first { $0.command == label } }
        func median(_ label: String) -> UInt64? {
            guard let cost = command(label), cost.unavailable == nil, cost.wall.count > 0 else { return nil }
            return cost.wall.median
        }
        /// Median of `label` over the raw walk's median.
        func rawRatio(_ label: String) -> Double? { median(label).map { ratio($0, raw.median) } }
    }

    struct Namespaces {
        var instances: Int
        var namespaces: Int
        var mountsPerNamespace: Int
        /// mountinfo files the raw read reads (the children's, the organizer's and this process's) and their lines.
        var files: Int
        var bytes: Int
        var lines: Int
        var setupSeconds: Double
        var inUse: CommandCost
        var gcCandidate: CommandCost
        var raw: Samples
        /// in-use's median over the raw read's median.
        var inUseRatio: Double? {
            guard inUse.unavailable == nil, inUse.wall.count > 0 else { return nil }
            return ratio(inUse.wall.median, raw.median)
        }
    }

    struct Status {
        var generations: Int
        var entries: Int
        var setupSeconds: Double
        var cost: CommandCost
    }

    struct Result {
        var filesystem = ""
        var sizes: [Size] = []
        var namespaces: Namespaces?
        var namespaceNote: String?
        var status: [Status] = []
    }

    /// A snap mount dir, libexec dir and os-release under `base`: snapd revisions 21–23 (current 23, 2.61–2.63),
    /// core 16–17 (2.58–2.59), the host's tools at 2.60 on Ubuntu, and snapd's state file (which a real host always
    /// has: only its identity is read); the global options that point snap-export there.
    static func makeHostTools(_ base: String) throws(BenchError) -> [String] {
        let smd = base + "/snap"
        let libexec = base + "/libexec"
        try Disk.makeDirectories(smd)
        try Disk.makeDirectories(libexec)
        for tool in toolNames {
            try Disk.write(libexec + "/" + tool, tool == "info" ? "VERSION=2.60\n" : "#!/bin/sh\n")
        }
        try Disk.write(base + "/os-release", "NAME=\"Ubuntu\"\nID=ubuntu\nID_LIKE=debian\nVERSION_ID=\"24.04\"\n")
        try Disk.makeDirectories(base + "/var/lib/snapd")
        try Disk.write(base + "/var/lib/snapd/state.json", "{\"data\":{},\"changes\":{},\"tasks\":{}}\n")
        for (snap, type, revisions, minor) in [("snapd", "snapd", 21...23, 61), ("core", "os", 16...17, 58)] {
            for revision in revisions {
                let directory = "\(smd)/\(snap)/\(revision)"
                let version = "2.\(minor + revision - revisions.lowerBound)"
                try Disk.makeDirectories(directory + "/meta")
                try Disk.makeDirectories(directory + "/usr/bin")
                try Disk.makeDirectories(directory + "/usr/lib/snapd")
                try Disk.write(directory + "/meta/snap.yaml", "name: \(snap)\nversion: '\(version)'\ntype: \(type)\n")
                try Disk.write(directory + "/usr/bin/snap", "#!/bin/sh\n")
                for tool in toolNames {
                    try Disk.write(
                        directory + "/usr/lib/snapd/" + tool, tool == "info" ? "VERSION=\(version)\n" : "x")
                }
            }
            try Disk.symlink(String(revisions.upperBound), "\(smd)/\(snap)/current")
        }
        return [
            "--root", base + "/export", "--snap-mount-dir", smd, "--libexec-dir", libexec, "--os-release",
            base + "/os-release", "--snapd-state", base + "/var/lib/snapd/state.json",
        ]
    }

    /// Sets the modification time of each of `paths` to `secondsAgo` seconds before now (`utimensat`).
    static func setModified(secondsAgo: Int, _ paths: String...) throws(BenchError) {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let when = timespec(tv_sec: now.tv_sec - secondsAgo, tv_nsec: now.tv_nsec)
        for path in paths {
            var times = [when, when]
            if utimensat(AT_FDCWD, path, &times, 0) != 0 { throw Disk.failure("utimensat", path) }
        }
    }

    /// `<smd>/<instance>/<revision>`: snap.yaml, exports.json (man pages and completions) and the man pages.
    static func addRevision(_ smd: String, _ instance: String, _ revision: Int) throws(BenchError) -> String {
        let directory = "\(smd)/\(instance)/\(revision)"
        try Disk.makeDirectories(directory + "/meta")
        try Disk.makeDirectories(directory + "/usr/share/man/man1")
        var man: [String] = []
        for index in 0..<manPages {
            let page = "\(instance)-\(index).1"
            try Disk.write(directory + "/usr/share/man/man1/" + page, ".TH X 1\n")
            man.append("\"\(page)\": \"usr/share/man/man1/\(page)\"")
        }
        let completions = (0..<Self.completions).map {
            "\"\(instance)-c\($0)\": \"usr/share/bash-completion/completions/\(instance)-c\($0)\""
        }
        try Disk.write(directory + "/meta/snap.yaml", "name: \(instance)\nversion: '1.\(revision)'\nsummary: bench\n")
        let exports =
            "{\"format\": 1, \"sets\": {\"man/man1\": {" + man.joined(separator: ", ")
            + "}, \"bash-completion/completions\": {" + completions.joined(separator: ", ") + "}}}"
        try Disk.write(directory + "/meta/exports.json", exports)
        return exports
    }

    /// The host of `instances` snaps under `base`; returns the global options and the set-up time.
    func makeHost(_ base: String, instances: Int) throws(BenchError) -> [String] {
        let global = try Self.makeHostTools(base)
        let smd = base + "/snap"
        let settings = SnapdSettings.resolve(
            rootDir: "/", snapMountDir: smd, libexecDir: base + "/libexec", osReleasePath: base + "/os-release",
            reexec: nil
        ).settings
        let store = ExportStore(root: base + "/export", system: SetupSystemCalls())
        do {
            try store.withWriter(creatingRoot: true) { writer in
                for index in 0..<instances {
                    let instance = "s\(index)"
                    for revision in 1...3 {
                        let text = try Self.addRevision(smd, instance, revision)
                        let exports = try SnapExports.decode(Array(text.utf8), path: instance, context: "bench")
                        let manifest = exports.manifest(
                            instance: instance, revision: String(revision), version: "1.\(revision)",
                            snapMountDir: smd)
                        try writer.publish(name: instance, generation: String(revision), manifest: manifest)
                        try writer.switchCurrent(name: instance, to: String(revision), durable: false)
                    }
                    try Disk.symlink("3", "\(smd)/\(instance)/current")
                }
            }
            _ = try UnionExporter(store: store, settings: settings).refresh()
        } catch let error as BenchError {
            throw error
        } catch {
            throw BenchError("scale host of \(instances) instances: \(error)")
        }
        return global
    }

    /// `--scale-host`: the host of `instances` in `directory` (made if missing), its first refresh run, kept.
    static func keepHost(instances: Int, in directory: String) throws(BenchError) -> [String] {
        try Disk.makeDirectories(directory)
        let filesystem = TestFilesystem(label: "kept", type: "", path: directory)
        let bench = ScaleBenchmark(
            filesystem: filesystem, sizes: [instances], runs: 0, namespaceHostSize: 0, namespaces: 0,
            mountsPerNamespace: 0, namespaceRuns: 0, statusEntries: [], statusRuns: 0)
        let global = try bench.makeHost(directory, instances: instances)
        if let reason = try probe(snapExportPath(), global + ["refresh"], scratch: directory) {
            throw BenchError("scale host: the first refresh \(reason)")
        }
        return global
    }

    /// The raw walk, `count` times.
    func rawWalks(_ root: String, _ count: Int, _ files: inout Int, _ bytes: inout Int) throws(BenchError) -> [UInt64] {
        var samples: [UInt64] = []
        for _ in 0..<count {
            var nanoseconds: UInt64 = 0
            var read: Int64 = 0
            var size: Int64 = 0
            if cx_bench_raw_manifest_walk(root, &nanoseconds, &read, &size) != 0 {
                throw Disk.failure("raw manifest walk", root)
            }
            (files, bytes) = (Int(read), Int(size))
            samples.append(nanoseconds)
        }
        return samples
    }

    func measureSize(_ instances: Int, _ result: inout Result) throws(BenchError) {
        let tool = snapExportPath()
        let base = filesystem.path + "/scale-\(instances)"
        try Disk.makeDirectory(base)
        defer { Disk.removeTree(base) }
        let started = cx_bench_now()
        let global = try makeHost(base, instances: instances)
        // The first refresh publishes snapd's generation (and runs its gc pass); the second must find nothing.
        if let reason = try probe(tool, global + ["refresh"], scratch: base) {
            throw BenchError("scale: the first refresh \(reason)")
        }
        let output = base + "/refresh.out"
        let check = try Runner.run(tool, global + ["refresh"], output: output)
        let text = Disk.read(output) ?? ""
        guard check.status == 0, text.contains("nothing changed") else {
            throw BenchError("scale: a second refresh of \(instances) instances did something: \(text)")
        }
        Disk.syncFilesystem(base)
        // The host a while after snapd's last change (as a real one is between changes): the state file and the snap
        // mount dir last modified a minute ago, so the first refresh below leaves the stamp the others find.
        let stateFile = base + "/var/lib/snapd/state.json"
        try Self.setModified(secondsAgo: 60, stateFile, base + "/snap")
        let setup = Double(cx_bench_now() - started) / 1e9
        let root = base + "/export"
        var files = 0
        var bytes = 0
        _ = try rawWalks(root, 2, &files, &bytes)
        // Interleaved rounds (the raw walk and link reads, then one run of each command), so that load from other
        // tenants during the item shifts every figure alike.
        var raw: [UInt64] = []
        var currentLinks: [UInt64] = []
        var links = 0
        Bench.progress("scale: \(ScaleLabel.commands.joined(separator: ", ")), \(instances) instances")
        let commands = try measureInterleaved(
            [
                (ScaleLabel.refresh, ["refresh"]), (ScaleLabel.refreshNoGC, ["refresh", "--no-gc"]),
                (ScaleLabel.gcDryRun, ["gc", "--dry-run"]), (ScaleLabel.statusJSON, ["status", "--json"]),
            ].map { label, arguments in MeasuredCommand(label: label, path: tool) { _ in global + arguments } },
            count: runs, scratch: base
        ) { () throws(BenchError) in
            raw += try rawWalks(root, 1, &files, &bytes)
            var nanoseconds: UInt64 = 0
            var read: Int64 = 0
            if cx_bench_raw_current_links(base + "/snap", &nanoseconds, &read) != 0 {
                throw Disk.failure("raw link reads", base + "/snap")
            }
            currentLinks.append(nanoseconds)
            links = Int(read)
        }
        // Then refreshes right after snapd wrote its state file: each run's file is touched just before it (not timed).
        let afterState = try measureInterleaved(
            [
                MeasuredCommand(label: ScaleLabel.refreshAfterState, path: tool) { _ in
                    (try? Self.setModified(secondsAgo: 0, stateFile)) != nil ? global + ["refresh"] : ["--bad-state"]
                }
            ], count: runs, scratch: base)
        let entries = (instances * 3) * (Self.manPages + Self.completions)
        result.sizes.append(
            Size(
                instances: instances, generations: files, entries: entries, manifestBytes: bytes, setupSeconds: setup,
                commands: commands + afterState, raw: Samples(raw), currentLinks: Samples(currentLinks), links: links))
        if instances == namespaceHostSize {
            if geteuid() != 0 {
                result.namespaceNote = "not measured: needs root (mount namespaces and bind mounts)"
            } else {
                try measureNamespaces(base, global, instances: instances, &result)
            }
        }
    }

    func measureNamespaces(
        _ base: String, _ global: [String], instances: Int, _ result: inout Result
    ) throws(BenchError) {
        let tool = snapExportPath()
        Bench.progress("scale: \(namespaces) mount namespaces × \(mountsPerNamespace) mounts")
        let farm = base + "/farm"
        try Disk.makeDirectory(farm)
        let started = cx_bench_now()
        let sources = (0..<min(namespaces, instances)).map { strdup("\(base)/export/s\($0)/3") }
        defer { for source in sources { free(source) } }
        var pids = [Int32](repeating: 0, count: namespaces)
        let constSources = sources.map { UnsafePointer<CChar>($0) }
        let organizer = constSources.withUnsafeBufferPointer { buffer in
            cx_bench_mount_farm_start(
                farm, Int32(mountsPerNamespace), buffer.baseAddress, Int32(sources.count), Int32(namespaces), &pids)
        }
        if organizer < 0 {
            result.namespaceNote = "cannot make the mount namespaces: \(String(cString: strerror(errno)))"
            return
        }
        defer { cx_bench_namespace_kill(organizer) }
        let setup = Double(cx_bench_now() - started) / 1e9
        // One mountinfo per namespace: the children's, the organizer's (the farm without a held generation) and ours.
        let paths = (pids + [organizer]).map { "/proc/\($0)/mountinfo" } + ["/proc/self/mountinfo"]
        let cPaths = paths.map { strdup($0) }
        defer { for path in cPaths { free(path) } }
        let constPaths = cPaths.map { UnsafePointer<CChar>($0) }
        var bytes: Int64 = 0
        func rawReads(_ count: Int) throws(BenchError) -> [UInt64] {
            var samples: [UInt64] = []
            for _ in 0..<count {
                var nanoseconds: UInt64 = 0
                let status = constPaths.withUnsafeBufferPointer {
                    cx_bench_read_files($0.baseAddress, Int32($0.count), &nanoseconds, &bytes)
                }
                if status != 0 { throw Disk.failure("raw mountinfo read", paths[0]) }
                samples.append(nanoseconds)
            }
            return samples
        }
        var raw = try rawReads(2 + namespaceRuns).dropFirst(2).map { $0 }
        let lines = (Disk.read(paths[0]) ?? "").split(separator: "\n").count
        // Every child's namespace must be seen holding its generation, or the figure measures the wrong thing.
        let output = base + "/in-use.out"
        let probe = try Runner.run(tool, global + ["in-use", "--json"], output: output)
        let text = Disk.read(output) ?? ""
        guard probe.status == 0, text.contains("/export/s0/3") || text.contains("\"s0\"") else {
            throw BenchError("scale: in-use did not see the namespaces' generations (exit \(probe.status))")
        }
        Bench.progress("scale: in-use with \(namespaces) namespaces")
        let inUse = try measureProcess(ScaleLabel.inUse, tool, count: namespaceRuns, scratch: base) { _ in
            global + ["in-use"]
        }
        Bench.progress("scale: gc with candidates with \(namespaces) namespaces")
        let gc = try measureProcess(ScaleLabel.gcCandidate, tool, count: namespaceRuns, scratch: base) { _ in
            global + ["gc", "--dry-run", "--keep", "0", "--grace", "0"]
        }
        raw += try rawReads(namespaceRuns)
        result.namespaces = Namespaces(
            instances: instances, namespaces: namespaces, mountsPerNamespace: mountsPerNamespace, files: paths.count,
            bytes: Int(bytes), lines: lines, setupSeconds: setup, inUse: inUse, gcCandidate: gc, raw: Samples(raw))
    }

    /// `status big` over 11 generations of `entries` entries each.
    func measureStatus(_ entries: Int, _ result: inout Result) throws(BenchError) {
        let tool = snapExportPath()
        let base = filesystem.path + "/status-\(entries)"
        try Disk.makeDirectory(base)
        defer { Disk.removeTree(base) }
        Bench.progress("scale: status of one name, \(statusGenerations) generations × \(entries) entries")
        let started = cx_bench_now()
        let root = base + "/export"
        do {
            try ExportStore(root: root, system: SetupSystemCalls()).withWriter(creatingRoot: true) { writer in
                for index in 0..<statusGenerations {
                    try writer.publish(
                        name: "big", generation: "g\(index)",
                        manifest: benchManifest(source: "/opt/bench/g\(index)", entries: entries, label: "g\(index)"))
                    try writer.switchCurrent(name: "big", to: "g\(index)", durable: false)
                }
            }
        } catch {
            throw BenchError("scale status fixture: \(error)")
        }
        Disk.syncFilesystem(base)
        let setup = Double(cx_bench_now() - started) / 1e9
        let arguments = ["--root", root, "status", "big"]
        if let reason = try probe(tool, arguments, scratch: base) { throw BenchError("scale: status \(reason)") }
        let cost = try measureProcess("status big", tool, count: statusRuns, scratch: base) { _ in arguments }
        result.status.append(Status(generations: statusGenerations, entries: entries, setupSeconds: setup, cost: cost))
    }

    func run() throws(BenchError) -> Result {
        var result = Result(filesystem: filesystem.label)
        for instances in sizes {
            Bench.progress("scale: a host of \(instances) instances × 3 revisions")
            try measureSize(instances, &result)
        }
        if result.namespaces == nil && result.namespaceNote == nil {
            result.namespaceNote = "no host of \(namespaceHostSize) instances in this run"
        }
        for entries in statusEntries { try measureStatus(entries, &result) }
        return result
    }
}
