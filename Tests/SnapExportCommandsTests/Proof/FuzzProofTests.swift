import Foundation
import GenerationStore
import Testing
import TestSupport

/// Mutations of a valid input, reproducible from the run's seed: bytes flipped, ranges deleted or repeated,
/// JSON's and paths' special tokens inserted, the text cut short.
struct Mutator {
    var random: SeededGenerator

    static let tokens: [String] = [
        "\"", "\\", "\\u0000", "\\ud800", "{", "}", "[", "]", ",", ":", "..", "/", "\n", "\u{0}", "1e999", "-0",
        "18446744073709551616", "null", "true", "\u{FFFD}", "../../etc/shadow", String(repeating: "[", count: 2_000),
        String(repeating: "a", count: 300), "\\/", "\u{7F}", "\u{FEFF}",
    ]

    mutating func mutate(_ input: [UInt8]) -> [UInt8] {
        var bytes = input
        for _ in 0..<Int.random(in: 1...3, using: &random) where !bytes.isEmpty {
            let at = Int.random(in: 0..<bytes.count, using: &random)
            switch Int.random(in: 0..<5, using: &random) {
            case 0: bytes[at] = UInt8.random(in: 0...255, using: &random)
            case 1: bytes.removeSubrange(at..<min(bytes.count, at + Int.random(in: 1...16, using: &random)))
            case 2: bytes.insert(contentsOf: bytes[at..<min(bytes.count, at + Int.random(in: 1...16, using: &random))], at: at)
            case 3: bytes.insert(contentsOf: Array(Self.tokens.randomElement(using: &random)!.utf8), at: at)
            default: bytes.removeSubrange(at...)
            }
        }
        return bytes
    }
}

/// Fuzz cases per target: 300 in CI, 3,000 with SNAP_EXPORT_LONG=1.
let fuzzCases = ProcessInfo.processInfo.environment["SNAP_EXPORT_LONG"] == "1" ? 3_000 : 300

@Suite("Fuzzed input (issue 10): a documented exit code, and a failure changes nothing consumers see")
struct FuzzProofTests {
    /// Documented exit codes a command may give on bad input (docs/cli.md); anything else (or a crash) fails.
    static let documented: Set<Int32> = [0, 65, 66, 73, 74]

    @Test("publish --manifest with a mutated manifest")
    func manifests() throws {
        let fixture = try CLIFixture("fuzz-manifest")
        defer { fixture.remove() }
        try fixture.succeed(["publish", "demo", "g1", "--entry", "tools/a=/usr/bin/a", "--entry", "man/man1/a.1=/usr/share/man/man1/a.1"])
        try fixture.succeed(["switch", "demo", "g1"])
        let valid = Array(try String(contentsOfFile: fixture.root + "/demo/g1/.manifest.json", encoding: .utf8).utf8)
        var mutator = Mutator(random: SeededGenerator(seed: proofSeed))
        var outcomes: [Int32: Int] = [:]
        let input = fixture.directory.appending("manifest")
        for index in 0..<fuzzCases {
            let bytes = mutator.mutate(valid)
            FileManager.default.createFile(atPath: input, contents: Data(bytes))
            let before = try fixture.statusJSON()
            let result = try fixture.run(["publish", "demo", "f\(index)", "--manifest", input])
            outcomes[result.status, default: 0] += 1
            let what = "case \(index) (seed \(proofSeed)): \(String(decoding: bytes.prefix(200), as: UTF8.self).debugDescription)"
            #expect(Self.documented.contains(result.status), "\(what): exit \(result.status) \(result.stderr)")
            if result.status != 0 {
                #expect(try fixture.statusJSON() == before, "\(what): a failed publish changed status")
                #expect(result.stderr.contains("snap-export: "), "\(what): no message")
            }
            let verify = try fixture.run(["verify"])
            #expect(verify.status == 0, "\(what): verify \(verify.stdout)")
        }
        print("fuzz (seed \(proofSeed)): \(fuzzCases) manifests, exit codes \(outcomes.sorted { $0.key < $1.key })")
        #expect(outcomes[65, default: 0] > 0, "the mutations must reach the validation")
    }

    @Test("link with a mutated meta/exports.json and a mutated meta/snap.yaml; refresh with a mutated host info")
    func snapMetadata() throws {
        let world = try SnapdCommandWorld()
        defer { world.directory.remove() }
        try world.addSnap("snapd", "1", type: "snapd", version: "2.63")
        _ = try world.json(["refresh"])
        try world.addSnap("app", "5", type: "app", version: "1.0")
        let exports = #"{"sets": {"man/man1": {"app.1": "man/app.1"}, "fonts": {"a.ttf": "share/a.ttf"}}}"#
        let yaml = "name: app\nversion: 1.0\ntype: app\n"
        let info = "VERSION=2.60\nSNAPD_APPARMOR_REEXEC=1\n"
        var mutator = Mutator(random: SeededGenerator(seed: proofSeed &+ 1))
        var outcomes: [String: [Int32: Int]] = [:]
        let targets: [(file: String, valid: String, command: [String])] = [
            ("snap/app/5/meta/exports.json", exports, ["link", "app", "5"]),
            ("snap/app/5/meta/snap.yaml", yaml, ["link", "app", "5"]),
            ("usr/lib/snapd/info", info, ["refresh"]),
        ]
        for target in targets {
            for index in 0..<(fuzzCases / 3) {
                let bytes = mutator.mutate(Array(target.valid.utf8))
                FileManager.default.createFile(atPath: world.base + "/" + target.file, contents: Data(bytes))
                let before = world.run(["status", "--json"]).out
                let provider = world.current
                let result = world.run(target.command)
                outcomes[target.file, default: [:]][result.code, default: 0] += 1
                let what = "\(target.file) case \(index) (seed \(proofSeed)): \(String(decoding: bytes, as: UTF8.self).debugDescription)"
                #expect(Self.documented.contains(result.code), "\(what): exit \(result.code) \(result.err)")
                if result.code != 0 {
                    #expect(world.run(["status", "--json"]).out == before, "\(what): a failure changed status")
                    #expect(world.current == provider, "\(what): a failure changed the tools' provider")
                }
                #expect(world.run(["verify"]).code == 0, "\(what): verify")
                // Back to the valid input, so every case starts from the same state. (A mutated host info that
                // still reads may rightly change the provider: a higher VERSION is a newer host.)
                try world.write(target.file, target.valid)
                if target.command[0] == "link" { _ = world.run(["unlink", "app", "5"]) } else { _ = world.run(["refresh"]) }
                #expect(world.current == "1", "\(what): the valid input again gives the snapd snap")
            }
        }
        print("fuzz (seed \(proofSeed)): snap metadata, exit codes per file \(outcomes.mapValues { $0.sorted { $0.key < $1.key } })")
    }
}
