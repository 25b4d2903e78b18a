import CExportBenchLoops
import GenerationStore
import Glibc
import SnapdExport

/// Item 7: the man union at scale (docs/exports.md): `snaps` snaps × `pages` man pages each. Measures that a
/// refresh of one snap with unchanged page names writes nothing to `@man`, what `refresh`'s check costs when
/// nothing changed, and what installing one more snap costs: the union's republish (publish with reuse + switch,
/// as the product times it) against the raw C loop of the same linkat/symlinkat calls and fsyncs, run just
/// before it in the same directory; readers resolve union entries through all of it.
struct UnionBenchmark {
    let filesystem: TestFilesystem
    let snaps: Int
    let pages: Int
    let installs: Int

    struct Result {
        var snaps: Int
        var entries: Int
        var buildNanoseconds: UInt64
        /// `@man` generations written by a refresh of one snap with the same page names (goal 0).
        var unchangedRefreshManWrites: Int
        var unchangedRefresh: Samples
        var check: Samples
        var link: Samples
        var republish: Samples
        var raw: Samples
        var lookups: UInt64
        var failures: UInt64
        var ratio: Double { Double(republish.median) / Double(max(raw.median, 1)) }
    }

    func page(_ snap: String, _ index: Int) -> String { "\(snap)-p\(index).1" }

    /// `<smd>/<snap>/<revision>` with snap.yaml, exports.json and its pages; `current` → revision.
    func addSnap(_ smd: String, _ snap: String, _ revision: String) throws(BenchError) {
        let root = "\(smd)/\(snap)/\(revision)"
        try Disk.makeDirectories(root + "/meta")
        try Disk.makeDirectories(root + "/man")
        var entries: [String] = []
        for index in 0..<pages {
            let name = page(snap, index)
            try Disk.write(root + "/man/" + name, ".TH X 1\n")
            entries.append("\"\(name)\": \"man/\(name)\"")
        }
        try Disk.write(root + "/meta/snap.yaml", "name: \(snap)\nversion: '1'\nsummary: bench\n")
        try Disk.write(
            root + "/meta/exports.json", "{\"sets\": {\"man/man1\": {" + entries.joined(separator: ", ") + "}}}")
        unlink("\(smd)/\(snap)/current")
        try Disk.symlink(revision, "\(smd)/\(snap)/current")
    }

    func run() throws(BenchError) -> Result {
        let base = filesystem.path + "/union"
        let smd = base + "/snap"
        let rootPath = base + "/export"
        try Disk.makeDirectories(smd)
        for index in 0..<snaps { try addSnap(smd, "s\(index)", "1") }
        let settings = SnapdSettings.resolve(
            rootDir: "/", snapMountDir: smd, libexecDir: base + "/no-libexec", osReleasePath: base + "/os-release",
            reexec: nil
        ).settings
        let store = ExportStore(root: rootPath)
        let linker = SnapExportsLinker(store: store, settings: settings)
        let unions = UnionExporter(store: store, settings: settings)
        do {
            // The starting point: every owner published and switched, then the union built once.
            let built = cx_bench_now()
            try store.withWriter(creatingRoot: true) { writer in
                for index in 0..<snaps {
                    let snap = "s\(index)"
                    let bytes = Array((Disk.read("\(smd)/\(snap)/1/meta/exports.json") ?? "").utf8)
                    let exports = try SnapExports.decode(bytes, path: snap, context: "bench")
                    let manifest = exports.manifest(instance: snap, revision: "1", version: "1", snapMountDir: smd)
                    try writer.publish(name: snap, generation: "1", manifest: manifest)
                    try writer.switchCurrent(name: snap, to: "1", durable: false)
                }
            }
            try unions.refresh()
            let buildNanoseconds = cx_bench_now() - built
            let names = (0..<pages).map { page("s0", $0) } + (0..<min(snaps, 50)).map { page("s\($0)", pages - 1) }
            Disk.syncFilesystem(base)

            // Readers resolve union entries (stat through @man/current, the owner's current, into the snap) for
            // the whole measurement.
            let rootFd = try Disk.openDirectory(rootPath)
            defer { close(rootFd) }
            let cNames = names.map { strdup($0) }
            defer { for name in cNames { free(name) } }
            let constNames = cNames.map { UnsafePointer<CChar>($0) }
            let readers = constNames.withUnsafeBufferPointer { buffer in
                cx_bench_readers_start(
                    rootFd, UnionKind.man.exportName, "man1", buffer.baseAddress, Int32(names.count), "/nowhere-a",
                    "/nowhere-b", 2, UInt64.max)
            }
            guard let readers else { throw BenchError("cannot start reader threads") }
            var total = cx_bench_reader_result()
            defer {}

            // 1. A refresh of s0 with the same page names, revisions alternating: @man must not be written.
            var manWrites = 0
            var unchanged: [UInt64] = []
            for round in 0..<max(installs, 2) {
                let revision = round % 2 == 0 ? "2" : "1"
                if round < 2 {
                    try addSnap(smd, "s0", revision)
                } else {
                    unlink(smd + "/s0/current")
                    try Disk.symlink(revision, smd + "/s0/current")
                }
                let before = try store.link(Layout.current, of: UnionKind.man.exportName)
                let start = cx_bench_now()
                let report = try linker.link(instance: "s0", revision: revision)
                unchanged.append(cx_bench_now() - start)
                manWrites += report.unions?.switched.filter { $0.union == UnionKind.man.exportName }.count ?? 0
                if try store.link(Layout.current, of: UnionKind.man.exportName) != before { manWrites += 1 }
            }
            // 2. refresh's check with nothing to do.
            var checks: [UInt64] = []
            for _ in 0..<5 {
                let start = cx_bench_now()
                if let reason = try unions.check() { throw BenchError("refresh would work: \(reason)") }
                checks.append(cx_bench_now() - start)
            }
            // 3. One more snap with `pages` pages, `installs` times: the raw loop, then the product.
            var links: [UInt64] = []
            var republishes: [UInt64] = []
            var raws: [UInt64] = []
            let baseFd = try Disk.openDirectory(rootPath + "/" + UnionKind.man.exportName)
            defer { close(baseFd) }
            for install in 0..<installs {
                let snap = "n\(install)"
                try addSnap(smd, snap, "1")
                guard let current = try store.link(Layout.current, of: UnionKind.man.exportName) else {
                    throw BenchError("no @man/current")
                }
                let kept =
                    try store.manifest(name: UnionKind.man.exportName, generation: current).sets["man1"]?
                    .keys.sorted() ?? []
                let added = (0..<pages).map { page(snap, $0) }
                let cKept = kept.map { strdup($0) }
                let cAdded = added.map { strdup($0) }
                defer { for pointer in cKept + cAdded { free(pointer) } }
                Disk.syncFilesystem(base)
                var raw: UInt64 = 0
                let keptPointers = cKept.map { UnsafePointer<CChar>($0) }
                let addedPointers = cAdded.map { UnsafePointer<CChar>($0) }
                let status = keptPointers.withUnsafeBufferPointer { keptBuffer in
                    addedPointers.withUnsafeBufferPointer { addedBuffer in
                        cx_bench_raw_union(
                            baseFd, current, ".raw-staging-\(install)", ".raw-\(install)", "man1",
                            keptBuffer.baseAddress, Int32(kept.count), addedBuffer.baseAddress, Int32(added.count),
                            rootPath + "/" + snap + "/current/man/man1", &raw)
                    }
                }
                if status != 0 { throw Disk.failure("raw union loop", rootPath) }
                raws.append(raw)
                Disk.removeTree(rootPath + "/" + UnionKind.man.exportName + "/.raw-\(install)")
                Disk.syncFilesystem(base)
                let start = cx_bench_now()
                let report = try linker.link(instance: snap, revision: "1")
                links.append(cx_bench_now() - start)
                guard
                    let timing = report.unions?.republishNanoseconds.first(where: {
                        $0.union == UnionKind.man.exportName
                    })
                else { throw BenchError("installing \(snap) did not republish @man") }
                republishes.append(timing.nanoseconds)
            }
            cx_bench_readers_stop(readers)
            cx_bench_readers_join(readers, &total)
            let entries =
                try store.manifest(
                    name: UnionKind.man.exportName,
                    generation: store.link(Layout.current, of: UnionKind.man.exportName) ?? ""
                ).entryCount
            return Result(
                snaps: snaps, entries: entries, buildNanoseconds: buildNanoseconds,
                unchangedRefreshManWrites: manWrites, unchangedRefresh: Samples(unchanged), check: Samples(checks),
                link: Samples(links), republish: Samples(republishes), raw: Samples(raws), lookups: total.lookups,
                failures: total.failures)
        } catch let error as BenchError {
            throw error
        } catch {
            throw BenchError("union views on \(filesystem.label): \(error)")
        }
    }
}
