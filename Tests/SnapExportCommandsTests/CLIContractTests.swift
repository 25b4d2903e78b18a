import Foundation
@testable import SnapExportCommands
import Testing
import TestSupport

/// Every command of the registry, by name, for table-driven tests: a new command is covered without a line here.
let registeredCommands: [String] = Commands.all.map { $0.name }

@Suite("One contract for every command: arguments checked before anything runs, diagnostics on stderr")
struct CLIContractTests {
    /// Operands that fill every declared operand of `command` (none of them need exist).
    static func operands(_ command: any Command.Type) -> [String] {
        command.syntax.operands.enumerated().map { index, _ in "operand\(index)" }
    }

    @Test(
        "an operand beyond the declared ones is a usage error naming it, and nothing is done",
        arguments: registeredCommands)
    func extraOperandIsRejected(_ name: String) throws {
        let command = try #require(Commands.named(name))
        let fixture = try CLIFixture(marked: false)
        defer { fixture.remove() }
        let result = try fixture.run([name] + Self.operands(command) + ["extra-operand", "second-extra"])
        #expect(result.status == 64)
        #expect(
            result.stderr.hasPrefix("snap-export: \(name): unexpected argument 'extra-operand'\n"), "\(result.stderr)")
        #expect(result.stderr.contains("snap-export: usage: snap-export \(command.usage)\n"))
        #expect(result.stdout.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: fixture.root), "\(name) created the root")
    }

    @Test("an unknown option is a usage error naming it", arguments: registeredCommands)
    func unknownOptionIsRejected(_ name: String) throws {
        let command = try #require(Commands.named(name))
        let fixture = try CLIFixture(marked: false)
        defer { fixture.remove() }
        let result = try fixture.run([name, "--no-such-option"] + Self.operands(command))
        #expect(result.status == 64)
        #expect(result.stderr.hasPrefix("snap-export: \(name): unknown option --no-such-option\n"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: fixture.root))
    }

    @Test("the built binary rejects an extra operand the same way")
    func childProcessRejectsExtraOperand() throws {
        let fixture = try CLIFixture()
        defer { fixture.remove() }
        let result = try fixture.run(["verify", "now"], .child)
        #expect(result.status == 64)
        #expect(result.stderr.hasPrefix("snap-export: verify: unexpected argument 'now'\n"))
    }

    @Test("the usage line shows exactly the declared options, and the operands in order", arguments: registeredCommands)
    func usageMatchesSyntax(_ name: String) throws {
        let command = try #require(Commands.named(name))
        let words = command.usage.split(whereSeparator: { " []()|.=".contains($0) }).map(String.init)
        let shown = Set(words.filter { $0.hasPrefix("--") })
        #expect(shown == Set(command.syntax.options.map(\.name)), "\(name)")
        let placeholders = command.syntax.operands.map(\.placeholder)
        let positions = placeholders.compactMap { words.firstIndex(of: $0) }
        #expect(positions.count == placeholders.count && positions == positions.sorted(), "\(name): \(placeholders)")
        // Every option also appears in --help's details or the usage line, which --help prints.
        #expect(SnapExportTool.help(for: command).contains(command.usage))
    }

    @Test("the global options completion knows are the ones --help describes")
    func globalOptionsMatchTheirUsage() {
        let words = GlobalOptions.usage.split(whereSeparator: { " ,()".contains($0) || $0.isNewline })
        let shown = Set(words.filter { $0.hasPrefix("--") }.map(String.init))
        #expect(shown == Set(GlobalOptions.syntax.map { $0.name }))
    }

    /// Invocations that fail or warn; each one's standard error must be only `snap-export: ` lines.
    @Test("every line on standard error starts with 'snap-export: '")
    func oneErrorPrefix() throws {
        let world = try SnapdCommandWorld()
        defer { world.directory.remove() }
        try world.write("snap/core/7/meta/snap.yaml", "name: core\nversion: [\ntype: os\n")
        let cases: [[String]] = [
            ["no-such-command"], ["--no-such-global"], ["status", "a", "b"], ["switch", "demo"],
            ["switch", "demo", "g9"],
            ["rollback", "nothing"], ["publish", "demo", "g1", "--manifest", world.base + "/absent.json"],
            ["refresh", "--dry-run"], ["explain"], ["gc", "--grace", "soon"], ["help", "nope"],
            ["link", "snapd", "99"],
        ]
        for arguments in cases {
            let result = world.run(arguments)
            let lines = result.err.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
            #expect(result.err.hasSuffix("\n") || result.err.isEmpty, "\(arguments)")
            for line in lines { #expect(line.hasPrefix("snap-export: "), "\(arguments): \(line)") }
        }
        // The warnings case did warn, and the failures failed, so the loop above checked something.
        #expect(world.run(["explain"]).err.contains("snap-export: warning: "))
        let refused = world.run(["switch", "demo", "g9"]).err
        #expect(refused.hasPrefix("snap-export: switch: \(world.base)/export: not an export root"), "\(refused)")
    }

    @Test(
        "what repair and gc cannot remove goes to standard error with the prefix, never to standard output",
        .enabled(if: TestEnvironment.isRoot && TestEnvironment.has("unshare"), "needs root and unshare(1)"),
        arguments: ["repair", "gc"])
    func leftoversOnStandardError(_ command: String) throws {
        let fixture = try CLIFixture()
        defer { fixture.remove() }
        try fixture.succeed(["publish", "demo", "g1", "--entry", "tools/a=/a"])
        let mountPoint = fixture.root + "/.trash/x/m"
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        let out = fixture.directory.appending("out")
        let script = """
            mount -t tmpfs none '\(mountPoint)' || exit 99
            '\(TestEnvironment.snapExport)' --root '\(fixture.root)' \(command) >'\(out)'
            """
        let result = try run(["/usr/bin/unshare", "-m", "--propagation", "private", "/bin/sh", "-c", script])
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stderr.contains("snap-export: left \(mountPoint)"), "\(result.stderr)")
        for line in result.stderr.split(separator: "\n") { #expect(line.hasPrefix("snap-export: "), "\(line)") }
        let stdout = try String(contentsOfFile: out, encoding: .utf8)
        #expect(!stdout.contains("left"), "\(stdout)")
    }
}
