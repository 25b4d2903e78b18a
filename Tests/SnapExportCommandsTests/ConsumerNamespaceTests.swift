import Foundation
import GenerationStore
import Glibc
import Testing
import TestSupport

/// The consumer side with real mount namespaces: pin held through gc, follow through thousands of flips.
@Suite(.serialized, .enabled(if: TestEnvironment.isRoot && TestEnvironment.has("unshare"), "needs root and unshare(1)"))
struct ConsumerNamespaceTests {
    /// Starts `script` with /bin/sh in a new private mount namespace, without waiting for it.
    static func startInNamespace(_ script: String, _ environment: [String: String]) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
        process.arguments = ["-m", "--propagation", "private", "/bin/sh", "-c", script]
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        process.environment = env
        process.standardOutput = FileHandle(forWritingAtPath: environment["OUT"] ?? "/dev/null")
        process.standardError = FileHandle(forWritingAtPath: environment["ERR"] ?? "/dev/null")
        try process.run()
        return process
    }

    /// Waits up to 20 s for `path` to exist or `process` to end.
    static func waitFor(_ path: String, _ process: Process) -> Bool {
        for _ in 0..<2000 {
            if FileManager.default.fileExists(atPath: path) { return true }
            if !process.isRunning { return false }
            usleep(10_000)
        }
        return false
    }

    @Test func aPinnedGenerationIsKeptWhileItsNamespaceLivesAndRemovedAfter() throws {
        let world = try GCWorld()
        defer { world.remove() }
        for revision in ["1", "2", "3"] { try world.publishSnap("snapd", revision) }
        try world.switchTo("1")
        let into = world.base + "/usr-lib-snapd"
        try FileManager.default.createDirectory(atPath: into, withIntermediateDirectories: true)
        let ready = world.base + "/ready"
        let err = world.base + "/err"
        _ = FileManager.default.createFile(atPath: err, contents: nil)
        let holder = try Self.startInNamespace(
            "\"$BIN\" --root \"$ROOT\" mount-tools --into \"$INTO\" --mode pin && [ -e \"$INTO/snap-exec\" ] "
                + "&& touch \"$READY\" && exec sleep 300",
            ["BIN": TestEnvironment.snapExport, "ROOT": world.root, "INTO": into, "READY": ready, "ERR": err])
        defer { if holder.isRunning { kill(holder.processIdentifier, SIGKILL) } }
        #expect(Self.waitFor(ready, holder), "\((try? String(contentsOfFile: err, encoding: .utf8)) ?? "")")
        let pid = Int(holder.processIdentifier)

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

        kill(holder.processIdentifier, SIGKILL)
        holder.waitUntilExit()
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
        var manifest =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: manifestPath)))
            as? [String: Any] ?? [:]
        manifest["published"] = Clock.wallNanoseconds() - 3_600_000_000_000
        try JSONSerialization.data(withJSONObject: manifest).write(to: URL(fileURLWithPath: manifestPath))
        try world.switchTo("1")

        let into = world.base + "/usr-lib-snapd"
        try FileManager.default.createDirectory(atPath: into, withIntermediateDirectories: true)
        let (ready, stop, out, err) = (
            world.base + "/ready", world.base + "/stop", world.base + "/out", world.base + "/err"
        )
        for file in [out, err] { _ = FileManager.default.createFile(atPath: file, contents: nil) }
        let tools = GCWorld.tools.joined(separator: " ")
        let reader = try Self.startInNamespace(
            """
            "$BIN" --root "$ROOT" mount-tools --into "$INTO" --mode follow || exit 3
            touch "$READY"
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
                "BIN": TestEnvironment.snapExport, "ROOT": world.root, "INTO": into, "READY": ready, "STOP": stop,
                "RESULT": out, "ERR": err,
            ])
        defer { if reader.isRunning { kill(reader.processIdentifier, SIGKILL) } }
        #expect(Self.waitFor(ready, reader), "\((try? String(contentsOfFile: err, encoding: .utf8)) ?? "")")

        // gc runs again and again while the flips go on.
        let flipping = Flag()
        let gcOutputs = Collected()
        let gcThread = Thread {
            while flipping.isSet {
                if let result = try? world.cli(["gc", "--keep", "0", "--json"]) { gcOutputs.append(result) }
                usleep(50_000)
            }
        }
        flipping.set(true)
        gcThread.start()
        let store = ExportStore(root: world.root, faults: .none)
        var switchFailures: [String] = []
        let cycle = ["2", "3", "1"]
        for index in 0..<5_000 {
            do {
                _ = try store.withWriter { try $0.switchCurrent(name: "snapd", to: cycle[index % 3]) }
            } catch {
                switchFailures.append("\(error)")
            }
        }
        flipping.set(false)
        while !gcOutputs.finished(after: gcThread) { usleep(10_000) }
        _ = FileManager.default.createFile(atPath: stop, contents: nil)
        reader.waitUntilExit()

        let counts = ((try? String(contentsOfFile: out, encoding: .utf8)) ?? "").split(whereSeparator: \.isWhitespace)
        #expect(reader.terminationStatus == 0)
        #expect(
            counts.count == 2 && counts.last == "0",
            "reader: \(counts) \((try? String(contentsOfFile: err, encoding: .utf8)) ?? "")")
        #expect((counts.first.flatMap { Int($0) } ?? 0) > 0)
        #expect(switchFailures.isEmpty, "\(switchFailures.prefix(3))")
        let results = gcOutputs.all
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

/// A boolean shared between the test and a helper thread.
final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set(_ newValue: Bool) { lock.withLock { value = newValue } }
    var isSet: Bool { lock.withLock { value } }
}

/// Results collected by a helper thread.
final class Collected: @unchecked Sendable {
    private let lock = NSLock()
    private var results: [ProcessResult] = []
    func append(_ result: ProcessResult) { lock.withLock { results.append(result) } }
    var all: [ProcessResult] { lock.withLock { results } }
    func finished(after thread: Thread) -> Bool { thread.isFinished }
}
