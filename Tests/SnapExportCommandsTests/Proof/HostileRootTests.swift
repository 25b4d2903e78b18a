import Foundation
import Glibc
import Synchronization
import Testing
import TestSupport

/// One thing an attacker with write access below the export root (or to a snap) plants, and where.
struct Plant: Sendable, CustomTestStringConvertible {
    var label: String
    /// True when planting needs root (device nodes, bind mounts).
    var needsRoot = false
    /// A known failure this plant shows, with the finding it is filed under.
    var knownIssue: String? = nil
    /// A planted path (root-relative) that the commands must have removed by the end (repair and gc finish `.trash`).
    var removed: String? = nil
    /// Plants it: given the root and a directory outside the root holding the attacker's target (`outside/victim`,
    /// a file, and `outside/dir/keep`, a file in a directory). Returns a shell line to run before each command
    /// (inside a private mount namespace), if any.
    var plant: @Sendable (_ root: String, _ outside: String) throws -> String?
    var testDescription: String { label }
}

@Sendable func symlink(_ target: String, _ path: String) throws {
    try FileManager.default.createDirectory(
        atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    guard Glibc.symlink(target, path) == 0 else { throw CLIFailure(message: "symlink \(path): errno \(errno)") }
}

@Sendable func fifo(_ path: String) throws {
    try FileManager.default.createDirectory(
        atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    guard mkfifo(path, 0o644) == 0 else { throw CLIFailure(message: "mkfifo \(path): errno \(errno)") }
}

@Sendable func replaceWithSymlink(_ target: String, _ path: String) throws {
    _ = try? FileManager.default.removeItem(atPath: path)
    try symlink(target, path)
}

let plants: [Plant] = [
    Plant(label: "current -> a directory outside the root") { root, outside in
        try replaceWithSymlink(outside + "/dir", root + "/demo/current")
        return nil
    },
    Plant(label: "previous -> ../../outside (relative escape)") { root, outside in
        try replaceWithSymlink("../../outside/dir", root + "/demo/previous")
        return nil
    },
    Plant(label: ".staging a symlink to a directory outside") { root, outside in
        try? FileManager.default.removeItem(atPath: root + "/.staging")
        try symlink(outside + "/dir", root + "/.staging")
        return nil
    },
    Plant(label: ".trash a symlink to a directory outside") { root, outside in
        try? FileManager.default.removeItem(atPath: root + "/.trash")
        try symlink(outside + "/dir", root + "/.trash")
        return nil
    },
    Plant(label: ".trash/<x> a symlink to a directory outside", removed: ".trash/0000000000000001") { root, outside in
        try symlink(outside + "/dir", root + "/.trash/0000000000000001")
        return nil
    },
    Plant(label: ".trash/<x>/sub a symlink inside a trashed tree", removed: ".trash/0000000000000002") { root, outside in
        try symlink(outside + "/dir", root + "/.trash/0000000000000002/tools/sub")
        return nil
    },
    Plant(label: ".staging/<x>/tools a symlink to a directory outside") { root, outside in
        try symlink(outside + "/dir", root + "/.staging/0000000000000003/tools")
        return nil
    },
    Plant(label: "a set directory of a removable generation a symlink outside") { root, outside in
        try replaceWithSymlink(outside + "/dir", root + "/demo/g3/tools")
        return nil
    },
    Plant(label: "a generation name a symlink to a directory outside") { root, outside in
        try symlink(outside + "/dir", root + "/demo/g9")
        return nil
    },
    Plant(label: "the exported name's directory a symlink outside") { root, outside in
        try symlink(outside + "/dir", root + "/evil")
        return nil
    },
    Plant(label: "a manifest a symlink to a file outside") { root, outside in
        try replaceWithSymlink(outside + "/victim", root + "/demo/g3/.manifest.json")
        return nil
    },
    Plant(label: ".next-<x> a directory, not a link") { root, _ in
        try FileManager.default.createDirectory(atPath: root + "/demo/.next-00000000000000aa/x", withIntermediateDirectories: true)
        return nil
    },
    Plant(label: "a retirement marker pointing outside") { root, outside in
        try symlink(outside + "/dir", root + "/demo/.retired-1-0000000000000004")
        return nil
    },
    Plant(label: "a socket in .trash", removed: ".trash/0000000000000005") { root, _ in
        try FileManager.default.createDirectory(atPath: root + "/.trash/0000000000000005", withIntermediateDirectories: true)
        let result = try run(["/usr/bin/env", "python3", "-c",
            "import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])", root + "/.trash/0000000000000005/sock"])
        guard result.status == 0 else { throw CLIFailure(message: "socket: \(result.stderr)") }
        return nil
    },
    Plant(label: "a device node in .trash", needsRoot: true, removed: ".trash/0000000000000006") { root, _ in
        try FileManager.default.createDirectory(atPath: root + "/.trash/0000000000000006", withIntermediateDirectories: true)
        guard mknod(root + "/.trash/0000000000000006/null", S_IFCHR | 0o600, dev_t(1 << 8 | 3)  /* makedev(1, 3): /dev/null's numbers */) == 0 else {
            throw CLIFailure(message: "mknod: errno \(errno)")
        }
        return nil
    },
    Plant(label: "a bind mount of a directory outside inside .trash", needsRoot: true) { root, outside in
        try FileManager.default.createDirectory(atPath: root + "/.trash/0000000000000007/mnt", withIntermediateDirectories: true)
        return "mount --bind '\(outside)/dir' '\(root)/.trash/0000000000000007/mnt'"
    },
    Plant(label: "a bind mount of a directory outside over a removable generation", needsRoot: true) { root, outside in
        "mount --bind '\(outside)/dir' '\(root)/demo/g3/tools'"
    },
    Plant(label: "a deep tree in .trash (600 levels)", removed: ".trash/0000000000000008") { root, _ in
        var path = root + "/.trash/0000000000000008"
        for _ in 0..<600 { path += "/d" }
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return nil
    },
    Plant(label: "a huge (sparse, 4 GiB) manifest") { root, _ in
        let path = root + "/demo/g3/.manifest.json"
        _ = try? FileManager.default.removeItem(atPath: path)
        guard FileManager.default.createFile(atPath: path, contents: nil), truncate(path, 4 << 30) == 0 else {
            throw CLIFailure(message: "truncate: errno \(errno)")
        }
        return nil
    },
    Plant(label: "a FIFO in place of a manifest") { root, _ in
        _ = try? FileManager.default.removeItem(atPath: root + "/demo/g3/.manifest.json")
        try fifo(root + "/demo/g3/.manifest.json")
        return nil
    },
    Plant(label: ".lock a symlink to a file outside") { root, outside in
        try replaceWithSymlink(outside + "/victim", root + "/.lock")
        return nil
    },
    Plant(label: "a FIFO as a generation") { root, _ in
        try fifo(root + "/demo/g8")
        return nil
    },
    Plant(label: "a snap's exports.json a FIFO (write access to the snap)") { root, outside in
        try fifo(outside + "/../snap/fonts/3/meta/exports.json")
        return nil
    },
    Plant(label: "a snap's exports.json a symlink to a file outside the snap") { root, outside in
        try symlink(outside + "/victim", outside + "/../snap/fonts/3/meta/exports.json")
        return nil
    },
]

/// Runs the built snap-export with a deadline; a run past it is killed and reported as a hang.
func runWithDeadline(_ arguments: [String], seconds: Double) throws -> (result: ProcessResult, hung: Bool) {
    let hung = Atomic<Bool>(false)
    let finished = Atomic<Bool>(false)
    let result = try run(arguments) { pid in
        DispatchQueue.global().asyncAfter(deadline: .now() + seconds) {
            if !finished.load(ordering: .acquiring) {
                hung.store(true, ordering: .releasing)
                kill(pid, SIGKILL)
            }
        }
    }
    finished.store(true, ordering: .releasing)
    return (result, hung.load(ordering: .acquiring))
}

/// A snapshot of a tree: every path with its kind, size, link target and content hash.
func treeSnapshot(_ root: String) -> [String] {
    var lines: [String] = []
    guard let walker = FileManager.default.enumerator(atPath: root) else { return [] }
    while let relative = walker.nextObject() as? String {
        let path = root + "/" + relative
        var st = stat()
        guard lstat(path, &st) == 0 else { continue }
        var line = "\(relative) \(st.st_mode) \(st.st_size)"
        if st.st_mode & S_IFMT == S_IFREG, let data = FileManager.default.contents(atPath: path) {
            line += " " + FileModel.fnv1a(Array(data))
        }
        if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: path) { line += " -> " + target }
        lines.append(line)
    }
    return lines.sorted()
}

@Suite("A hostile root: what an attacker plants below the root cannot make the tool touch anything outside it (docs/security.md)")
struct HostileRootTests {
    /// Every command that reads or writes the root, after the plant.
    static let commands: [[String]] = [
        ["status", "--json"], ["verify"], ["repair"], ["gc", "--grace", "0", "--keep", "0"], ["switch", "demo", "g2"],
        ["rollback", "demo"], ["publish", "demo", "g7", "--entry", "tools/t0=/opt/g7/t0"], ["link", "fonts", "3"],
    ]

    @Test("no command follows the plant outside, changes what is outside, hangs or crashes", arguments: plants)
    func plantIsHarmless(_ plant: Plant) throws {
        if plant.needsRoot && !TestEnvironment.isRoot {
            print("skipped: \(plant.label) needs root")
            return
        }
        let directory = try TemporaryDirectory("hostile-root")
        defer { directory.remove() }
        let (root, outside) = (directory.appending("export"), directory.appending("outside"))
        let files = FileManager.default
        try files.createDirectory(atPath: outside + "/dir", withIntermediateDirectories: true)
        try "secret\n".write(toFile: outside + "/victim", atomically: false, encoding: .utf8)
        try "keep\n".write(toFile: outside + "/dir/keep", atomically: false, encoding: .utf8)
        // A snap whose exports the link command reads.
        let snap = directory.appending("snap/fonts/3")
        try files.createDirectory(atPath: snap + "/meta", withIntermediateDirectories: true)
        try "name: fonts\nversion: 1\ntype: app\n".write(toFile: snap + "/meta/snap.yaml", atomically: false, encoding: .utf8)
        try symlink("3", directory.appending("snap/fonts/current"))
        let base = ["--root", root, "--snap-mount-dir", directory.appending("snap")]
        for command in threeGenerations {
            let result = try snapExport(base + command)
            try #require(result.status == 0, "\(result.stderr)")
        }
        try files.createDirectory(atPath: root + "/.trash", withIntermediateDirectories: true)
        try files.createDirectory(atPath: root + "/.staging", withIntermediateDirectories: true)
        let mount = try plant.plant(root, outside)
        let before = treeSnapshot(outside)
        var problems: [String] = []
        var codes: [String] = []
        for command in Self.commands {
            let line = ([TestEnvironment.snapExport] + base + command).map { "'\($0)'" }.joined(separator: " ")
            let arguments =
                mount.map { ["/usr/bin/env", "unshare", "-m", "--propagation", "private", "/bin/sh", "-c", "\($0) 2>/dev/null; \(line)"] }
                ?? [TestEnvironment.snapExport] + base + command
            let (result, hung) = try runWithDeadline(arguments, seconds: 5)
            if hung {
                problems.append("\(command[0]) hung (killed after 5 s)")
            } else if result.signaled {
                problems.append("\(command[0]) died of signal \(result.status)")
            } else if ![0, 1, 64, 65, 66, 73, 74, 75].contains(result.status) {
                problems.append("\(command[0]) exited \(result.status), not a documented code: \(result.stderr)")
            }
            codes.append("\(command[0]) \(hung ? "hung" : String(result.status))")
            let after = treeSnapshot(outside)
            if after != before {
                problems.append("\(command[0]) changed what is outside the root: \(Set(before).symmetricDifference(after))")
                break
            }
        }
        var st = stat()
        if let removed = plant.removed, lstat(root + "/" + removed, &st) == 0 {
            problems.append("\(removed) is still there after repair and gc")
        }
        print("plant '\(plant.label)': \(codes.joined(separator: ", "))")
        if let known = plant.knownIssue, !problems.isEmpty {
            withKnownIssue(Comment(rawValue: known)) { Issue.record("\(problems)") }
        } else {
            #expect(problems.isEmpty, "\(plant.label): \(problems)")
        }
    }
}
