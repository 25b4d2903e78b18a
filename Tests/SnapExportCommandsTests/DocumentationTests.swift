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
    /// GitHub's anchor of a Markdown heading: lower case, spaces to `-`, punctuation other than `-`/`_` dropped.
    static func anchor(_ heading: String) -> String {
        String(
            heading.lowercased().compactMap { c -> Character? in
                if c == " " { return "-" }
                return c.isLetter || c.isNumber || c == "-" || c == "_" ? c : nil
            })
    }

    /// Links between the docs point at files and headings that exist, so an account kept in one place and
    /// linked from the others cannot silently lose its target.
    @Test func everyRelativeLinkInTheDocsResolves() throws {
        let docs = try FileManager.default.contentsOfDirectory(atPath: repository + "/docs")
            .filter { $0.hasSuffix(".md") }.map { "docs/" + $0 } + ["README.md"]
        var checked = 0
        for file in docs {
            let text = try String(contentsOfFile: repository + "/" + file, encoding: .utf8)
            let directory = (file as NSString).deletingLastPathComponent
            var rest = Substring(text)
            while let open = rest.range(of: "](") {
                rest = rest[open.upperBound...]
                guard let close = rest.firstIndex(of: ")") else { break }
                let link = String(rest[..<close])
                if link.contains("://") || link.hasPrefix("mailto:") || link.contains(" ") { continue }
                let parts = link.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)
                let target = parts[0].isEmpty ? file : (directory.isEmpty ? "" : directory + "/") + parts[0]
                let path = (repository + "/" + target as NSString).standardizingPath
                #expect(FileManager.default.fileExists(atPath: path), "\(file): link to \(link) names no file")
                if parts.count == 2, target.hasSuffix(".md"), let body = try? String(contentsOfFile: path, encoding: .utf8) {
                    let anchors = body.split(separator: "\n").filter { $0.hasPrefix("#") }
                        .map { Self.anchor($0.drop { $0 == "#" }.trimmingCharacters(in: .whitespaces)) }
                    #expect(anchors.contains(String(parts[1])), "\(file): link to \(link) names no heading")
                }
                checked += 1
            }
        }
        #expect(checked > 10, "found only \(checked) links: the scan itself is broken")
    }
    /// docs/architecture.md names every target directory and every source file, so a newcomer finds each file
    /// there and a new file cannot be added without saying where it belongs.
    @Test func theArchitecturePageNamesEverySourceFile() throws {
        let text = try String(contentsOfFile: repository + "/docs/architecture.md", encoding: .utf8)
        var checked = 0
        for top in ["Sources", "bench"] {
            for target in try FileManager.default.contentsOfDirectory(atPath: repository + "/" + top) {
                #expect(text.contains(top + "/" + target), "docs/architecture.md does not name \(top)/\(target)")
                let files = FileManager.default.enumerator(atPath: repository + "/" + top + "/" + target)
                while let file = files?.nextObject() as? String {
                    guard file.hasSuffix(".swift") || file.hasSuffix(".c") else { continue }
                    let name = (file as NSString).lastPathComponent
                    #expect(text.contains("`" + name + "`"), "docs/architecture.md does not name \(top)/\(target)/\(file)")
                    checked += 1
                }
            }
        }
        #expect(checked > 50, "found only \(checked) source files: the scan itself is broken")
    }
}
