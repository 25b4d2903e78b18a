import Foundation
import GenerationStore
@testable import SnapdExport
import Testing
import TestSupport

/// Cases found by reading snapd's readers against ours, each naming the snapd code its answer comes from.
@Suite("snapd fidelity: edge cases of the readers")
struct SnapdFidelityReviewTests {
    /// Go's `bufio.Scanner` (what `ParseInfoFile` and `readOSRelease` read with) holds at most 64 KiB: a
    /// last line of exactly 65536 bytes without a newline fills the buffer before EOF is seen, so the scan
    /// ends with "token too long", as a 65536-byte line followed by a newline does; 65535 bytes fit.
    @Test("bufio.Scanner: a 64 KiB last line without a newline is too long")
    func scannerBoundary() {
        let full = [UInt8](repeating: UInt8(ascii: "a"), count: GoText.maxScanTokenSize)
        let newline = UInt8(ascii: "\n")
        let complete = [full, full + [newline], Array(full.dropLast()), Array(full.dropLast()) + [newline]].map {
            GoText.scanLines($0).complete
        }
        #expect(complete == [false, false, true, true])
        let info = Array("VERSION=2.61\n".utf8) + full
        #expect(throws: SnapdInfoFile.Problem.self) { try SnapdInfoFile.version(info).get() }
    }

    /// `release.go` lower-cases `ID` with Go's `strings.ToLower`, which maps rune by rune with the simple
    /// case mapping: `İ` (U+0130) becomes `i`, so `ID=DEBİAN` is `debian` (Debian-like, re-exec on).
    @Test("strings.ToLower: U+0130 lower-cases to i, as unicode.ToLower does")
    func dottedCapitalI() {
        let release = OSRelease(parsing: Array("ID=DEB\u{130}AN\nID_LIKE=\u{130}UBUNTU\n".utf8))
        #expect(release.id == "debian")
        #expect(release.idLike == ["iubuntu"])
        #expect(release.isDebianLike)
    }
}

/// snap.yaml cases where yaml.v2 (snapd's reader, `snap/info_snap_yaml.go`) and the subset disagreed.
@Suite("snapd fidelity: snap.yaml as yaml.v2 reads it")
struct SnapYamlFidelityReviewTests {
    func failure(_ bytes: [UInt8]) -> String? {
        if case .failure(let problem) = SnapYaml.parse(bytes) { return problem.description }
        return nil
    }
    func failure(_ text: String) -> String? { failure(Array(text.utf8)) }

    /// yaml.v2's scanner (libyaml's `yaml_parser_fetch_next_token`): a plain scalar cannot start with
    /// `@`, `` ` ``, `%`, `,`, `]` or `}`, nor with `-` or `?` followed by a blank ("block sequence entries
    /// are not allowed in this context", "mapping keys are not allowed in this context"); snapd then
    /// cannot read the file at all. `-x`, `?x` and `:x` are plain scalars.
    @Test(
        "yaml.v2 scanner: characters that cannot start a plain value",
        arguments: [
            "@x", "`x`", "%x", ",x", "]x", "}x", "- x", "-", "? x", "?",
        ])
    func indicatorsCannotStartAPlainValue(_ value: String) {
        #expect(failure("name: core\nversion: \(value)\n") != nil)
        #expect(failure("name: core\n\(value)key: 1\n") != nil || value.hasPrefix("-") || value.hasPrefix("?"))
    }

    @Test func plainValuesMayStartWithADashQuestionMarkOrColonBeforeText() throws {
        let yaml = try SnapYaml.parse(Array("name: -x\nversion: ?x\nsummary: :x\n".utf8)).get()
        #expect(yaml.name == "-x")
        #expect(yaml.version == "?x")
    }

    /// yaml.v2's reader (libyaml's `yaml_parser_update_buffer`) rejects the whole stream on invalid UTF-8
    /// or a character outside YAML's printable set (C0 controls but tab, CR and LF; DEL; C1 but NEL;
    /// U+FFFE, U+FFFF), wherever it is: snapd cannot read such a snap.yaml.
    @Test(
        "yaml.v2 reader: invalid UTF-8 and control characters",
        arguments: [
            [0xFF], [0xC3], [0xED, 0xA0, 0x80], [0x00], [0x01], [0x7F], [0xC2, 0x80], [0xEF, 0xBF, 0xBE],
        ] as [[UInt8]])
    func invalidCharactersMakeTheFileUnreadable(_ bad: [UInt8]) {
        #expect(failure(Array("name: co".utf8) + bad + Array("re\n".utf8)) != nil)
        #expect(failure(Array("name: core\nsummary: x".utf8) + bad + Array("\n".utf8)) != nil)
    }

    @Test func printableCharactersAreRead() throws {
        let yaml = try SnapYaml.parse(Array("name: c\u{e9}\u{85}re\tx\u{1F600}\n".utf8)).get()
        #expect(yaml.name == "c\u{e9}\u{85}re\tx\u{1F600}")
    }

    /// yaml.v2 reads a literal or folded block scalar into a string field (`name: |` gives "snapd\n"):
    /// the subset does not read them, and must say so rather than call the value something snapd cannot read.
    @Test func blockScalarsAreSaidToBeUnsupportedNotUnreadable() {
        let message = failure("name: core\nversion: |\n  2.61\n")
        #expect(message?.contains("block scalar") == true)
        #expect(message?.contains("snapd cannot read") == false)
    }
}

/// Files snapd reads in full but snap-export only up to its size cap (`SystemFiles.sizeLimit`), and
/// versions snapd compares byte by byte that a Swift `String` cannot hold: where snap-export cannot read
/// what snapd reads, the answer must be "not certain", never another provider.
@Suite("snapd fidelity: what snap-export cannot read as snapd does")
struct UnreadableAsSnapdReadsTests {
    /// Lines of padding that make a file larger than the cap, each far below bufio's 64 KiB.
    static let padding = String(repeating: "# " + String(repeating: "x", count: 1000) + "\n", count: 1100)

    /// `release.go`'s `readOSRelease` reads an os-release of any size line by line: a 1.1 MiB file with
    /// `ID=ubuntu` is Ubuntu to snapd, not the `ID=linux` of an empty file.
    @Test("readOSRelease: a large os-release is not read as an empty one") func largeOSRelease() throws {
        let root = try FakeRoot()
        defer { root.remove() }
        try root.write("/etc/os-release", "ID=ubuntu\nID_LIKE=debian\n" + Self.padding)
        let (release, path) = OSRelease.read(root: root.path, system: LinuxSystemCalls())
        #expect(path == root.path + "/etc/os-release")
        #expect(release.id == "ubuntu" || release.unusable?.contains("not certain") == true)
        #expect(release.id != "linux" || release.unusable != nil)
    }

    /// `ParseInfoFile` reads a large info file to its end: the snapd snap's VERSION is there, so snapd
    /// compares it and may re-exec; "no version, so the host" would be a guess.
    @Test("ParseInfoFile: a large info file of the target snap leaves the provider uncertain")
    func largeInfoFile() throws {
        let world = try SnapWorld()
        defer { world.remove() }
        let path = try world.addRevision("snapd", "20", version: "2.70")
        try world.write(path + "/usr/lib/snapd/info", "VERSION=2.70\n" + Self.padding)
        try world.setCurrent("snapd", "20")
        let plan = try world.exporter().plan()
        #expect(plan.decision.provider != .host)
        #expect(plan.target == nil)
        #expect(plan.decision.reason.contains("not certain"))
    }

    /// `strutil.VersionCompare` compares bytes (`chOrder` of each byte): `2.70\xC0` against the host's
    /// `2.70\xC3\xA9` is older to snapd (0xC0 < 0xC3), but both would decode to U+FFFD-bearing Strings that
    /// compare otherwise. A VERSION that is not UTF-8 cannot be compared here exactly: not certain.
    @Test("VersionCompare: a VERSION that is not valid UTF-8 is not compared as text")
    func invalidUTF8Version() throws {
        let world = try SnapWorld(hostVersion: "2.70\u{e9}")
        defer { world.remove() }
        let path = try world.addRevision("snapd", "21", version: "2.70")
        try Data(Array("VERSION=2.70".utf8) + [0xC0] + [0x0A]).write(
            to: URL(fileURLWithPath: path + "/usr/lib/snapd/info"))
        try world.setCurrent("snapd", "21")
        let plan = try world.exporter().plan()
        #expect(plan.target == nil)
        #expect(plan.decision.reason.contains("not certain"))
    }
}
