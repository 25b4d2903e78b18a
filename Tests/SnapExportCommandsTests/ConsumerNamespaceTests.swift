import Foundation
import GenerationStore
import Glibc
import Synchronization
import Testing
import TestSupport

/// The consumer side with real mount namespaces: pin held through gc, follow through thousands of flips.
@Suite(.serialized, .enabled(if: TestEnvironment.isRoot && TestEnvironment.has("unshare"), "needs root and unshare(1)"))
struct ConsumerNamespaceTests {
    /// A script started with /bin/sh in a new private mount namespace, not waited for. It says it is ready by
    /// writing a line `ready` to its standard output, which is a pipe to the test.
    final class NamespaceScript {
        let process = Process()
        private let output = Pipe()

        init(_ script: String, _ environment: [String: String]) throws {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
            process.arguments = ["-m", "--propagation", "private", "/bin/sh", "-c", script]
            var env = ProcessInfo.processInfo.environment
            for (key, value) in environment { env[key] = value }
            process.environment = env
            process.standardOutput = output
            process.standardError = FileHandle(forWritingAtPath: environment["ERR"] ?? "/dev/null")
            try process.run()
        }

        /// Blocks until the script writes the line `ready` (true), or ends or stays silent for 20 s (false).
        /// Lines before it (what the commands it runs print) are passed over.
        func ready() -> Bool {
            let fd = output.fileHandleForReading.fileDescriptor
            var line: [UInt8] = []
            while true {
                var request = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                guard poll(&request, 1, 20_000) == 1 else { return false }
                var byte: UInt8 = 0
                guard read(fd, &byte, 1) == 1 else { return false }  // end of file: the script ended
                if byte != UInt8(ascii: "\n") {
                    line.append(byte)
                } else if String(decoding: line, as: UTF8.self) == "ready" {
                    return true
                } else {
                    line = []
                }
            }
        }

        /// Kills the script if it still runs and waits for it.
        func kill() {
            if process.isRunning { Glibc.kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
    }

    @Test func aPinnedGenerationIsKeptWhileItsNamespaceLivesAndRemovedAfter() throws {
        let world = try GCWorld()
        defer { world.remove() }
        for revision in ["1", "2", "3"] { try world.publishSnap("snapd", revision) }
        try world.switchTo("1")
        let into = world.base + "/usr-lib-snapd"
        try FileManager.default.createDirectory(atPath: into, withIntermediateDirectories: true)
        let err = world.base + "/err"
        _ = FileManager.default.createFile(atPath: err, contents: nil)
        let holder = try NamespaceScript(
            "\"$BIN\" --root \"$ROOT\" mount-tools --into \"$INTO\" --mode pin && [ -e \"$INTO/snap-exec\" ] "
                + "&& echo ready && exec sleep 300",
            ["BIN": TestEnvironment.snapExport, "ROOT": world.root, "INTO": into, "ERR": err])
        defer { holder.kill() }
        #expect(holder.ready(), "\((try? String(contentsOfFile: err, encoding: .utf8)) ?? "")")
        let pid = Int(holder.process.processIdentifier)

        // A refresh to a new provider, then another: 1 is neither current nor previous, and its snap is gone.
        try world.switchTo("2")
        try world.switchTo("3")
        try world.removeSnap("snapd", "1")
        let inUse = try parsedJSON(try world.cli(["in-use", "--json"]).stdout)
        let holds = (inUse["holds"] as? [[String: Any]]) ?? []
        #expect(holds.count == 1)
        #expect(holds.first?["generation"] as? String == "1")
        #expect((holds.first?["pids"] as? [Int])?.contains(pid) == true)

        let kept = try world.cli(["gc", "--grace", "0", "--keep", "0", "--json"])
        let json = try parsedJSON(kept.stdout)
        #expect(generations(json, "removed").isEmpty)
        #expect(reasonCodes(json, "1") == ["in-use", "source-gone"])
        let text = try world.cli(["gc", "--grace", "0", "--keep", "0", "--dry-run"]).stdout
        #expect(text.contains("kept snapd/1: in use by mnt:["), "\(text)")
        #expect(text.contains("pid \(pid)"), "\(text)")
        #expect(world.generations() == ["1", "2", "3"])

        holder.kill()
        let removed = try parsedJSON(try world.cli(["gc", "--grace", "0", "--keep", "0", "--json"]).stdout)
        #expect(generations(removed, "removed") == ["snapd/1"])
        #expect(world.generations() == ["2", "3"])
    }

    @Test func followingReadersResolveEveryToolThroughFiveThousandFlipsAndAConcurrentGC() throws {
        let world = try GCWorld()
        defer { world.remove() }
        for revision in ["1", "2", "3", "4"] { try world.publishSnap("snapd", revision) }
        // 4: its snap is gone and it was published an hour ago: the one generation gc may remove.
        try world.removeSnap("snapd", "4")
        let manifestPath = world.root + "/snapd/4/.manifest.json"
        // Aged in place, its layout (format 2: header first) kept: only the number changes.
        let text = try String(contentsOfFile: manifestPath, encoding: .utf8)
        let line = try #require(text.split(separator: "\n").first { $0.hasPrefix("  \"published\": ") })
        let aged = "  \"published\": \(SystemClock.wallNanoseconds() - 3_600_000_000_000),"
        try text.replacingOccurrences(of: String(line), with: aged).write(
            toFile: manifestPath, atomically: false, encoding: .utf8)
        // The header cache keeps the header as published (docs/format.md, "The header cache"): gone with it, gc reads
        // the aged manifest.
        try FileManager.default.removeItem(atPath: world.root + "/snapd/" + Layout.headers)
        try world.switchTo("1")

        let into = world.base + "/usr-lib-snapd"
        try FileManager.default.createDirectory(atPath: into, withIntermediateDirectories: true)
        let (stop, out, err) = (world.base + "/stop", world.base + "/out", world.base + "/err")
        for file in [out, err] { _ = FileManager.default.createFile(atPath: file, contents: nil) }
        let tools = GCWorld.tools.joined(separator: " ")
        let reader = try NamespaceScript(
            """
            "$BIN" --root "$ROOT" mount-tools --into "$INTO" --mode follow || exit 3
            echo ready
            n=0; f=0
            while [ ! -e "$STOP" ]; do
                for t in \(tools); do
                    [ -e "$INTO/$t" ] || { f=$((f+1)); echo "missing $t" >&2; }
                done
                n=$((n+1))
            done
            echo "$n $f" > "$RESULT"
            """,
            [
                "BIN": TestEnvironment.snapExport, "ROOT": world.root, "INTO": into, "STOP": stop, "RESULT": out,
                "ERR": err,
            ])
        defer { reader.kill() }
        #expect(reader.ready(), "\((try? String(contentsOfFile: err, encoding: .utf8)) ?? "")")

        // gc runs again and again while the flips go on: a pass as soon as 50 more flips were made since the last.
        let flips = FlipCount()
        let gcOutputs = Mutex<[ProcessResult]>([])
        let gcThread = JoinableThread {
            var seen = 0
            while let count = flips.wait(until: seen + 50) {
                seen = count
                if let result = try? world.cli(["gc", "--keep", "0", "--json"]) {
                    gcOutputs.withLock { $0.append(result) }
                }
            }
        }
        let store = ExportStore(root: world.root, faults: .none)
        var switchFailures: [String] = []
        let cycle = ["2", "3", "1"]
        for index in 0..<5_000 {
            do {
                _ = try store.withWriter { try $0.switchCurrent(name: "snapd", to: cycle[index % 3]) }
            } catch {
                switchFailures.append("\(error)")
            }
            flips.add()
        }
        flips.finish()
        gcThread.join()
        _ = FileManager.default.createFile(atPath: stop, contents: nil)
        reader.process.waitUntilExit()

        let counts = ((try? String(contentsOfFile: out, encoding: .utf8)) ?? "").split(whereSeparator: \.isWhitespace)
        #expect(reader.process.terminationStatus == 0)
        #expect(
            counts.count == 2 && counts.last == "0",
            "reader: \(counts) \((try? String(contentsOfFile: err, encoding: .utf8)) ?? "")")
        #expect((counts.first.flatMap { Int($0) } ?? 0) > 0)
        #expect(switchFailures.isEmpty, "\(switchFailures.prefix(3))")
        let results = gcOutputs.withLock { $0 }
        #expect(!results.isEmpty)
        print(
            "follow: \(counts.first ?? "?") reader rounds of \(GCWorld.tools.count) tools, 5000 flips, "
                + "\(results.count) gc passes"
        )
        var removed: [String] = []
        for result in results {
            #expect(result.status == 0, "\(result.stderr)")
            if let json = try? parsedJSON(result.stdout) { removed += generations(json, "removed") }
        }
        #expect(removed == ["snapd/4"])
        #expect(world.generations() == ["1", "2", "3"])
        #expect(try world.cli(["verify"]).status == 0)
    }

    @Test func mountToolsRefusesTheHostNamespaceAndMissingInputsAndLeavesNoMount() throws {
        let world = try GCWorld()
        defer { world.remove() }
        let into = world.base + "/usr-lib-snapd"
        try FileManager.default.createDirectory(atPath: into, withIntermediateDirectories: true)
        // No current generation yet.
        let script = """
            "$BIN" --root "$ROOT" mount-tools --into "$INTO"; echo "no-current=$?"
            "$BIN" --root "$ROOT" mount-tools --into "$INTO/missing"; echo "missing-dir=$?"
            "$BIN" --root "$ROOT" mount-tools --into "$INTO" --mode sideways; echo "bad-mode=$?"
            echo "mounts=$(awk -v d="$INTO" '$5 == d' /proc/self/mountinfo | wc -l)"
            """
        let environment = ["BIN": TestEnvironment.snapExport, "ROOT": world.root, "INTO": into]
        let empty = try run(
            ["/usr/bin/unshare", "-m", "--propagation", "private", "/bin/sh", "-c", script], environment: environment)
        #expect(empty.stdout.contains("no-current=66"), "\(empty.stdout)\(empty.stderr)")
        #expect(empty.stderr.contains("snapd has no current generation"))
        #expect(empty.stdout.contains("missing-dir=66"))
        #expect(empty.stdout.contains("bad-mode=64"))
        #expect(empty.stdout.contains("mounts=0"))

        try world.publishSnap("snapd", "1")
        try world.switchTo("1")
        let host = try world.cli(["mount-tools", "--into", into])
        #expect(host.status == 1)
        #expect(host.stderr.contains("host's mount namespace"))
        let shared = try run(
            [
                "/usr/bin/unshare", "-m", "--propagation", "shared", TestEnvironment.snapExport, "--root", world.root,
                "mount-tools", "--into", into, "--mode", "follow",
            ])
        #expect(shared.status == 1)
        #expect(shared.stderr.contains("shared mount"))
        let mountinfo = try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)
        #expect(!mountinfo.contains(" \(into) "))
    }
}

/// The flips made so far, for a thread that waits for them (a condition variable, not a poll).
final class FlipCount: @unchecked Sendable {
    private let condition = NSCondition()
    private var count = 0
    private var finished = false

    func add() {
        condition.withLock { count += 1 }
        condition.broadcast()
    }

    /// No more flips: every waiter returns nil.
    func finish() {
        condition.withLock { finished = true }
        condition.broadcast()
    }

    /// Blocks until `target` flips were made (returns how many there are) or flipping finished (nil).
    func wait(until target: Int) -> Int? {
        condition.withLock {
            while count < target && !finished { condition.wait() }
            return finished ? nil : count
        }
    }
}
