import Foundation
import Synchronization
@testable import SnapExportCommands
import Testing
import TestSupport

/// The repository's root, from this file's path.
private let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path

/// The examples of docs/cli.md's "JSON output": one per command, in a block that opens with ```` ```json NAME ````.
func documentedExamples() throws -> [String: Any] {
    let text = try String(contentsOfFile: repository + "/docs/cli.md", encoding: .utf8)
    var examples: [String: Any] = [:]
    var rest = Substring(text)
    while let open = rest.range(of: "```json ") {
        rest = rest[open.upperBound...]
        guard let newline = rest.firstIndex(of: "\n"), let close = rest.range(of: "\n```") else { break }
        let name = String(rest[..<newline])
        let body = rest[rest.index(after: newline)..<close.lowerBound]
        examples[name] = try JSONSerialization.jsonObject(with: Data(body.utf8))
        rest = rest[close.upperBound...]
    }
    return examples
}

/// Every difference of keys between `actual` and `documented`, at every level, as `path: …` lines. Arrays:
/// every actual element against the documented first one; `null` on either side matches anything.
func differences(_ actual: Any, _ documented: Any, at path: String = "") -> [String] {
    if actual is NSNull || documented is NSNull { return [] }
    switch (actual, documented) {
    case (let actual as [String: Any], let documented as [String: Any]):
        var found: [String] = []
        let extra = Set(actual.keys).subtracting(documented.keys).sorted()
        let missing = Set(documented.keys).subtracting(actual.keys).sorted()
        if !extra.isEmpty { found.append("\(path): undocumented keys \(extra)") }
        if !missing.isEmpty { found.append("\(path): documented keys missing \(missing)") }
        for (key, value) in actual {
            if let other = documented[key] { found += differences(value, other, at: path + "." + key) }
        }
        return found
    case (let actual as [Any], let documented as [Any]):
        guard let first = documented.first else {
            return actual.contains { $0 is [String: Any] || $0 is [Any] }
                ? ["\(path): elements are not documented"] : []
        }
        return actual.enumerated().flatMap { index, element in differences(element, first, at: "\(path)[\(index)]") }
    case (is [String: Any], _), (_, is [String: Any]), (is [Any], _), (_, is [Any]):
        return ["\(path): \(type(of: actual)) where the docs show \(type(of: documented))"]
    default:
        return []
    }
}

@Suite("Every command's --json has exactly the keys docs/cli.md shows, sorted, with explicit nulls")
struct CLIJSONShapeTests {
    /// A snapd world with the snapd snap, the host's tools and a snap exporting fonts.
    static func world() throws -> SnapdCommandWorld {
        let world = try SnapdCommandWorld()
        try world.addSnap("snapd", "2", type: "snapd", version: "2.63")
        try world.addSnap("fonts", "3", type: "app", version: "1")
        try world.write("snap/fonts/3/meta/exports.json", #"{"sets": {"fonts": {"x.ttf": "share/x.ttf"}}}"#)
        return world
    }

    /// Runs `arguments --json` (exit 0 or `code`) and returns the document, after checking the encoding rules.
    static func document(_ world: SnapdCommandWorld, _ arguments: [String], code: Int32 = 0) throws -> Any {
        // TMPDIR: where the demo makes its simulated system, removed with the world.
        let result = world.run(arguments + ["--json"], environment: ["TMPDIR": world.directory.path])
        try #require(result.code == code, "\(arguments): \(result.err)")
        #expect(result.out.hasSuffix("}\n") && !result.out.hasSuffix("\n\n"), "\(arguments): one final newline")
        #expect(!result.out.contains("[\n\n") && !result.out.contains("{\n\n"), "\(arguments): no empty lines")
        return try JSONSerialization.jsonObject(with: Data(result.out.utf8))
    }

    @Test("every documented example parses, and every command with --json has one")
    func everyCommandIsDocumented() throws {
        let examples = try documentedExamples()
        // unlink prints what link prints.
        let withJSON = Set(
            Commands.all.filter { $0.syntax.options.contains { $0.name == "--json" } }.map { $0.name }
                .filter { $0 != UnlinkCommand.name })
        #expect(!withJSON.isEmpty)
        #expect(Set(examples.keys) == withJSON, "\(withJSON.symmetricDifference(examples.keys))")
    }

    @Test(
        "store, snapd, gc and demo commands",
        arguments: [
            "publish", "switch", "rollback", "status", "verify", "repair", "gc", "in-use", "refresh", "explain",
            "link", "demo", "exports",
        ])
    func documentMatchesItsExample(_ command: String) throws {
        // Every document printed on the way is also JSONEncoder's, byte for byte (the writer's rules are its).
        let rendered = Mutex<[(reference: String?, text: String)]>([])
        try JSONOutput.$observer.withValue({ value, text in
            let reference = try? Self.foundationRendering(value)
            rendered.withLock { $0.append((reference, text)) }
        }) {
            try documentMatchesItsExampleSteps(command)
        }
        let documents = rendered.withLock { $0 }
        #expect(!documents.isEmpty)
        for (reference, text) in documents {
            #expect(reference == text, "\(command)")
        }
    }

    /// What `JSONOutput.render` printed when it was `JSONEncoder` with these options, and the empty containers its
    /// pretty printer writes over two lines put on one.
    static func foundationRendering(_ value: any Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        var text = String(decoding: try encoder.encode(value), as: UTF8.self)
        while let range = text.range(of: #"[\[{]\n\s*[\]}]"#, options: .regularExpression) {
            text.replaceSubrange(range, with: text[range].filter { !$0.isWhitespace })
        }
        return text + "\n"
    }

    func documentMatchesItsExampleSteps(_ command: String) throws {
        let examples = try documentedExamples()
        let example = try #require(examples[command], "docs/cli.md has no ```json \(command) block")
        let world = try Self.world()
        defer { world.directory.remove() }
        let actual: Any
        switch command {
        case "publish": actual = try Self.document(world, ["publish", "demo", "g1", "--entry", "tools/a=/a"])
        case "switch", "rollback":
            _ = world.run(["publish", "demo", "g1", "--entry", "tools/a=/a"])
            _ = world.run(["publish", "demo", "g2", "--entry", "tools/a=/b"])
            _ = world.run(["switch", "demo", "g1"])
            let switched = try Self.document(world, ["switch", "demo", "g2"])
            actual = command == "switch" ? switched : try Self.document(world, ["rollback", "demo"])
        case "status":
            _ = world.run(["publish", "demo", "g1", "--entry", "tools/a=/a"])
            _ = world.run(["switch", "demo", "g1"])
            actual = try Self.document(world, ["status"])
        case "verify", "repair":
            _ = world.run(["publish", "demo", "g1", "--entry", "tools/a=/a"])
            try FileManager.default.createDirectory(
                atPath: world.base + "/export/.staging/x", withIntermediateDirectories: true)
            let verified = try Self.document(world, ["verify"], code: 1)
            actual = command == "verify" ? verified : try Self.document(world, ["repair"])
        case "gc":
            _ = world.run(["refresh", "--no-gc"])
            _ = world.run(["publish", "demo", "g1", "--entry", "tools/a=/a"])
            actual = try Self.document(world, ["gc", "--dry-run", "--keep", "0", "--grace", "0"])
        case "in-use":
            _ = world.run(["publish", "demo", "g1", "--entry", "tools/a=/a"])
            actual = try Self.document(world, ["in-use"])
        case "refresh":
            let refreshed = try Self.document(world, ["refresh"])
            let gc = try #require((refreshed as? [String: Any])?["gc"] as? [String: Any], "refresh ran a gc pass")
            #expect(differences(gc, try #require(examples["gc"])) == [], "refresh's gc")
            actual = refreshed
        case "explain": actual = try Self.document(world, ["explain"])
        case "link": actual = try Self.document(world, ["link", "fonts", "3"])
        case "demo": actual = try Self.document(world, ["demo", "--switches", "10", "--readers", "1"])
        case "exports":
            _ = world.run(["link", "fonts", "3"])
            actual = try Self.document(world, ["exports"])
        default: throw CLIFailure(message: "no case for \(command)")
        }
        #expect(differences(actual, example) == [])
    }

    @Test(
        "mount-tools, in a private mount namespace",
        .enabled(if: TestEnvironment.isRoot && TestEnvironment.has("unshare"), "needs root and unshare(1)"))
    func mountToolsMatchesItsExample() throws {
        let world = try Self.world()
        defer { world.directory.remove() }
        _ = world.run(["refresh"])
        let into = world.base + "/usr-lib-snapd"
        try FileManager.default.createDirectory(atPath: into, withIntermediateDirectories: true)
        let result = try run([
            "/usr/bin/unshare", "-m", "--propagation", "private", TestEnvironment.snapExport, "--root",
            world.base + "/export", "mount-tools", "--into", into, "--json",
        ])
        try #require(result.status == 0, "\(result.stderr)")
        let actual = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8))
        #expect(differences(actual, try #require(try documentedExamples()["mount-tools"])) == [])
    }

    @Test("absent values are written as null, not left out")
    func nullsAreExplicit() throws {
        let world = try Self.world()
        defer { world.directory.remove() }
        _ = world.run(["publish", "demo", "g1", "--entry", "tools/a=/a"])
        let text = world.run(["status", "--json"]).out
        #expect(text.contains(#""current" : null"#) && text.contains(#""previous" : null"#), "\(text)")
        let switched = world.run(["switch", "demo", "g1", "--json"]).out
        #expect(switched.contains(#""previous_current" : null"#), "\(switched)")
    }

    @Test("keys are sorted at every level")
    func keysAreSorted() throws {
        let world = try Self.world()
        defer { world.directory.remove() }
        let text = world.run(["refresh", "--json"]).out
        // Each object's keys, in the order printed, per nesting level.
        var stack: [[String]] = [[]]
        var unsorted: [[String]] = []
        for line in text.split(separator: "\n") {
            let trimmed = line.drop { $0 == " " }
            if trimmed.hasPrefix("\""), let colon = trimmed.range(of: "\" : ") {
                stack[stack.count - 1].append(
                    String(trimmed[trimmed.index(after: trimmed.startIndex)..<colon.lowerBound]))
            }
            if trimmed.hasSuffix("{") { stack.append([]) }
            if trimmed.hasPrefix("}") {
                let keys = stack.removeLast()
                if keys != keys.sorted() { unsorted.append(keys) }
            }
        }
        #expect(unsorted.isEmpty)
        #expect(stack.count == 1)
    }
}
