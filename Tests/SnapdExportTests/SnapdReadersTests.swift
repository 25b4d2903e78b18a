import Foundation
import GenerationStore
import SnapdExport
import Testing
import TestSupport

/// A temporary root with files in it, as snapd's tests build one with `c.MkDir()`.
struct FakeRoot {
    let directory: TemporaryDirectory
    var path: String { directory.path.replacingOccurrences(of: "//", with: "/") }

    init() throws { directory = try TemporaryDirectory("snapd-root") }

    func write(_ relative: String, _ text: String) throws { try write(relative, Array(text.utf8)) }

    func write(_ relative: String, _ bytes: [UInt8]) throws {
        let full = path + relative
        try FileManager.default.createDirectory(
            atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(bytes).write(to: URL(fileURLWithPath: full))
    }

    func mkdir(_ relative: String) throws {
        try FileManager.default.createDirectory(atPath: path + relative, withIntermediateDirectories: true)
    }

    func symlink(_ relative: String, to target: String) throws {
        try FileManager.default.createDirectory(
            atPath: ((path + relative) as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: path + relative, withDestinationPath: target)
    }

    func remove() { directory.remove() }
}

/// `release/release_test.go`: os-release as snapd's `readOSRelease` reads it.
@Suite("os-release as release.go reads it")
struct OSReleaseTests {
    static let reference = """

        NAME="Ubuntu"
        VERSION="18.09 (Awesome Artichoke)"
        ID=ubuntu
        ID_LIKE=debian
        PRETTY_NAME="I'm not real!"
        VERSION_ID="18.09"
        HOME_URL="http://www.ubuntu.com/"

        """
    static let initrd = """

        NAME="Ubuntu Core Initramfs"
        VERSION="1"
        ID=ubuntucoreinitramfs
        PRETTY_NAME="Ubuntu Core 24 Initramfs"
        VERSION_ID="1"
        VERSION_CODENAME=24

        """

    func read(_ files: [(String, String)], symlink: (String, String)? = nil) throws -> (OSRelease, String?, String) {
        let root = try FakeRoot()
        defer { root.remove() }
        for (path, text) in files { try root.write(path, text) }
        if let (link, target) = symlink { try root.symlink(link, to: target) }
        let (release, path) = OSRelease.read(root: root.path, system: LinuxSystemCalls())
        return (release, path.map { String($0.dropFirst(root.path.count)) }, root.path)
    }

    @Test("TestReadOSRelease") func readsEtcOSRelease() throws {
        let (release, path, _) = try read([("/etc/os-release", Self.reference)])
        #expect(release.id == "ubuntu" && release.versionID == "18.09" && release.idLike == ["debian"])
        #expect(path == "/etc/os-release")
    }

    @Test("TestReadOSReleaseSymlink") func followsASymlink() throws {
        let (release, _, _) = try read(
            [("/etc/mock-release", Self.reference)], symlink: ("/etc/os-release", "mock-release"))
        #expect(release.id == "ubuntu" && release.versionID == "18.09")
    }

    @Test("TestReadOSReleaseFallback") func fallsBackToUsrLib() throws {
        let (release, path, _) = try read([("/usr/lib/os-release", Self.reference)])
        #expect(release.id == "ubuntu" && release.versionID == "18.09")
        #expect(path == "/usr/lib/os-release")
    }

    @Test("TestReadOSReleaseInitrdDirect") func readsInitrdRelease() throws {
        let (release, _, _) = try read([("/etc/initrd-release", Self.initrd)])
        #expect(release.id == "ubuntucoreinitramfs" && release.versionID == "1")
    }

    @Test("TestReadOSReleaseInitrdSymlink") func readsInitrdReleaseThroughTheOSReleaseSymlink() throws {
        let (release, _, _) = try read(
            [("/etc/mock-initrd-release", Self.initrd)], symlink: ("/etc/os-release", "mock-initrd-release"))
        #expect(release.id == "ubuntucoreinitramfs" && release.versionID == "1")
    }

    @Test("TestReadWonkyOSRelease") func takesTheFirstWordOfAnIDWithSpaces() throws {
        let text = """
            NAME="elementary OS"
            VERSION="0.4 Loki"
            ID="elementary OS"
            ID_LIKE=ubuntu
            PRETTY_NAME="elementary OS Loki"
            VERSION_ID="0.4"
            """
        let (release, _, _) = try read([("/etc/os-release", text)])
        #expect(release.id == "elementary" && release.versionID == "0.4")
        #expect(release.isDebianLike)
    }

    @Test("TestFamilyOSRelease") func splitsIDLike() throws {
        let text = "NAME=\"CentOS Stream\"\nVERSION=\"9\"\nID=\"centos\"\nID_LIKE=\"rhel fedora\"\nVERSION_ID=\"9\"\n"
        let (release, _, _) = try read([("/etc/os-release", text)])
        #expect(release.id == "centos" && release.versionID == "9" && release.idLike == ["rhel", "fedora"])
    }

    @Test("TestUbuntuCoreVariantRelease") func readsTheVariant() throws {
        let text =
            "NAME=\"Ubuntu Core Desktop\"\nVERSION=\"22\"\nID=\"ubuntu-core\"\nVARIANT_ID=\"desktop\"\n"
            + "VERSION_ID=\"22\"\n\"\n"
        let (release, _, _) = try read([("/etc/os-release", text)])
        #expect(release.id == "ubuntu-core" && release.variantID == "desktop" && release.versionID == "22")
        #expect(!release.onClassic)
    }

    @Test("TestReadOSReleaseNotFound") func isLinuxWithoutAnyFile() throws {
        let (release, path, _) = try read([])
        #expect(release == OSRelease(id: "linux") && path == nil)
        #expect(release.onClassic && !release.isDebianLike)
    }

    @Test func crlfLinesReadAsLines() {
        let release = OSRelease(parsing: Array("NAME=Debian\r\nID=debian\r\nVERSION_ID=\"12\"\r\n".utf8))
        #expect(release.id == "debian" && release.versionID == "12" && release.isDebianLike)
    }

    @Test func quotesAndBlanksAreTrimmedInAnyMixAndIDIsLowerCased() {
        let release = OSRelease(parsing: Array(" ID = ' \"Ubuntu\" '\nID_LIKE=\"Debian\tArch  \"\nID_LIKE\n".utf8))
        #expect(release.id == "ubuntu")
        #expect(release.idLike == ["debian", "arch"])
    }

    @Test func aCommentedLineIsAnotherKeyAndTheLastValueWins() {
        let release = OSRelease(parsing: Array("#ID=fedora\nID=fedora\nID=ubuntu\n".utf8))
        #expect(release.id == "ubuntu")
    }

    @Test func anEmptyIDIsTheCrashSnapdWouldHave() {
        let release = OSRelease(parsing: Array("ID=\"\"\nID_LIKE=debian\n".utf8))
        #expect(release.unusable?.contains("ID is empty") == true)
        #expect(OSRelease(parsing: Array("ID_LIKE=debian\n".utf8)).unusable == nil)
    }

    @Test func aDirectoryAtEtcOSReleaseReadsAsEmptyWithoutFallback() throws {
        let root = try FakeRoot()
        defer { root.remove() }
        try root.mkdir("/etc/os-release")
        try root.write("/usr/lib/os-release", "ID=fedora\n")
        let (release, path) = OSRelease.read(root: root.path, system: LinuxSystemCalls())
        #expect(release.id == "linux")
        #expect(path == root.path + "/etc/os-release")
    }
}

/// `snapdtool/info_file_test.go`: the `info` file's VERSION as `SnapdVersionFromInfoFile` reads it.
@Suite("info as info_file.go reads it")
struct SnapdInfoFileTests {
    func version(_ text: String) -> String? { try? SnapdInfoFile.version(Array(text.utf8)).get() }

    @Test("TestNoVersionData") func noVersionLineIsAnError() { #expect(version("foo") == nil) }
    @Test("TestVersionHappy") func versionWithoutNewline() { #expect(version("VERSION=1.2.3") == "1.2.3") }
    @Test("TestVersionHappy, with flags") func versionAmongFlags() {
        #expect(version("VERSION=1.2.3\nSNAPD_APPARMOR_REEXEC=1\n") == "1.2.3")
        #expect(version("SNAPD_APPARMOR_REEXEC=0\nVERSION=2.61.3+24.04\n") == "2.61.3+24.04")
    }

    /// The info files of `snapdtool/tool_linux_test.go`'s `BenchmarkCSRE_fakeOK` and `_fakeNOK`: lines
    /// without `=` are skipped, and a file without `VERSION=` has no version.
    @Test("tool_linux_test.go dataOK / dataNOK") func benchmarkInfoFiles() {
        #expect(version("one line\nanother line\nyadda yadda\nVERSION=42\npotatoes\n") == "42")
        #expect(version("a line\nanother\nthis is a very long line\nthat wasn't long, so long\nstop\n") == nil)
    }

    @Test func crlfDropsTheCarriageReturnOnly() {
        #expect(version("VERSION=2.61\r\nSNAPD_APPARMOR_REEXEC=1\r\n") == "2.61")
        #expect(version("VERSION=2.61\r\r\n") == "2.61\r")
    }

    @Test func theValueIsKeptAsWrittenAndTheLastWins() {
        #expect(version("VERSION= 2.61 \n") == " 2.61 ")
        #expect(version("VERSION=\"2.61\"\n") == "\"2.61\"")
        #expect(version("VERSION=1\nVERSION=2\n") == "2")
        #expect(version(" VERSION=2.61\nVERSION =2.62\n") == nil)
        #expect(version("VERSION=\n") == nil)
        #expect(version("VERSION=2.61=x\n") == "2.61=x")
    }

    @Test func aLineOver64KiBIsAnError() {
        #expect(version("VERSION=2.61\n" + String(repeating: "x", count: 70_000) + "\n") == nil)
    }
}

/// snap.yaml read as snapd reads it (`snap/info_snap_yaml.go`, `snap/types.go`), through the YAML subset.
@Suite("snap.yaml as snapd reads it")
struct SnapYamlTests {
    func parse(_ text: String) -> SnapYaml? { try? SnapYaml.parse(Array(text.utf8)).get() }
    func failure(_ text: String) -> String? {
        if case .failure(let problem) = SnapYaml.parse(Array(text.utf8)) { return problem.description }
        return nil
    }

    @Test func blockMappingWithCommentsQuotesAndNestedKeys() {
        let yaml = parse(
            """
            # a comment
            name: core
            version: "16-2.61.4" # quoted
            summary: The core runtime
            apps:
              snap:
                type: simple
                name: nested
            type: os   # the core snap
            """)
        #expect(yaml == SnapYaml(name: "core", version: "16-2.61.4", type: "os"))
    }

    @Test func aSnapNamedSnapdIsOfTypeSnapdWhateverItsTypeSays() {
        #expect(parse("name: snapd\nversion: '2.63'\ntype: app\n")?.type == "snapd")
        #expect(parse("name: snapd\nversion: '2.63'\n")?.type == "snapd")
        #expect(parse("name: snapd\ntype: os\n")?.type == "snapd")
        #expect(parse("name: other\ntype: snapd\n")?.type == "snapd")
    }

    @Test func aMissingOrNullTypeIsAppAndApplicationIsApp() {
        #expect(parse("name: core\nversion: '1'\n")?.type == "app")
        #expect(parse("name: core\ntype: ~\n")?.type == "app")
        #expect(parse("name: core\ntype:\n")?.type == "app")
        #expect(parse("name: core\ntype: application\n")?.type == "app")
    }

    @Test(
        "TestYamlUnmarshalTypes (snap/types_test.go)",
        arguments: [
            ("application", "app"), ("app", "app"), ("gadget", "gadget"), ("os", "os"), ("kernel", "kernel"),
            ("base", "base"), ("snapd", "snapd"),
        ])
    func validTypes(_ entry: (String, String)) {
        #expect(parse("name: some-snap\ntype: \(entry.0)\n")?.type == entry.1)
    }

    @Test("TestYamlUnmarshalInvalidTypes (snap/types_test.go)", arguments: ["foo", "-app", "gadget_"])
    func invalidTypes(_ type: String) {
        #expect(failure("name: some-snap\ntype: \(type)\n")?.contains("invalid snap type") == true)
    }

    @Test func anInvalidTypeMakesTheFileUnreadable() {
        #expect(failure("name: core\ntype: potato\n")?.contains("invalid snap type 'potato'") == true)
        #expect(failure("name: core\ntype: ''\n")?.contains("invalid snap type ''") == true)
        #expect(failure("name: core\ntype: [os]\n")?.contains("not a scalar") == true)
    }

    @Test func flowMappingsAndSpacesBeforeTheColon() {
        #expect(
            parse("{name: core, version: 16-2.61, type: os}\n")
                == SnapYaml(name: "core", version: "16-2.61", type: "os"))
        #expect(parse("{\n  name: core,\n  version: '16-2.61',\n  type: os,\n}\n")?.type == "os")
        #expect(parse("name : core\ntype : os\nversion : 1\n") == SnapYaml(name: "core", version: "1", type: "os"))
        #expect(parse("\"name\": core\n'type': os\n")?.type == "os")
    }

    @Test func crlfLineEndingsAndAByteOrderMark() {
        #expect(
            parse("\u{FEFF}name: core\r\nversion: 16-2.61\r\ntype: os\r\n")
                == SnapYaml(name: "core", version: "16-2.61", type: "os"))
    }

    @Test func scalarsFoldQuotesUnescapeAndPlainNumbersKeepTheirText() {
        #expect(parse("name: core\nversion: 1.10\n")?.version == "1.10")
        #expect(parse("name: core\nversion: 16-2.61\n  more\n")?.version == "16-2.61 more")
        #expect(parse("name: core\nversion: 'it''s'\n")?.version == "it's")
        #expect(parse("name: core\nversion: \"a\\tb\\u00e9\"\n")?.version == "a\tb\u{e9}")
        #expect(parse("name: core\nversion: \"two\n  lines\"\n")?.version == "two lines")
        #expect(parse("name: core\nversion: a#b\n")?.version == "a#b")
    }

    @Test func blockScalarsSequencesAndDocumentMarkers() {
        let yaml = parse(
            """
            %YAML 1.1
            ---
            name: core
            description: |
              type: app
              name: other
            plugs:
            - one
            - two
            architectures: [amd64, {arm: 64}]
            type: os
            ...
            type: app
            """)
        #expect(yaml == SnapYaml(name: "core", version: "", type: "os"))
    }

    @Test func whatIsOutsideTheSubsetIsAClearFailure() {
        #expect(failure("- name: core\n")?.contains("sequence") == true)
        #expect(failure("name: &a core\n")?.contains("anchor") == true)
        #expect(failure("{name: !!str core}\n")?.contains("anchor") == true)
        #expect(parse("name: core\napps: &a\n  x: 1\nplugs: *a\ntype: os\n")?.type == "os")
        #expect(failure("name: core\n\ttype: os\n") != nil)
        #expect(failure("name: \"core\n")?.contains("closing quote") == true)
        #expect(failure("{name: core\n")?.contains("closing") == true)
        #expect(failure("just a scalar\n") != nil)
    }

    @Test func anEmptyFileIsAnAppWithoutNameLikeSnapdReadsIt() {
        #expect(parse("") == SnapYaml(name: "", version: "", type: "app"))
        #expect(parse("# only a comment\n") == SnapYaml(name: "", version: "", type: "app"))
    }

    @Test func duplicateKeysLastWinsAsInYamlV2() {
        #expect(parse("name: core\ntype: os\ntype: base\n")?.type == "base")
    }
}

/// `SNAP_REEXEC` as `tool_linux.go` and `osutil/env.go` read it.
@Suite("SNAP_REEXEC as snapd reads it")
struct ReexecSettingTests {
    @Test("TestInReexecEnabled (tool_test.go)") func explicitlyDisabledDefaultAndEnabled() {
        #expect(!ReexecSetting("0").isEnabled)
        #expect(ReexecSetting(nil).isEnabled)
        #expect(ReexecSetting("1").isEnabled)
    }

    @Test(arguments: [
        // raw value, enabled (trimmed ParseBool, default true), explicitly enabled (raw non-empty && enabled)
        (String?.none, true, false), ("", true, false), ("0", false, false), (" 0 ", false, false),
        ("false", false, false), ("F", false, false), ("1", true, true), ("true", true, true), (" ", true, true),
        ("yes", true, true), ("no", true, true), ("2", true, true), ("\t1\n", true, true), ("FaLsE", true, true),
    ])
    func rawAndTrimmedChecks(_ entry: (String?, Bool, Bool)) {
        let setting = ReexecSetting(entry.0)
        #expect(setting.isEnabled == entry.1, "\(String(describing: entry.0))")
        #expect(setting.isExplicitlyEnabled == entry.2, "\(String(describing: entry.0))")
    }
}

/// `dirs/dirs.go` and `dirs_test.go`: the distribution table and the `/snap` probe.
@Suite("snapd's directories per distribution (dirs.go)")
struct SnapdDirectoriesTests {
    @Test(
        "dirs.go altDirDistros, matched on ID and ID_LIKE",
        arguments: [
            ("arch", [String](), "/var/lib/snapd/snap"), ("archlinux", [], "/var/lib/snapd/snap"),
            ("altlinux", [], "/var/lib/snapd/snap"), ("antergos", [], "/var/lib/snapd/snap"),
            ("gentoo", [], "/var/lib/snapd/snap"), ("manjaro", [], "/var/lib/snapd/snap"),
            ("manjaro-arm", [], "/var/lib/snapd/snap"), ("fedora", [], "/var/lib/snapd/snap"),
            ("rhel", ["fedora"], "/var/lib/snapd/snap"), ("centos", ["rhel", "fedora"], "/var/lib/snapd/snap"),
            ("endeavouros", ["arch"], "/var/lib/snapd/snap"), ("rhel", [], "/snap"), ("centos", [], "/snap"),
            ("ubuntu", ["debian"], "/snap"), ("debian", [], "/snap"), ("opensuse-tumbleweed", ["opensuse"], "/snap"),
            ("linux", [], "/snap"),
        ])
    func snapMountDirTable(_ entry: (String, [String], String)) {
        #expect(SnapdDirectories.tableSnapMountDir(OSRelease(id: entry.0, idLike: entry.1)) == entry.2)
    }

    @Test(
        "dirs.go DistroLibExecDir: fedora, and openSUSE Tumbleweed from snapshot 20200826",
        arguments: [
            ("fedora", [String](), "", "/usr/libexec/snapd"),
            ("centos", ["rhel", "fedora"], "9", "/usr/libexec/snapd"),
            ("rhel", [], "9", "/usr/lib/snapd"), ("centos", [], "7", "/usr/lib/snapd"),
            ("opensuse-tumbleweed", ["opensuse", "suse"], "20200826", "/usr/libexec/snapd"),
            ("opensuse-tumbleweed", [], "20240601", "/usr/libexec/snapd"),
            ("opensuse-tumbleweed", [], "20200825", "/usr/lib/snapd"),
            ("opensuse-tumbleweed", [], "+20200826", "/usr/libexec/snapd"),
            ("opensuse-tumbleweed", [], "2020-08-26", "/usr/lib/snapd"),
            ("opensuse-tumbleweed", [], "", "/usr/lib/snapd"),
            ("gecko", ["opensuse-tumbleweed"], "20210101", "/usr/libexec/snapd"),
            ("opensuse-leap", ["suse", "opensuse"], "15.6", "/usr/lib/snapd"),
            ("arch", [], "", "/usr/lib/snapd"), ("ubuntu", ["debian"], "24.04", "/usr/lib/snapd"),
        ])
    func libexecDirTable(_ entry: (String, [String], String, String)) {
        #expect(
            SnapdDirectories.libexecDir(OSRelease(id: entry.0, idLike: entry.1, versionID: entry.2)) == entry.3)
    }

    func probe(_ setUp: (FakeRoot) throws -> Void) throws -> (SnapdDirectories.Probe, String) {
        let root = try FakeRoot()
        defer { root.remove() }
        try setUp(root)
        return (SnapdDirectories.probeSnapMountDir(root: root.path, system: LinuxSystemCalls()), root.path)
    }

    @Test("snapMountDirProbe: /snap a directory means /snap") func directory() throws {
        let (result, root) = try probe { try $0.mkdir("/snap") }
        guard case .resolved(let path, _) = result else { Issue.record("\(result)"); return }
        #expect(path == root + "/snap")
    }

    @Test("snapMountDirProbe: no /snap means /var/lib/snapd/snap") func absent() throws {
        let (result, root) = try probe { _ in }
        guard case .resolved(let path, _) = result else { Issue.record("\(result)"); return }
        #expect(path == root + "/var/lib/snapd/snap")
    }

    @Test(
        "snapMountDirProbe: /snap a symlink to /var/lib/snapd/snap (absolute, relative, under the root)",
        arguments: ["/var/lib/snapd/snap", "var/lib/snapd/snap", "ROOT/var/lib/snapd/snap"])
    func symlinkToAlt(_ target: String) throws {
        let (result, root) = try probe { root in
            try root.symlink("/snap", to: target.replacingOccurrences(of: "ROOT", with: root.path))
        }
        guard case .resolved(let path, _) = result else { Issue.record("\(result)"); return }
        #expect(path == root + "/var/lib/snapd/snap")
    }

    @Test("snapMountDirProbe: another symlink or a file leaves it unresolved", arguments: [0, 1, 2])
    func unresolved(_ variant: Int) throws {
        let (result, _) = try probe { root in
            switch variant {
            case 0: try root.symlink("/snap", to: "/srv/snaps")
            case 1: try root.symlink("/snap", to: "../var/lib/snapd/snap")
            default: try root.write("/snap", "not a directory")
            }
        }
        guard case .unresolved(let reason, _) = result else { Issue.record("\(result)"); return }
        #expect(reason.contains("/snap"))
    }

    /// `dirs_test.go` `TestClassicConfinementSupportOnSpecificDistributions`: classic confinement needs
    /// `/snap`; the distributions it lists without it are exactly those the table mounts elsewhere.
    @Test(
        "TestClassicConfinementSupportOnSpecificDistributions (dirs_test.go)",
        arguments: [
            ("fedora", [String](), false), ("rhel", ["fedora"], false), ("centos", ["fedora"], false),
            ("ubuntu", ["debian"], true), ("debian", [], true), ("suse", [], true), ("yocto", [], true),
        ])
    func classicConfinementDistributions(_ entry: (String, [String], Bool)) {
        let mountDir = SnapdDirectories.tableSnapMountDir(OSRelease(id: entry.0, idLike: entry.1))
        #expect((mountDir == "/snap") == entry.2)
    }

    /// `dirs_test.go` `TestClassicConfinementSymlinkWorkaround`: on Fedora, `/snap` a symlink to
    /// `/var/lib/snapd/snap` is what makes `/snap` lead to the snaps (and snapd's re-exec check find them).
    @Test("TestClassicConfinementSymlinkWorkaround (dirs_test.go)") func symlinkWorkaround() throws {
        let (result, root) = try probe { root in
            try root.mkdir("/var/lib/snapd/snap")
            try root.symlink("/snap", to: root.path + "/var/lib/snapd/snap")
        }
        guard case .resolved(let path, _) = result else {
            Issue.record("\(result)")
            return
        }
        #expect(path == root + "/var/lib/snapd/snap")
        let settings = SnapdSettings(
            snapMountDir: path, libexecDir: "/usr/libexec/snapd", osRelease: nil, rootDir: root)
        #expect(settings.reexecSnapDir == root + "/snap")
    }

    @Test("syscheck checkSnapMountDir") func startupCheck() {
        #expect(SnapdDirectories.snapMountDirCheck("/snap", OSRelease(id: "ubuntu")) == nil)
        #expect(SnapdDirectories.snapMountDirCheck("/var/lib/snapd/snap", OSRelease(id: "ubuntu")) != nil)
        #expect(SnapdDirectories.snapMountDirCheck("/snap", OSRelease(id: "fedora")) != nil)
        #expect(SnapdDirectories.snapMountDirCheck("/var/lib/snapd/snap", OSRelease(id: "fedora")) == nil)
        #expect(
            SnapdDirectories.snapMountDirCheck(
                "/var/lib/snapd/snap", OSRelease(id: "opensuse-tumbleweed", idLike: ["opensuse"])) == nil)
        #expect(SnapdDirectories.snapMountDirCheck("/var/lib/snapd/snap", OSRelease(id: "nixos")) == nil)
    }
}

/// Bad input never crashes a reader: mutated snap.yaml, os-release and info files, and random version
/// pairs, each read twice with the same result.
@Suite("Readers on mutated input")
struct MutatedInputTests {
    static let seeds = [
        "name: core\nversion: '16-2.61'\ntype: os\napps:\n  x:\n    command: a # c\n",
        "{name: snapd, version: \"2.6\\u00e9\", type: snapd, plugs: [a, {b: c}]}\n",
        "---\nname: \"a\n  b\"\nsummary: |\n  text\n- x\n...\n",
        "ID=\"elementary OS\"\r\nID_LIKE='ubuntu\tdebian'\nVERSION_ID=\"20240601\"\n",
        "VERSION=2.61\r\nSNAPD_APPARMOR_REEXEC=1\nVERSION=\n",
    ]
    static let alphabet = Array("{}[]:,'\"#-|>?&*!~ \t\r\n\\=xV0".utf8) + [0, 0xff, 0xc3]

    @Test func mutatedFilesAreReadWithoutCrashingAndDeterministically() {
        var random = SplitMix64(state: 12)
        for round in 0..<3_000 {
            var bytes = Array(Self.seeds[round % Self.seeds.count].utf8)
            for _ in 0...(random.next() % 6) {
                let position = bytes.isEmpty ? 0 : Int(random.next() % UInt64(bytes.count))
                let byte = Self.alphabet[Int(random.next() % UInt64(Self.alphabet.count))]
                switch random.next() % 3 {
                case 0: bytes.insert(byte, at: position)
                case 1: if !bytes.isEmpty { bytes.remove(at: position) }
                default: if !bytes.isEmpty { bytes[position] = byte }
                }
            }
            #expect(SnapYaml.parse(bytes) == SnapYaml.parse(bytes))
            #expect(OSRelease(parsing: bytes) == OSRelease(parsing: bytes))
            #expect(SnapdInfoFile.version(bytes) == SnapdInfoFile.version(bytes))
            let a = String(decoding: bytes.prefix(12), as: UTF8.self)
            let b = String(decoding: bytes.suffix(12), as: UTF8.self)
            let forward = SnapdVersion.compare(a, b)
            #expect(forward.map { -$0 } == SnapdVersion.compare(b, a))
        }
    }
}
