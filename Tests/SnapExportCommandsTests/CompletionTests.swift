import Foundation
@testable import SnapExportCommands
import Testing
import TestSupport

/// Runs the completion script of `shell` in that real shell: sources `snap-export completion SHELL`, then for
/// each case sets `COMP_WORDS` (the words, the last one being completed) and `COMP_CWORD`, calls the function
/// and collects `COMPREPLY`.
private func complete(_ shell: String, _ cases: [[String]], environment: [String: String?] = [:]) throws
    -> [[String]]
{
    let binary = TestEnvironment.snapExport
    func quoted(_ word: String) -> String { "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'" }
    var script = "source <(\(quoted(binary)) completion \(shell)) || exit 97\n"
    if shell == "zsh" { script += "setopt ksharrays\n" }  // as zsh's _bash_complete runs a bash function
    script += """
        t() {
            COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=()
            _snap_export
            printf 'reply'; printf '\\t%s' "${COMPREPLY[@]}"; printf '\\n'
        }

        """
    for words in cases { script += "t " + ([binary] + words).map(quoted).joined(separator: " ") + "\n" }
    let arguments =
        shell == "zsh"
        ? ["/usr/bin/env", "zsh", "-f", "-c", script] : ["/usr/bin/env", "bash", "--norc", "-c", script]
    let result = try run(arguments, environment: environment)
    try #require(result.status == 0, "\(shell): \(result.stderr)")
    let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false).filter { $0.hasPrefix("reply") }
    try #require(lines.count == cases.count, "\(result.stdout)\n\(result.stderr)")
    return lines.map { $0.split(separator: "\t").dropFirst().map(String.init) }
}

@Suite("Shell completion, generated from the command registry, in a real bash (and zsh)")
struct CompletionTests {
    static let visible = Commands.all.filter { !$0.hidden }
    static let globals = GlobalOptions.syntax.map { $0.name }

    @Test("every command of the registry is offered by its first letters; the hidden helper is not")
    func commands() throws {
        let cases = Self.visible.map { [String($0.name.prefix(2))] } + [["__"], [""]]
        let replies = try complete("bash", cases)
        for (command, reply) in zip(Self.visible, replies) { #expect(reply.contains(command.name), "\(reply)") }
        #expect(replies[cases.count - 2].isEmpty)
        #expect(Set(replies[cases.count - 1]) == Set(Self.visible.map { $0.name } + ["help"]))
    }

    @Test("every option of every command, and the global ones, after '--'")
    func options() throws {
        let commands = Commands.all
        let replies = try complete("bash", commands.map { [$0.name, "--"] } + [["--r"]])
        for (command, reply) in zip(commands, replies) {
            let expected = command.syntax.options.map { $0.name } + Self.globals
            #expect(Set(reply) == Set(expected), "\(command.name)")
        }
        #expect(replies.last == ["--root"])
    }

    @Test("exported names and generations come from the root given with --root or SNAP_EXPORT_ROOT")
    func namesAndGenerations() throws {
        let fixture = try CLIFixture()
        defer { fixture.remove() }
        try fixture.populate()
        try fixture.succeed(["publish", "with space", "g1", "--entry", "tools/a=/a"])
        let root = fixture.root
        let replies = try complete(
            "bash",
            [
                ["--root", root, "switch", ""], ["--root", root, "switch", "de"],
                ["--root", root, "switch", "demo", ""],
                ["--root=" + root, "rollback", "s"], ["status", "--root", root, "--json", ""],
                ["--root", root, "mount-tools", "--name", ""], ["--root", root, "switch", "demo", "g1", ""],
                ["--root", root, "switch", "nothing", ""], ["--root", root + "/absent", "status", ""],
            ])
        #expect(Set(replies[0]) == ["demo", "solo", "with space"])
        #expect(replies[1] == ["demo"])
        #expect(replies[2] == ["g1", "g2"])
        #expect(replies[3] == ["solo"])
        #expect(Set(replies[4]) == ["demo", "solo", "with space"])
        #expect(Set(replies[5]) == ["demo", "solo", "with space"])
        #expect(replies[6].isEmpty, "no third operand")
        #expect(replies[7].isEmpty && replies[8].isEmpty, "nothing, and no error, for what is not there")
        let viaEnvironment = try complete("bash", [["status", ""]], environment: ["SNAP_EXPORT_ROOT": root])
        #expect(Set(viaEnvironment[0]) == ["demo", "solo", "with space"])
    }

    @Test("choices, directories and files where the registry says so")
    func valuesOfOptionsAndOperands() throws {
        let temp = try TemporaryDirectory("completion-test")
        defer { temp.remove() }
        try FileManager.default.createDirectory(atPath: temp.appending("dir-a"), withIntermediateDirectories: true)
        try Data().write(to: URL(fileURLWithPath: temp.appending("file-a.json")))
        let replies = try complete(
            "bash",
            [
                ["mount-tools", "--mode", ""], ["completion", ""], ["help", "ro"], ["--root", temp.path + "/"],
                ["publish", "--manifest", temp.path + "/file"], ["gc", "--keep", ""], ["mount-tools", "--mode=", ""],
            ])
        #expect(replies[0] == ["pin", "follow"])
        #expect(replies[1] == ["bash", "zsh"])
        #expect(replies[2] == ["rollback"])
        #expect(replies[3] == [temp.appending("dir-a")])
        #expect(replies[4] == [temp.appending("file-a.json")])
        #expect(replies[5].isEmpty)
        #expect(replies[6].isEmpty)
    }

    @Test("the zsh script gives the same words", .enabled(if: TestEnvironment.has("zsh"), "needs zsh"))
    func zsh() throws {
        let fixture = try CLIFixture()
        defer { fixture.remove() }
        try fixture.populate()
        let cases = [
            ["--root", fixture.root, "switch", "demo", ""], ["st"], ["mount-tools", "--mode", ""], ["status", "--j"],
        ]
        let fromZsh = try complete("zsh", cases, environment: ["HOME": fixture.directory.path])
        #expect(fromZsh == (try complete("bash", cases)))
        #expect(fromZsh[0] == ["g1", "g2"])
    }

    @Test("completion rejects a shell it does not know")
    func unknownShell() throws {
        let fixture = try CLIFixture()
        defer { fixture.remove() }
        let result = try fixture.run(["completion", "fish"])
        #expect(result.status == 64)
        #expect(result.stderr.hasPrefix("snap-export: completion: SHELL must be bash or zsh, not 'fish'"))
    }
}
