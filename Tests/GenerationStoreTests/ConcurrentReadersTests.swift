import Foundation
import GenerationStore
import GenerationStoreTesting
import Glibc
import Testing
import TestSupport

/// Two generations of 8 tools each, pointing at real files, with `current -> g1`; readers look up
/// `<root>/demo/current/tools/<tool>` and follow every link down to a regular file.
private func makeFlippingRoot(_ fixture: StoreFixture) throws -> [String] {
    let targets = fixture.directory.appending("targets")
    for generation in ["g1", "g2"] {
        try FileManager.default.createDirectory(atPath: targets + "/" + generation, withIntermediateDirectories: true)
        var entries: [String: String] = [:]
        for tool in 0..<8 {
            let file = "\(targets)/\(generation)/tool\(tool)"
            #expect(FileManager.default.createFile(atPath: file, contents: Data("x".utf8)))
            entries["tool\(tool)"] = file
        }
        try fixture.write {
            try $0.publish(
                name: "demo", generation: generation, manifest: Manifest(source: "t", sets: ["tools": entries]))
        }
    }
    try fixture.write { try $0.switchCurrent(name: "demo", to: "g1") }
    return (0..<8).map { fixture.path("demo/current/tools/tool\($0)") }
}

/// `readers` readers look up every tool of a flipping root (`makeFlippingRoot`) while `store` switches
/// `demo/current` between g1 and g2, until there were at least `flips` switches and `lookups` lookups.
/// Prints what the harness counted under `label` and returns it, with the switching thread's error if any.
private func switchUnderReaders(
    _ label: String, _ fixture: StoreFixture, readers: Int, flips: Int, lookups: Int, store: ExportStore,
    durable: Bool = false
) throws -> (totals: ReaderCounters.Totals, error: String?) {
    let counters = ReaderHarness.run(
        readers: readers, paths: try makeFlippingRoot(fixture),
        until: { $0.totals.flips >= flips && $0.totals.lookups >= lookups },
        flipper: { counters in
            try store.withWriter { writer in
                var index = 0
                while !counters.stopped {
                    try writer.switchCurrent(name: "demo", to: index % 2 == 0 ? "g2" : "g1", durable: durable)
                    index += 1
                    counters.flips.add(1, ordering: .relaxed)
                }
            }
        })
    print("\(label): \(counters.totals)")
    return (counters.totals, counters.error.withLock { $0 })
}

@Suite("Readers never miss an entry while current is switched", .serialized)
struct ConcurrentReadersTests {
    @Test("3 readers make at least 1,000,000 lookups during at least 10,000 switches and none fails")
    func switchesAreAtomicForReaders() throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        let (totals, error) = try switchUnderReaders(
            "atomic switch", fixture, readers: 3, flips: 10_000, lookups: 1_000_000, store: fixture.store())
        #expect(error == nil)
        #expect(totals.flips >= 10_000)
        #expect(totals.lookups >= 1_000_000)
        #expect(totals.failures == 0)
        #expect(try fixture.store().verify() == [])
    }

    @Test("durable switches (fsync of the name after each) are atomic for readers too")
    func durableSwitchesAreAtomicForReaders() throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        let (totals, error) = try switchUnderReaders(
            "durable switch", fixture, readers: 2, flips: 500, lookups: 100_000, store: fixture.store(), durable: true)
        #expect(error == nil)
        #expect(totals.flips >= 500)
        #expect(totals.failures == 0)
    }

    @Test("switches through the renameat fallback (renameat2 refused with EINVAL) are atomic for readers")
    func fallbackSwitchesAreAtomicForReaders() throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        let recording = RecordingSystemCalls()
        recording.inject(.invalidArgument, into: "renameat2")
        let (totals, error) = try switchUnderReaders(
            "fallback switch", fixture, readers: 2, flips: 1_000, lookups: 200_000, store: fixture.store(recording))
        #expect(error == nil)
        #expect(recording.names.contains("renameat"))
        #expect(totals.flips >= 1_000)
        #expect(totals.failures == 0)
    }

    @Test("the same harness sees failed lookups when current is flipped by unlink then symlink")
    func theHarnessSeesTheWindowOfANonAtomicFlip() throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        let paths = try makeFlippingRoot(fixture)
        let nameDirectory = fixture.path("demo")
        let bound = 2_000_000
        let counters = ReaderHarness.run(
            readers: 3, paths: paths,
            until: {
                ($0.totals.failures >= 100 && $0.totals.lookups >= 100_000)
                    || $0.totals.flips >= bound
            },
            flipper: { counters in
                let nameFd = open(nameDirectory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
                guard nameFd >= 0 else { throw POSIXError(.ENOENT) }
                defer { close(nameFd) }
                var index = 0
                while !counters.stopped {
                    // The flip `rm -f current && ln -s gN current` makes: there is a moment with no current.
                    _ = unlinkat(nameFd, "current", 0)
                    _ = symlinkat(index % 2 == 0 ? "g2" : "g1", nameFd, "current")
                    index += 1
                    counters.flips.add(1, ordering: .relaxed)
                }
            })
        let totals = counters.totals
        print("non-atomic flip: \(totals)")
        #expect(counters.error.withLock { $0 } == nil)
        #expect(
            totals.failures > 0,
            "no failed lookup in \(totals.flips) non-atomic flips: the harness cannot see a window")
    }
}
