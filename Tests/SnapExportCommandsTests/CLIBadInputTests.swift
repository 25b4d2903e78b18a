import Foundation
import Testing

/// A bad invocation: its arguments (`$DIR` is the test's temporary directory), the exit code it must get,
/// and what standard error must name.
struct BadInput: Sendable, CustomTestStringConvertible {
    var label: String
    var arguments: [String]
    var code: Int32
    var mentions: [String]
    var testDescription: String { label }

    init(_ label: String, _ arguments: [String], exits code: Int32, mentions: String...) {
        self.label = label
        self.arguments = arguments
        self.code = code
        self.mentions = mentions
    }
}

private let long = String(repeating: "n", count: 256)

let badInputs: [BadInput] = [
    // 65: names and targets that break a rule.
    BadInput(
        "exported name starting with a dot", ["publish", ".hidden", "g9", "--entry", "tools/a=/x"], exits: 65,
        mentions: "'.hidden'", "must not start with '.'"),
    BadInput("generation '..'", ["publish", "demo", "..", "--entry", "tools/a=/x"], exits: 65, mentions: "'..'"),
    BadInput(
        "generation with a newline", ["publish", "demo", "g\n9", "--entry", "tools/a=/x"], exits: 65,
        mentions: "'g\\n9'", "newline"),
    BadInput(
        "exported name longer than 255 bytes", ["publish", long, "g9", "--entry", "tools/a=/x"], exits: 65,
        mentions: "'\(long)'", "255 bytes"),
    BadInput(
        "entry name starting with a dot", ["publish", "demo", "g9", "--entry", "tools/.a=/x"], exits: 65,
        mentions: "'.a'"),
    BadInput("entry '..'", ["publish", "demo", "g9", "--entry", "tools/..=/x"], exits: 65, mentions: "'..'"),
    BadInput(
        "set path with an empty part", ["publish", "demo", "g9", "--entry", "man//a.1=/x"], exits: 65,
        mentions: "man/", "must not be empty"),
    BadInput(
        "relative target", ["publish", "demo", "g9", "--entry", "tools/a=opt/a"], exits: 65,
        mentions: "'opt/a'", "absolute"),
    BadInput(
        "target with '..'", ["publish", "demo", "g9", "--entry", "tools/a=/opt/../a"], exits: 65,
        mentions: "'/opt/../a'"),
    BadInput(
        "target with a trailing '/'", ["publish", "demo", "g9", "--entry", "tools/a=/opt/a/"], exits: 65,
        mentions: "'/opt/a/'"),
    BadInput(
        "the same entry twice", ["publish", "demo", "g9", "--entry", "tools/a=/x", "--entry", "tools/a=/y"],
        exits: 65, mentions: "tools/a"),
    BadInput("switch to an invalid generation name", ["switch", "demo", "../g1"], exits: 65, mentions: "'../g1'"),
    // Manifest files.
    BadInput(
        "missing manifest file", ["publish", "demo", "g9", "--manifest", "$DIR/absent.json"], exits: 66,
        mentions: "$DIR/absent.json"),
    BadInput(
        "malformed manifest JSON", ["publish", "demo", "g9", "--manifest", "$DIR/malformed.json"], exits: 65,
        mentions: "$DIR/malformed.json", "not valid JSON"),
    BadInput(
        "manifest without sets", ["publish", "demo", "g9", "--manifest", "$DIR/nosets.json"], exits: 65,
        mentions: "$DIR/nosets.json", "'sets'"),
    BadInput(
        "manifest with an entry leaving its set", ["publish", "demo", "g9", "--manifest", "$DIR/escape.json"],
        exits: 65, mentions: "'../x'"),
    // 73: a published generation never changes.
    BadInput(
        "republishing g1 with other content", ["publish", "demo", "g1", "--entry", "tools/a=/other"], exits: 73,
        mentions: "$ROOT/demo/g1", "different content"),
    // 66: what is named does not exist.
    BadInput("switch to a missing generation", ["switch", "demo", "nope"], exits: 66, mentions: "$ROOT/demo/nope"),
    BadInput("switch of a missing name", ["switch", "ghost", "g1"], exits: 66, mentions: "'ghost'"),
    BadInput("rollback without previous", ["rollback", "solo"], exits: 66, mentions: "$ROOT/solo/previous"),
    BadInput("rollback of a missing name", ["rollback", "ghost"], exits: 66, mentions: "'ghost'"),
    BadInput("status of a missing name", ["status", "ghost"], exits: 66, mentions: "'ghost'"),
    // 64: usage.
    BadInput("unknown option", ["switch", "demo", "g1", "--frobnicate"], exits: 64, mentions: "--frobnicate"),
    BadInput("missing argument", ["switch", "demo"], exits: 64, mentions: "missing GENERATION", "usage:"),
    BadInput("extra argument", ["rollback", "demo", "extra"], exits: 64, mentions: "'extra'"),
    BadInput("unknown command", ["frobnicate"], exits: 64, mentions: "'frobnicate'"),
    BadInput("option without its value", ["publish", "demo", "g9", "--entry"], exits: 64, mentions: "--entry"),
    BadInput("entry without '='", ["publish", "demo", "g9", "--entry", "tools/a"], exits: 64, mentions: "'tools/a'"),
    BadInput(
        "both --manifest and --entry", ["publish", "demo", "g9", "--manifest", "$DIR/m", "--entry", "t/a=/x"],
        exits: 64, mentions: "--manifest"),
    BadInput("neither --manifest nor --entry", ["publish", "demo", "g9"], exits: 64, mentions: "--manifest"),
    BadInput("empty --root", ["status", "--root="], exits: 64, mentions: "--root"),
]

@Suite("Bad input through the command line")
struct CLIBadInputTests {
    private func prepare(_ fixture: CLIFixture) throws {
        try fixture.populate()
        let files = [
            "malformed.json": #"{"source": "x", "sets": {"tools": {"a": "/x"}"#,
            "nosets.json": #"{"source": "x"}"#,
            "escape.json": #"{"source": "x", "sets": {"tools": {"../x": "/x"}}}"#,
        ]
        for (name, text) in files {
            try text.write(toFile: fixture.directory.appending(name), atomically: false, encoding: .utf8)
        }
    }

    @Test(
        "each error path exits with its code, names the offending value and changes nothing",
        arguments: badInputs, CLIRunner.allCases)
    func badInputChangesNothing(_ input: BadInput, _ runner: CLIRunner) throws {
        let fixture = try CLIFixture()
        defer { fixture.remove() }
        try prepare(fixture)
        let status = try fixture.statusJSON()
        let tree = fixture.snapshot()
        let expand = { (text: String) in
            text.replacingOccurrences(of: "$DIR", with: fixture.directory.path).replacingOccurrences(
                of: "$ROOT", with: fixture.root)
        }

        let result = try fixture.run(input.arguments.map(expand), runner)

        #expect(result.status == input.code, "stderr: \(result.stderr)")
        for mention in input.mentions.map(expand) {
            #expect(result.stderr.contains(mention), "stderr does not name \(mention): \(result.stderr)")
        }
        #expect(result.stdout == "")
        #expect(try fixture.statusJSON() == status)
        #expect(fixture.snapshot() == tree)
    }

    @Test("publishing the same content again succeeds and changes nothing", arguments: CLIRunner.allCases)
    func identicalRepublishIsANoOp(_ runner: CLIRunner) throws {
        let fixture = try CLIFixture()
        defer { fixture.remove() }
        try fixture.populate()
        let status = try fixture.statusJSON()
        let tree = fixture.snapshot()
        let result = try fixture.run(
            ["publish", "demo", "g1", "--entry", "tools/b=/opt/g1/b", "--entry", "tools/a=/opt/g1/a"], runner)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("nothing changed"))
        #expect(try fixture.statusJSON() == status)
        #expect(fixture.snapshot() == tree)
    }
}
