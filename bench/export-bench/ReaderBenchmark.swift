import CExportBenchLoops
import GenerationStore
import Glibc

/// Item 4: two reader threads resolve every `current/tools/<tool>` while a writer flips, for three methods.
struct ReaderBenchmark {
    /// The store's generation flip, the snapd RFC's per-file rewrite, and `rm -f` + `ln -s` of `current`.
    static let methods = ["generation", "per_file", "unlink_symlink"]

    struct Result {
        var lookups: UInt64
        var failures: UInt64
        var passes: UInt64
        var mixed: UInt64
        var flips: Int
        var nanoseconds: UInt64
    }

    let filesystem: TestFilesystem
    let lookups: UInt64
    let threads = 2

    func run() throws(BenchError) -> [String: Result] {
        let base = filesystem.path + "/readers"
        try Disk.makeDirectory(base)
        // Real files behind the links, so that a lookup follows every link to the end.
        let sourceA = base + "/src-a"
        let sourceB = base + "/src-b"
        for source in [sourceA, sourceB] {
            try Disk.makeDirectory(source)
            for tool in toolNames { try Disk.write(source + "/" + tool, "#!/bin/sh\n") }
        }
        var results: [String: Result] = [:]
        results["generation"] = try generation(base, sourceA, sourceB)
        results["per_file"] = try perFile(base, sourceA, sourceB)
        results["unlink_symlink"] = try unlinkSymlink(base, sourceA, sourceB)
        return results
    }

    /// Starts the readers on `<root>/snapd/current/tools`, calls `flip(i)` until they are done, joins them.
    private func measure(
        root: String, _ sourceA: String, _ sourceB: String, flip: (Int) throws -> Void
    ) throws(BenchError) -> Result {
        let rootFd = try Disk.openDirectory(root)
        defer { close(rootFd) }
        let entries = toolNames.map { strdup($0) }
        defer { for entry in entries { free(entry) } }
        let constEntries = entries.map { UnsafePointer<CChar>($0) }
        let start = cx_bench_now()
        let readers = constEntries.withUnsafeBufferPointer { buffer in
            cx_bench_readers_start(
                rootFd, "snapd", "tools", buffer.baseAddress, Int32(toolNames.count), sourceA, sourceB,
                Int32(threads), lookups)
        }
        guard let readers else { throw BenchError("cannot start reader threads") }
        var flips = 0
        var failure: (any Error)?
        while cx_bench_readers_finished(readers) == 0 {
            do {
                try flip(flips)
                flips += 1
            } catch {
                failure = error
                break
            }
        }
        var total = cx_bench_reader_result()
        if failure != nil {
            // Let the readers finish their count before joining; the flips stopped.
            while cx_bench_readers_finished(readers) == 0 { usleep(1000) }
        }
        cx_bench_readers_join(readers, &total)
        if let failure { throw BenchError("writer failed on \(filesystem.label): \(failure)") }
        return Result(
            lookups: total.lookups, failures: total.failures, passes: total.passes, mixed: total.mixed, flips: flips,
            nanoseconds: cx_bench_now() - start)
    }

    private func generation(_ base: String, _ sourceA: String, _ sourceB: String) throws(BenchError) -> Result {
        let store = ExportStore(root: base + "/generation")
        do {
            return try store.withWriter(creatingRoot: true) { writer in
                try writer.publish(name: "snapd", generation: "a", manifest: benchManifest(source: sourceA, label: "a"))
                try writer.publish(name: "snapd", generation: "b", manifest: benchManifest(source: sourceB, label: "b"))
                try writer.switchCurrent(name: "snapd", to: "a")
                return try measure(root: store.root, sourceA, sourceB) { index in
                    try writer.switchCurrent(name: "snapd", to: index % 2 == 0 ? "b" : "a", durable: false)
                }
            }
        } catch let error as BenchError {
            throw error
        } catch {
            throw BenchError("generation flip on \(filesystem.label): \(error)")
        }
    }

    private func perFile(_ base: String, _ sourceA: String, _ sourceB: String) throws(BenchError) -> Result {
        let root = base + "/per-file"
        let set = root + "/snapd/current/tools"
        try Disk.makeDirectories(set)
        for tool in toolNames { try Disk.symlink(sourceA + "/" + tool, set + "/" + tool) }
        let setFd = try Disk.openDirectory(set)
        defer { close(setFd) }
        let entries = toolNames.map { strdup($0) }
        defer { for entry in entries { free(entry) } }
        let constEntries = entries.map { UnsafePointer<CChar>($0) }
        return try measure(root: root, sourceA, sourceB) { index in
            let source = index % 2 == 0 ? sourceB : sourceA
            let result = constEntries.withUnsafeBufferPointer {
                cx_bench_flip_per_file(setFd, $0.baseAddress, Int32(toolNames.count), source)
            }
            if result != 0 { throw Disk.failure("per-file rewrite", set) }
        }
    }

    private func unlinkSymlink(_ base: String, _ sourceA: String, _ sourceB: String) throws(BenchError) -> Result {
        let root = base + "/unlink-symlink"
        let name = root + "/snapd"
        for (generation, source) in [("a", sourceA), ("b", sourceB)] {
            try Disk.makeDirectories(name + "/" + generation + "/tools")
            for tool in toolNames { try Disk.symlink(source + "/" + tool, name + "/" + generation + "/tools/" + tool) }
        }
        try Disk.symlink("a", name + "/current")
        let nameFd = try Disk.openDirectory(name)
        defer { close(nameFd) }
        return try measure(root: root, sourceA, sourceB) { index in
            if cx_bench_flip_unlink_symlink(nameFd, index % 2 == 0 ? "b" : "a") != 0 {
                throw Disk.failure("unlink + symlink", name + "/current")
            }
        }
    }
}
