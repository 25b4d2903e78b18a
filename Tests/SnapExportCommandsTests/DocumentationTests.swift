import Foundation
import SnapExportCommands
import Testing
import TestSupport

/// The repository's root, from this file's path.
private let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path

@Suite("Every command is documented where users look")
struct DocumentationTests {
    /// The command names `snap-export --help` lists.
    static func commands() -> [String] {
        let console = CapturedConsole()
        _ = SnapExportTool.run(["--help"], environment: [:], console: console)
        let list = console.output.components(separatedBy: "Commands:\n").last ?? ""
        return list.split(separator: "\n").prefix { $0.hasPrefix("  ") }
            .compactMap { $0.split(separator: " ").first.map(String.init) }
    }

    @Test func theHelpListsTheCommands() {
        let commands = Self.commands()
        #expect(commands.count >= 14, "\(commands)")
        #expect(commands.contains("refresh") && commands.contains("gc") && commands.contains("publish"))
    }

    @Test(arguments: ["dist/man/snap-export.8", "docs/cli.md", "README.md"])
    func everyCommandAppearsIn(_ file: String) throws {
        let text = try String(contentsOfFile: repository + "/" + file, encoding: .utf8)
            .replacingOccurrences(of: "\\-", with: "-")
        for command in Self.commands() {
            #expect(text.contains(command + " ") || text.contains(command + "\n"), "\(file) lacks \(command)")
        }
        for code in ["64", "65", "66", "73", "74", "75"] where file != "README.md" {
            #expect(text.contains(code), "\(file) lacks exit code \(code)")
        }
    }

    @Test func versionPrintsTheVersionAndExitsZero() {
        let console = CapturedConsole()
        #expect(SnapExportTool.run(["--version"], environment: [:], console: console) == 0)
        #expect(console.output == "snap-export \(SnapExportTool.version)\n")
    }

    @Test(.enabled(if: TestEnvironment.has("groff"), "needs groff to check the man page"))
    func theManPageFormatsWithoutWarnings() throws {
        let result = try run(["/bin/sh", "-c", "groff -man -ww -z \(repository)/dist/man/snap-export.8 2>&1"])
        #expect(result.status == 0)
        #expect(result.stdout.isEmpty, "\(result.stdout)")
    }
}
