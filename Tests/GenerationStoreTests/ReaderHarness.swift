import Foundation
import Glibc
import Synchronization

/// Counts shared by the reader threads and the flipping thread.
final class FlipCounters: Sendable {
    /// Lookups made by all readers.
    let lookups = Atomic<Int>(0)
    /// Lookups that failed (the path did not resolve to the target file).
    let failures = Atomic<Int>(0)
    /// Flips made by the flipping thread.
    let flips = Atomic<Int>(0)
    /// Set once the stop condition holds (or the flipper failed); every thread then ends.
    let done = Atomic<Bool>(false)
    /// The flipper's error, if it threw.
    let error = Mutex<String?>(nil)

    var stopped: Bool { done.load(ordering: .acquiring) }
}

/// Reader threads resolving paths through `current` (with `stat` and `open`) while one thread flips it.
enum ReaderHarness {
    /// Runs `readers` threads looking up `paths` in turn (even readers `stat`, odd ones `open` + `close`) and one
    /// thread running `flipper`, which must flip until `counters.stopped` and count each flip. Everything ends once
    /// `until` holds. Returns the counters.
    static func run(
        readers: Int, paths: [String], until stop: @escaping @Sendable (FlipCounters) -> Bool,
        flipper: @escaping @Sendable (FlipCounters) throws -> Void
    ) -> FlipCounters {
        let counters = FlipCounters()
        let finished = DispatchSemaphore(value: 0)
        for reader in 0..<readers {
            let usesOpen = reader % 2 == 1
            Thread {
                read(paths, usesOpen: usesOpen, counters, stop)
                finished.signal()
            }.start()
        }
        Thread {
            do {
                try flipper(counters)
            } catch {
                counters.error.withLock { $0 = "\(error)" }
            }
            counters.done.store(true, ordering: .releasing)
            finished.signal()
        }.start()
        for _ in 0...readers { finished.wait() }
        return counters
    }

    private static func read(
        _ paths: [String], usesOpen: Bool, _ counters: FlipCounters, _ stop: @Sendable (FlipCounters) -> Bool
    ) {
        let cPaths = paths.map { Array($0.utf8CString) }
        var index = 0
        while !counters.stopped {
            var failed = 0
            for _ in 0..<1000 {
                let ok = cPaths[index % cPaths.count].withUnsafeBufferPointer { path -> Bool in
                    guard let base = path.baseAddress else { return false }
                    if usesOpen {
                        let fd = open(base, O_RDONLY | O_CLOEXEC)
                        if fd < 0 { return false }
                        close(fd)
                        return true
                    }
                    var st = stat()
                    return stat(base, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG
                }
                if !ok { failed += 1 }
                index += 1
            }
            counters.lookups.add(1000, ordering: .relaxed)
            if failed > 0 { counters.failures.add(failed, ordering: .relaxed) }
            if stop(counters) { counters.done.store(true, ordering: .releasing) }
        }
    }
}
