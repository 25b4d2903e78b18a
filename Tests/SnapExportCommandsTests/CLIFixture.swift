import Foundation
import GenerationStore
import GenerationStoreTesting
import Glibc
import SnapExportCommands
import TestSupport

/// How a test runs `snap-export`: in-process through `SnapExportTool.run`, or as the built executable.
enum CLIRunner: String, CaseIterable, Sendable {
    case inProcess, child
}

/// What one `snap-export` invocation left.
struct CLIResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// An export root in a fresh temporary directory, driven through the command line.
struct CLIFixture {
    let directory: TemporaryDirectory
    let root: String

    /// The root is made an export root (`TestRoots.make`: the directory and its marker), so tests that build a
    /// tree by hand build it in a root; with `marked` false the path is left absent.
    init(_ prefix: String = "cli-test", root child: String = "export", marked: Bool = true) throws {
        directory = try TemporaryDirectory(prefix)
        root = directory.appending(child)
        if marked { try TestRoots.make(root) }
    }

    func remove() { directory.remove() }

    /// Runs `snap-export --root <root> arguments…` in-process (the default) or as a child process.
    @discardableResult
    func run(_ arguments: [String], _ runner: CLIRunner = .inProcess) throws -> CLIResult {
        let all = ["--root", root] + arguments
        switch runner {
        case .inProcess:
            let console = CapturedConsole()
            let status = SnapExportTool.run(all, environment: [:], console: console)
            return CLIResult(status: status, stdout: console.output, stderr: console.errors)
        case .child:
            let result = try snapExport(all, environment: ["SNAP_EXPORT_FAULT": nil, "SNAP_EXPORT_ROOT": nil])
            return CLIResult(
                status: result.signaled ? 128 + result.status : result.status, stdout: result.stdout,
                stderr: result.stderr)
        }
    }

    /// Runs a command that must succeed; returns its standard output.
    @discardableResult
    func succeed(_ arguments: [String]) throws -> String {
        let result = try run(arguments)
        guard result.status == 0 else {
            throw CLIFailure(
                message: "snap-export \(arguments.joined(separator: " ")) exited \(result.status): \(result.stderr)")
        }
        return result.stdout
    }

    /// `status --json`, byte for byte.
    func statusJSON() throws -> String { try succeed(["status", "--json"]) }

    /// Every path below the root with its kind and link target, sorted: a snapshot of everything on disk.
    func snapshot() -> [String] {
        var lines: [String] = []
        guard let walker = FileManager.default.enumerator(atPath: root) else { return [] }
        while let relative = walker.nextObject() as? String {
            let path = root + "/" + relative
            var st = stat()
            guard lstat(path, &st) == 0 else { continue }
            var buffer = [CChar](repeating: 0, count: 4097)
            let count = readlink(path, &buffer, 4096)
            let target = count >= 0 ? " -> " + String(cString: Array(buffer[0..<count]) + [0]) : ""
            lines.append("\(relative) \(st.st_mode & S_IFMT)\(target)")
        }
        return lines.sorted()
    }

    /// A root with `demo` (g1, g2; current g2, previous g1) and `solo` (g1 current, no previous).
    func populate() throws {
        try succeed(["publish", "demo", "g1", "--entry", "tools/a=/opt/g1/a", "--entry", "tools/b=/opt/g1/b"])
        try succeed(["publish", "demo", "g2", "--entry", "tools/a=/opt/g2/a", "--entry", "man/man1/a.1=/opt/g2/a.1"])
        try succeed(["switch", "demo", "g1"])
        try succeed(["switch", "demo", "g2"])
        try succeed(["publish", "solo", "g1", "--entry", "tools/a=/opt/solo/a"])
        try succeed(["switch", "solo", "g1"])
    }
}

struct CLIFailure: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
