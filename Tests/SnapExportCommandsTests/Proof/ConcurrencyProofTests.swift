import Foundation
import Glibc
import Synchronization
import Testing
import TestSupport

/// A small seeded generator (SplitMix64), so a run's random operations can be reproduced from its seed.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}

/// The seed of the random runs: SNAP_EXPORT_SEED if set, else a fixed one (printed, with the command to rerun it).
let proofSeed: UInt64 = ProcessInfo.processInfo.environment["SNAP_EXPORT_SEED"].flatMap { UInt64($0) } ?? 20_261_202

let isLongMode = ProcessInfo.processInfo.environment["SNAP_EXPORT_LONG"] == "1"

/// One random writer operation of worker `worker`: publish its own generation, switch to one of its own or to a
/// shared one, roll back, gc, repair, or read status; a third of them with `--no-wait`.
func randomOperation(_ worker: Int, _ index: Int, _ random: inout SeededGenerator) -> [String] {
    let own = "w\(worker)-\(index)"
    let shared = "s\(Int.random(in: 0..<4, using: &random))"
    var operation: [String]
    switch Int.random(in: 0..<10, using: &random) {
    case 0, 1: operation = ["publish", "demo", own] + entries(own, 2)
    case 2, 3: operation = ["switch", "demo", shared]
    case 4: operation = ["switch", "demo", "w\(worker)-base"]
    case 5, 6: operation = ["rollback", "demo"]
    case 7: operation = ["gc", "--keep", "2"]
    case 8: operation = ["repair"]
    default: operation = ["status", "--json"]
    }
    return Bool.random(using: &random) && Int.random(in: 0..<3, using: &random) == 0 ? ["--no-wait"] + operation : operation
}

@Suite("Concurrent writer processes with readers and verify (docs/reliability.md, \"Concurrency\")")
struct ConcurrencyProofTests {
    @Test("8 writer processes × random operations, readers through current, verify alongside: no reader failure, no false alarm, every error a clean busy")
    func writersReadersAndVerify() throws {
        let fixture = try CLIFixture("concurrency-proof")
        defer { fixture.remove() }
        let (workers, operations) = (8, isLongMode ? 300 : 40)
        for shared in 0..<4 { try fixture.succeed(["publish", "demo", "s\(shared)"] + entries("s\(shared)", 2)) }
        for worker in 0..<workers {
            try fixture.succeed(["publish", "demo", "w\(worker)-base"] + entries("w\(worker)-base", 2))
        }
        try fixture.succeed(["switch", "demo", "s0"])
        try fixture.succeed(["switch", "demo", "s1"])
        let root = fixture.root
        let unclean = Mutex<[String]>([])
        let busy = Atomic<Int>(0)
        let verifies = Atomic<Int>(0)
        let alarms = Mutex<[String]>([])
        let counters = ReaderHarness.run(
            readers: 2, lookups: [.readLink], paths: [root + "/demo/current/tools/t0", root + "/demo/current/tools/t1"],
            until: { _ in false }
        ) { counters in
            let verifier = JoinableThread {
                while !counters.stopped {
                    guard let result = try? snapExport(["--root", root, "verify"]) else { continue }
                    verifies.add(1, ordering: .relaxed)
                    if result.status != 0 {
                        alarms.withLock { $0.append(result.stdout + result.stderr) }
                    }
                }
            }
            let writers = (0..<workers).map { worker in
                JoinableThread {
                    var random = SeededGenerator(seed: proofSeed &+ UInt64(worker))
                    for index in 0..<operations {
                        let operation = randomOperation(worker, index, &random)
                        do {
                            let result = try snapExport(["--root", root] + operation)
                            if result.status == 75 && result.stderr.contains("another writer holds the lock") {
                                busy.add(1, ordering: .relaxed)
                            } else if result.status != 0 || result.signaled {
                                unclean.withLock { $0.append("\(operation) exited \(result.status): \(result.stderr)") }
                            }
                        } catch {
                            unclean.withLock { $0.append("\(operation): \(error)") }
                        }
                        counters.flips.add(1, ordering: .relaxed)
                    }
                }
            }
            for writer in writers { writer.join() }
            counters.done.store(true, ordering: .releasing)
            verifier.join()
        }
        let totals = counters.totals
        print(
            "concurrency (seed \(proofSeed)): \(workers) writers × \(operations) operations, \(busy.load(ordering: .relaxed)) busy, "
                + "\(totals.lookups) reader lookups (\(totals.failures) failed), \(verifies.load(ordering: .relaxed)) verify runs "
                + "(\(alarms.withLock { $0.count }) alarms)")
        #expect(totals.failures == 0, "\(counters.firstFailure.withLock { $0 } ?? "")")
        #expect(totals.lookups > 0 && verifies.load(ordering: .relaxed) > 0)
        #expect(unclean.withLock { $0 }.isEmpty, "\(unclean.withLock { $0.prefix(5) })")
        // verify holds the lock shared (issue 9, item 8): it never sees a running writer's work.
        let falseAlarms = alarms.withLock { $0 }
        #expect(falseAlarms.isEmpty, "\(falseAlarms.count) alarms, first: \(falseAlarms.first ?? "")")
        #expect(try fixture.run(["verify"]).status == 0)
    }

    @Test("a writer killed (SIGKILL) at a random moment: current complete, repair then verify clean, every time")
    func randomKills() throws {
        let fixture = try CLIFixture("kill-proof")
        defer { fixture.remove() }
        for shared in 0..<4 { try fixture.succeed(["publish", "demo", "s\(shared)"] + entries("s\(shared)", 9)) }
        try fixture.succeed(["switch", "demo", "s0"])
        try fixture.succeed(["switch", "demo", "s1"])
        var random = SeededGenerator(seed: proofSeed)
        let iterations = isLongMode ? 400 : 40
        // How long an unkilled writer takes here and now (the machine may be loaded): kills are spread over that.
        var durations: [UInt64] = []
        for index in 0..<3 {
            let start = DispatchTime.now().uptimeNanoseconds
            try fixture.succeed(["publish", "demo", "m\(index)"] + entries("m\(index)", 9))
            durations.append((DispatchTime.now().uptimeNanoseconds - start) / 1000)
        }
        let typical = UInt32(clamping: durations.sorted()[1])
        var killed = 0
        for index in 0..<iterations {
            let operation: [String]
            switch index % 4 {
            case 0: operation = ["publish", "demo", "k\(index)"] + entries("k\(index)", 9)
            case 1: operation = ["switch", "demo", "s\(Int.random(in: 0..<4, using: &random))"]
            case 2: operation = ["rollback", "demo"]
            default: operation = ["gc", "--grace", "0", "--keep", "1"]
            }
            // The kill moment is the random point under test, not a synchronisation.
            let delay = UInt32.random(in: typical / 4..<typical * 3 / 2 + 1, using: &random)
            let result = try snapExport(["--root", fixture.root] + operation) { pid in
                usleep(delay)
                kill(pid, SIGKILL)
            }
            if result.signaled { killed += 1 }
            let current = fixture.root + "/demo/current/tools/t0"
            var st = stat()
            #expect(lstat(current, &st) == 0, "iteration \(index) (\(operation), \(delay) µs): current/tools/t0 missing")
            let repair = try fixture.run(["repair"])
            let verify = try fixture.run(["verify"])
            #expect(repair.status == 0 && verify.status == 0, "iteration \(index) (\(operation), \(delay) µs): \(verify.stdout)")
        }
        print("random kills (seed \(proofSeed)): an unkilled publish takes \(typical) µs; \(iterations) iterations, \(killed) killed before they finished, \(iterations - killed) finished")
        #expect(killed > 0)
    }
}
