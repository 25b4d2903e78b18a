import Glibc
import Synchronization

/// How a reader looks up one path, and what counts as found.
public enum PathLookup: Sendable {
    /// `stat` follows every link down to a regular file.
    case statRegularFile
    /// `open` (following every link) succeeds; the descriptor is closed again.
    case open
    /// `lstat` finds a symlink and `readlink` reads its target.
    case readLink

    /// Nil when `path` was found; otherwise why not.
    fileprivate func failure(_ cPath: UnsafeBufferPointer<CChar>) -> String? {
        guard let path = cPath.baseAddress else { return "empty path" }
        switch self {
        case .statRegularFile:
            var st = stat()
            guard stat(path, &st) == 0 else { return String(cString: strerror(errno)) }
            return (st.st_mode & S_IFMT) == S_IFREG ? nil : "not a regular file"
        case .open:
            let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { return String(cString: strerror(errno)) }
            close(fd)
            return nil
        case .readLink:
            var st = stat()
            guard lstat(path, &st) == 0 else { return String(cString: strerror(errno)) }
            guard (st.st_mode & S_IFMT) == S_IFLNK else { return "not a symlink" }
            var buffer = [CChar](repeating: 0, count: 4096)
            return readlink(path, &buffer, buffer.count) > 0 ? nil : String(cString: strerror(errno))
        }
    }
}

/// Counts shared by the reader threads and whatever changes the paths under them (the flipper).
public final class ReaderCounters: Sendable {
    /// Lookups made by all readers.
    public let lookups = Atomic<Int>(0)
    /// Lookups that failed.
    public let failures = Atomic<Int>(0)
    /// Changes made by the flipper (it counts them itself).
    public let flips = Atomic<Int>(0)
    /// Set once the stop condition holds, the flipper failed or the readers were told to finish.
    public let done = Atomic<Bool>(false)
    /// The flipper's error, if it threw.
    public let error = Mutex<String?>(nil)
    /// The first failed lookup: the path and why.
    public let firstFailure = Mutex<String?>(nil)

    public init() {}

    public var stopped: Bool { done.load(ordering: .acquiring) }

    /// The three counts at this moment, printed as "N flips, N lookups, N failed".
    public var totals: Totals {
        Totals(
            lookups: lookups.load(ordering: .relaxed), failures: failures.load(ordering: .relaxed),
            flips: flips.load(ordering: .relaxed))
    }

    public struct Totals: Sendable, CustomStringConvertible {
        public let lookups: Int
        public let failures: Int
        public let flips: Int
        public var description: String { "\(flips) flips, \(lookups) lookups, \(failures) failed" }
    }
}

/// Reader threads looking up paths over and over (for example through a `current` link that something flips)
/// until told to stop, counting every lookup and every failure.
public final class ReaderHarness: Sendable {
    /// What the readers and the flipper share.
    public let counters = ReaderCounters()
    private let threads: [JoinableThread]

    /// Starts one thread per element of `lookups`, each looking up `paths` in turn that way, in rounds of 1,000;
    /// after each round a reader checks `stop`, and once it holds every reader ends.
    public init(
        paths: [String], lookups: [PathLookup],
        until stop: @escaping @Sendable (ReaderCounters) -> Bool = { _ in false }
    ) {
        let counters = counters
        threads = lookups.map { lookup in
            JoinableThread { Self.read(paths, lookup, counters, stop) }
        }
    }

    /// Stops the readers (if the stop condition has not already), waits for every one, and returns the counters.
    @discardableResult
    public func finish() -> ReaderCounters {
        counters.done.store(true, ordering: .releasing)
        for thread in threads { thread.join() }
        return counters
    }

    /// Runs `readers` threads (`lookups` in turn: by default even readers `stat`, odd ones `open`) on `paths` and
    /// one thread running `flipper`, which must change the paths until `counters.stopped` and count each change in
    /// `counters.flips`. Everything ends once `until` holds (or the flipper throws); returns the counters.
    public static func run(
        readers: Int, lookups: [PathLookup] = [.statRegularFile, .open], paths: [String],
        until stop: @escaping @Sendable (ReaderCounters) -> Bool,
        flipper: @escaping @Sendable (ReaderCounters) throws -> Void
    ) -> ReaderCounters {
        let harness = ReaderHarness(
            paths: paths, lookups: (0..<readers).map { lookups[$0 % lookups.count] }, until: stop)
        let counters = harness.counters
        let flipping = JoinableThread {
            do {
                try flipper(counters)
            } catch {
                counters.error.withLock { $0 = "\(error)" }
            }
        }
        flipping.join()
        return harness.finish()
    }

    private static func read(
        _ paths: [String], _ lookup: PathLookup, _ counters: ReaderCounters, _ stop: (ReaderCounters) -> Bool
    ) {
        let cPaths = paths.map { Array($0.utf8CString) }
        var index = 0
        while !counters.stopped {
            var (made, failed) = (0, 0)
            while made < 1000 && !counters.stopped {
                let failure = cPaths[index % cPaths.count].withUnsafeBufferPointer { lookup.failure($0) }
                if let failure {
                    failed += 1
                    let path = paths[index % paths.count]
                    counters.firstFailure.withLock { $0 = $0 ?? "\(path): \(failure)" }
                }
                made += 1
                index += 1
            }
            counters.lookups.add(made, ordering: .relaxed)
            if failed > 0 { counters.failures.add(failed, ordering: .relaxed) }
            if stop(counters) { counters.done.store(true, ordering: .releasing) }
        }
    }
}
