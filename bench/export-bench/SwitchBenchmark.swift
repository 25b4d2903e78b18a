import CExportBenchLoops
import GenerationStore
import SnapdExport
import Glibc

/// The nine tools of snapd's `tools` set, the entries every fixture exports.
let toolNames = SnapdSettings.tools

/// A manifest of `entries` links in set `tools`, pointing below `source` (tool names first, then `e<i>`).
func benchManifest(source: String, entries: Int = toolNames.count, label: String) -> Manifest {
    var set: [String: String] = [:]
    set.reserveCapacity(entries)
    for index in 0..<entries {
        let entry = index < toolNames.count ? toolNames[index] : "e\(index)"
        set[entry] = source + "/" + entry
    }
    return Manifest(source: label, version: "1", sets: [SnapdSettings.toolsSet: set])
}

/// Item 1: the store's switch against the raw C loop, with and without fsync, on one filesystem.
struct SwitchBenchmark {
    /// The methods, in the order the chart and the table show them.
    static let methods = [
        "raw", "raw+marker", "store",
        "raw fsync", "raw+marker fsync", "store fsync",
    ]

    let filesystem: TestFilesystem
    let flips: Int
    let fsyncFlips: Int
    /// Measured in this many alternating blocks, so that drift hits every method alike.
    let blocks = 10

    func run() throws(BenchError) -> [String: Samples] {
        let base = filesystem.path + "/switch"
        try Disk.makeDirectory(base)
        // The raw loops' directories: `current` -> a at the start, as the C loop expects.
        var rawFds: [Int32] = []
        defer { for fd in rawFds { close(fd) } }
        for variant in ["raw", "raw-marker"] {
            let directory = base + "/" + variant
            try Disk.makeDirectory(directory)
            try Disk.makeDirectory(directory + "/a")
            try Disk.makeDirectory(directory + "/b")
            try Disk.symlink("a", directory + "/current")
            rawFds.append(try Disk.openDirectory(directory))
        }
        let store = ExportStore(root: base + "/store")
        var samples: [String: [UInt64]] = [:]
        do {
            try store.withWriter(creatingRoot: true) { writer in
                for generation in ["a", "b"] {
                    try writer.publish(
                        name: "flip", generation: generation,
                        manifest: benchManifest(source: "/opt/bench/" + generation, label: "bench"))
                }
                try writer.switchCurrent(name: "flip", to: "a")
                var storeAt = "a"
                func storeFlips(_ count: Int, durable: Bool, into key: String) throws {
                    var times = [UInt64](repeating: 0, count: count)
                    for index in 0..<count {
                        let to = storeAt == "a" ? "b" : "a"
                        let start = cx_bench_now()
                        try writer.switchCurrent(name: "flip", to: to, durable: durable)
                        times[index] = cx_bench_now() - start
                        storeAt = to
                    }
                    samples[key, default: []] += times
                }
                func rawFlips(_ count: Int, durable: Bool, marker: Bool, into key: String) throws(BenchError) {
                    // An even count leaves `current` -> a, as the next block expects.
                    var times = [UInt64](repeating: 0, count: count)
                    let fd = rawFds[marker ? 1 : 0]
                    if cx_bench_raw_switch(fd, "a", "b", Int32(count), durable ? 1 : 0, marker ? 1 : 0, &times) != 0 {
                        throw Disk.failure("raw switch loop", base)
                    }
                    samples[key, default: []] += times
                }
                // Warm up caches and the allocator; not recorded.
                try rawFlips(200, durable: false, marker: false, into: "warm-up")
                try rawFlips(200, durable: false, marker: true, into: "warm-up")
                try storeFlips(200, durable: false, into: "warm-up")
                for (count, durable) in [(flips, false), (fsyncFlips, true)] {
                    Disk.syncFilesystem(base)
                    let suffix = durable ? " fsync" : ""
                    let perBlock = max(2, (count / blocks + 1) & ~1)
                    for _ in 0..<blocks {
                        try rawFlips(perBlock, durable: durable, marker: false, into: "raw" + suffix)
                        try storeFlips(perBlock, durable: durable, into: "store" + suffix)
                        try rawFlips(perBlock, durable: durable, marker: true, into: "raw+marker" + suffix)
                    }
                }
            }
        } catch let error as BenchError {
            throw error
        } catch {
            throw BenchError("store switch on \(filesystem.label): \(error)")
        }
        samples["warm-up"] = nil
        return samples.mapValues(Samples.init)
    }
}

/// Item 2: the store's switch latency for generations of growing size (no fsync), each beside a control: the raw
/// C loop with a marker, run in a directory inside the same name directory, so that both allocate their inodes
/// from the same place on disk.
struct ScalingBenchmark {
    let filesystem: TestFilesystem
    let sizes: [Int]
    let flips: Int

    func run() throws(BenchError) -> (store: [Int: Samples], control: [Int: Samples]) {
        let store = ExportStore(root: filesystem.path + "/scaling")
        var samples: [Int: [UInt64]] = [:]
        var control: [Int: [UInt64]] = [:]
        do {
            try store.withWriter(creatingRoot: true) { writer in
                var controlFds: [Int: Int32] = [:]
                defer { for fd in controlFds.values { close(fd) } }
                for size in sizes {
                    for generation in ["a", "b"] {
                        try writer.publish(
                            name: "size-\(size)", generation: generation,
                            manifest: benchManifest(source: "/opt/bench/" + generation, entries: size, label: "bench"))
                    }
                    try writer.switchCurrent(name: "size-\(size)", to: "a")
                    let directory = store.path("size-\(size)", ".bench-control")
                    try Disk.makeDirectory(directory)
                    try Disk.symlink("a", directory + "/current")
                    controlFds[size] = try Disk.openDirectory(directory)
                }
                Disk.syncFilesystem(store.root)
                var at = [Int: String]()
                let blocks = 10
                for block in -1..<blocks {
                    for size in sizes {
                        let count = block < 0 ? 100 : max(2, (flips / blocks + 1) & ~1)
                        var times = [UInt64](repeating: 0, count: count)
                        for index in 0..<count {
                            let to = at[size] == "b" ? "a" : "b"
                            let start = cx_bench_now()
                            try writer.switchCurrent(name: "size-\(size)", to: to, durable: false)
                            times[index] = cx_bench_now() - start
                            at[size] = to
                        }
                        var raw = [UInt64](repeating: 0, count: count)
                        if cx_bench_raw_switch(controlFds[size] ?? -1, "a", "b", Int32(count), 0, 1, &raw) != 0 {
                            throw Disk.failure("raw switch loop", store.path("size-\(size)"))
                        }
                        if block >= 0 {  // block -1 warms up
                            samples[size, default: []] += times
                            control[size, default: []] += raw
                        }
                    }
                }
            }
        } catch let error as BenchError {
            throw error
        } catch {
            throw BenchError("scaling on \(filesystem.label): \(error)")
        }
        return (samples.mapValues(Samples.init), control.mapValues(Samples.init))
    }
}

/// Item 3: publishing a generation of `entries` links (synced) against a raw symlinkat loop + one fsync.
struct PublishBenchmark {
    let filesystem: TestFilesystem
    let entries: Int
    let repetitions: Int

    func run() throws(BenchError) -> (store: Samples, raw: Samples) {
        let base = filesystem.path + "/publish"
        try Disk.makeDirectory(base)
        let rawFd = try Disk.openDirectory(base)
        defer { close(rawFd) }
        let manifest = benchManifest(source: "/opt/bench/p", entries: entries, label: "bench")
        let store = ExportStore(root: base + "/store")
        var storeTimes: [UInt64] = []
        var rawTimes: [UInt64] = []
        do {
            try store.withWriter(creatingRoot: true) { writer in
                for repetition in 0..<repetitions {
                    Disk.syncFilesystem(base)
                    var raw: UInt64 = 0
                    if cx_bench_raw_publish(rawFd, "raw-\(repetition)", "/opt/bench/p", Int32(entries), &raw) != 0 {
                        throw Disk.failure("raw publish loop", base)
                    }
                    rawTimes.append(raw)
                    Disk.syncFilesystem(base)
                    let start = cx_bench_now()
                    try writer.publish(name: "publish", generation: "g\(repetition)", manifest: manifest)
                    storeTimes.append(cx_bench_now() - start)
                }
            }
        } catch let error as BenchError {
            throw error
        } catch {
            throw BenchError("publish on \(filesystem.label): \(error)")
        }
        return (Samples(storeTimes), Samples(rawTimes))
    }
}
