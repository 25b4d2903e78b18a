import Foundation
import GenerationStore
import SnapExportCommands
import Testing
import TestSupport

/// A host root in a temporary directory, read only through `--host-root` (no other path option), so snapd's
/// own defaults decide: the `/snap` probe and the distribution table (dirs.go), the os-release search
/// (release.go), the re-exec check at `<root>/snap/<name>/current/usr/bin/snap` (tool_linux.go).
struct ScenarioWorld {
    let directory: TemporaryDirectory
    var base: String { directory.path.replacingOccurrences(of: "//", with: "/") }
    static let tools = [
        "etelpmoc.sh", "info", "snap-confine", "snap-discard-ns", "snap-exec", "snap-gdb-shim",
        "snap-gdbserver-shim", "snap-update-ns", "snapctl",
    ]

    /// Ubuntu with `/snap` a directory and the host's snapd at VERSION=2 (snapd's `MockVersion("2")`).
    init() throws {
        directory = try TemporaryDirectory("snapd-scenario")
        try osRelease("NAME=\"Ubuntu\"\nID=ubuntu\nID_LIKE=debian\n")
        try host(info: "VERSION=2\n")
        try FileManager.default.createDirectory(atPath: base + "/snap", withIntermediateDirectories: true)
    }

    func write(_ relative: String, _ text: String) throws {
        let path = base + relative
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: path, atomically: false, encoding: .utf8)
    }

    func osRelease(_ text: String) throws { try write("/etc/os-release", text) }

    /// Fedora: os-release and the host's tools in /usr/libexec/snapd, as the distribution has them.
    func fedora() throws {
        try osRelease("NAME=Fedora\nID=fedora\nVERSION_ID=40\n")
        try FileManager.default.removeItem(atPath: base + "/usr/lib/snapd")
        try host(info: "VERSION=2\n", libexec: "/usr/libexec/snapd")
    }

    /// The host's tools in `libexec` (under the root), with this info file (nil: none).
    func host(info: String?, libexec: String = "/usr/lib/snapd") throws {
        for tool in Self.tools where tool != "info" { try write(libexec + "/" + tool, "#!/bin/sh\n") }
        if let info { try write(libexec + "/info", info) }
    }

    /// `<mountDir>/<instance>/<revision>` (under the root) with meta/snap.yaml, the tools, the info file (nil:
    /// none) and `usr/bin/snap` unless `binary` is false; `current` points at it.
    func snap(
        _ instance: String, _ revision: String, info: String? = "VERSION=42", binary: Bool = true,
        tools: [String] = tools, mountDir: String = "/snap"
    ) throws {
        let root = mountDir + "/" + instance + "/" + revision
        try write(
            root + "/meta/snap.yaml", "name: \(instance)\nversion: '1'\ntype: \(instance == "core" ? "os" : "snapd")\n")
        for tool in tools where tool != "info" { try write(root + "/usr/lib/snapd/" + tool, "#!/bin/sh\n") }
        if let info { try write(root + "/usr/lib/snapd/info", info) }
        if binary { try write(root + "/usr/bin/snap", "#!/bin/sh\n") }
        let link = base + mountDir + "/" + instance + "/current"
        try? FileManager.default.removeItem(atPath: link)
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: revision)
    }

    func run(_ arguments: [String], environment: [String: String] = [:]) -> (code: Int32, out: String, err: String) {
        let console = CapturedConsole()
        let code = SnapExportTool.run(
            ["--root", base + "/export", "--host-root", base] + arguments, environment: environment, console: console)
        return (code, console.output, console.errors)
    }

    func json(_ arguments: [String], environment: [String: String] = [:]) throws -> (Int32, [String: Any]) {
        let result = run(arguments + ["--json"], environment: environment)
        let object = try JSONSerialization.jsonObject(with: Data(result.out.utf8)) as? [String: Any]
        return (result.code, try #require(object, "no JSON: \(result.out) \(result.err)"))
    }
}

/// One scenario: how the system is set up, `SNAP_REEXEC`, and the generation snapd's tools come from.
struct Scenario: CustomTestStringConvertible, Sendable {
    var name: String
    var reexec: String?
    /// The generation `snapd/current` must name; nil: no provider (exit 66, `current` unchanged).
    var expected: String?
    /// The host's tools directory (under the root) snapd's table gives, when the scenario is about it.
    var libexec: String? = nil
    var setUp: @Sendable (ScenarioWorld) throws -> Void
    var testDescription: String { name }
}

/// snapd's own test cases that decide which tools run (`snapdtool/tool_test.go`, `dirs/dirs_test.go` and
/// `dirs.go`, `release/release_test.go`, the snap.yaml type rules), each through `explain --json` and then
/// `refresh --json` on the same system: both must give snapd's answer.
@Suite("snapd's scenarios through explain --json and refresh")
struct SnapdScenarioTests {
    static let scenarios: [Scenario] = [
        // snapdtool/tool_test.go
        Scenario(name: "TestExecInSnapdOrCoreSnap", expected: "42") { try $0.snap("snapd", "42") },
        Scenario(name: "TestExecInOldCoreSnap", expected: "core_21") { try $0.snap("core", "21") },
        Scenario(name: "TestExecInOldCoreSnap, the snapd snap lacking the binary", expected: "core_21") { world in
            try world.snap("snapd", "42", binary: false)
            try world.snap("core", "21")
        },
        Scenario(name: "TestExecInSnapdOrCoreSnapBailsNoCoreSupport: no info, no fallback to core", expected: "host") {
            world in
            try world.snap("snapd", "42", info: nil)
            try world.snap("core", "21", info: "VERSION=99")
        },
        Scenario(name: "TestExecInSnapdOrCoreSnapMissingExe", expected: "host") {
            try $0.snap("snapd", "42", binary: false)
        },
        Scenario(name: "TestExecInSnapdOrCoreSnapBailsNoDistroSupport: Ubuntu Core", expected: "42") { world in
            try world.osRelease("ID=ubuntu-core\n")
            try world.snap("snapd", "42", info: "VERSION=1")
        },
        Scenario(name: "TestExecInSnapdOrCoreSnapDisabled", reexec: "0", expected: "host") {
            try $0.snap("snapd", "42")
        },
        Scenario(name: "TestSystemSnapSupportsReExecNoInfo", expected: "host") {
            try $0.snap("snapd", "42", info: nil)
        },
        Scenario(name: "TestSystemSnapSupportsReExecBadInfo: info is a directory", expected: "host") { world in
            try world.snap("snapd", "42", info: nil)
            try FileManager.default.createDirectory(
                atPath: world.base + "/snap/snapd/42/usr/lib/snapd/info/x", withIntermediateDirectories: true)
        },
        Scenario(name: "TestSystemSnapSupportsReExecBadInfoContent", expected: "host") {
            try $0.snap("snapd", "42", info: "potatoes")
        },
        Scenario(name: "TestSystemSnapSupportsReExecBadVersion", expected: "host") {
            try $0.snap("snapd", "42", info: "VERSION=0:")
        },
        Scenario(name: "TestSystemSnapSupportsReExecOldVersion", expected: "host") {
            try $0.snap("snapd", "42", info: "VERSION=0")
        },
        Scenario(name: "TestSystemSnapSupportsReExec", expected: "42") {
            try $0.snap("snapd", "42", info: "VERSION=9999")
        },
        Scenario(name: "TestDistroSupportsReExec: fedora", expected: "host") { world in
            try world.fedora()
            try world.snap("snapd", "42")
        },
        Scenario(name: "TestDistroSupportsReExec: opensuse", expected: "host") { world in
            try world.osRelease("ID=opensuse\n")
            try world.snap("snapd", "42")
        },
        Scenario(name: "TestDistroSupportsReExec: debian", expected: "42") { world in
            try world.osRelease("ID=debian\n")
            try world.snap("snapd", "42")
        },
        Scenario(name: "IsReexecExplicitlyEnabled: fedora with SNAP_REEXEC=1", reexec: "1", expected: "42") { world in
            try world.fedora()
            try world.snap("snapd", "42")
        },
        Scenario(name: "IsReexecExplicitlyEnabled: a blank SNAP_REEXEC on fedora", reexec: " ", expected: "42") {
            world in
            try world.fedora()
            try world.snap("snapd", "42")
        },
        Scenario(name: "GetenvBool: SNAP_REEXEC=' false ' on ubuntu", reexec: " false ", expected: "host") {
            try $0.snap("snapd", "42")
        },
        Scenario(name: "re-exec off: a host without info still provides", reexec: "0", expected: "host") { world in
            try FileManager.default.removeItem(atPath: world.base + "/usr/lib/snapd/info")
            try world.snap("snapd", "42")
        },
        Scenario(name: "re-exec on and the host's version unknown: no provider is certain", expected: nil) { world in
            try FileManager.default.removeItem(atPath: world.base + "/usr/lib/snapd/info")
            try world.snap("snapd", "42")
        },
        // strutil/version.go through the rule
        Scenario(name: "VersionCompare: 2.61ubuntu0 is newer than 2.61ubuntu (dpkg: equal)", expected: "42") { world in
            try world.host(info: "VERSION=2.61ubuntu\n")
            try world.snap("snapd", "42", info: "VERSION=2.61ubuntu0")
        },
        Scenario(name: "VersionCompare: an epoch in the host's version is invalid", expected: "host") { world in
            try world.host(info: "VERSION=1:2\n")
            try world.snap("snapd", "42", info: "VERSION=9999")
        },
        // snapdtool/info_file.go
        Scenario(name: "info with CRLF line endings", expected: "42") { world in
            try world.host(info: "VERSION=2\r\nSNAPD_APPARMOR_REEXEC=1\r\n")
            try world.snap("snapd", "42", info: "VERSION=9999\r\nSNAPD_APPARMOR_REEXEC=1\r\n")
        },
        Scenario(name: "info: the last VERSION= wins", expected: "host") {
            try $0.snap("snapd", "42", info: "VERSION=9999\nVERSION=1\n")
        },
        // release/release_test.go
        Scenario(name: "TestReadWonkyOSRelease: ID=\"elementary OS\", ID_LIKE=ubuntu re-execs", expected: "42") {
            world in
            try world.osRelease("NAME=\"elementary OS\"\nID=\"elementary OS\"\nID_LIKE=ubuntu\nVERSION_ID=\"0.4\"\n")
            try world.snap("snapd", "42")
        },
        Scenario(name: "TestReadOSReleaseFallback: /usr/lib/os-release", expected: "42") { world in
            try FileManager.default.removeItem(atPath: world.base + "/etc/os-release")
            try world.write("/usr/lib/os-release", "ID=debian\n")
            try world.snap("snapd", "42")
        },
        Scenario(name: "TestReadOSReleaseNotFound: ID=linux does not re-exec", expected: "host") { world in
            try FileManager.default.removeItem(atPath: world.base + "/etc/os-release")
            try world.snap("snapd", "42")
        },
        Scenario(name: "os-release with CRLF line endings and a tab in ID_LIKE", expected: "42") { world in
            try world.osRelease("NAME=Mint\r\nID=linuxmint\r\nID_LIKE=\"ubuntu\tdebian\"\r\n")
            try world.snap("snapd", "42")
        },
        Scenario(name: "os-release with an empty ID: snapd would crash, no provider", expected: nil) { world in
            try world.osRelease("ID=\"\"\nID_LIKE=debian\n")
            try world.snap("snapd", "42")
        },
        // dirs/dirs.go: snapMountDirProbe and the distribution table
        Scenario(name: "dirs.go: Arch without /snap mounts at /var/lib/snapd/snap and runs the host", expected: "host")
        {
            world in
            try world.osRelease("ID=arch\n")
            try FileManager.default.removeItem(atPath: world.base + "/snap")
            try world.snap("snapd", "42", mountDir: "/var/lib/snapd/snap")
        },
        Scenario(
            name: "tool_linux.go: Arch with SNAP_REEXEC=1 but no /snap does not re-exec", reexec: "1", expected: "host"
        ) { world in
            try world.osRelease("ID=arch\n")
            try FileManager.default.removeItem(atPath: world.base + "/snap")
            try world.snap("snapd", "42", mountDir: "/var/lib/snapd/snap")
        },
        Scenario(
            name: "tool_linux.go: Arch with SNAP_REEXEC=1 and /snap -> /var/lib/snapd/snap re-execs", reexec: "1",
            expected: "42"
        ) { world in
            try world.osRelease("ID=arch\n")
            try FileManager.default.removeItem(atPath: world.base + "/snap")
            try world.snap("snapd", "42", mountDir: "/var/lib/snapd/snap")
            try FileManager.default.createSymbolicLink(
                atPath: world.base + "/snap", withDestinationPath: "var/lib/snapd/snap")
        },
        Scenario(
            name: "dirs.go: Fedora's tools are in /usr/libexec/snapd", expected: "host", libexec: "/usr/libexec/snapd"
        ) { world in
            try world.osRelease("ID=fedora\nVERSION_ID=40\n")
            try FileManager.default.removeItem(atPath: world.base + "/usr/lib/snapd")
            try world.host(info: "VERSION=2\n", libexec: "/usr/libexec/snapd")
        },
        Scenario(
            name: "dirs.go: openSUSE Tumbleweed 20240601 uses /usr/libexec/snapd", expected: "host",
            libexec: "/usr/libexec/snapd"
        ) { world in
            try world.osRelease("ID=\"opensuse-tumbleweed\"\nID_LIKE=\"opensuse suse\"\nVERSION_ID=\"20240601\"\n")
            try FileManager.default.removeItem(atPath: world.base + "/usr/lib/snapd")
            try world.host(info: "VERSION=2\n", libexec: "/usr/libexec/snapd")
        },
        Scenario(
            name: "dirs.go: openSUSE Tumbleweed 20200101 still uses /usr/lib/snapd", expected: "host",
            libexec: "/usr/lib/snapd"
        ) { world in
            try world.osRelease("ID=\"opensuse-tumbleweed\"\nVERSION_ID=\"20200101\"\n")
        },
        Scenario(name: "dirs.go: rhel alone is not Fedora-like", expected: "host", libexec: "/usr/lib/snapd") { world in
            try world.osRelease("ID=rhel\n")
        },
        Scenario(name: "dirs.go: centos with ID_LIKE fedora is", expected: "host", libexec: "/usr/libexec/snapd") {
            world in
            try world.osRelease("ID=\"centos\"\nID_LIKE=\"rhel fedora\"\n")
            try world.host(info: "VERSION=2\n", libexec: "/usr/libexec/snapd")
        },
        Scenario(name: "snapMountDirProbe: /snap a symlink elsewhere, no provider is certain", expected: nil) { world in
            try FileManager.default.removeItem(atPath: world.base + "/snap")
            try FileManager.default.createSymbolicLink(atPath: world.base + "/snap", withDestinationPath: "/srv/snap")
        },
        // snap.yaml: the type is not what tool_linux.go looks at
        Scenario(name: "snap.yaml: a snapd snap with type: app still re-execs (named snapd)", expected: "42") { world in
            try world.snap("snapd", "42")
            try world.write("/snap/snapd/42/meta/snap.yaml", "{name: snapd, version: '1', type: app}\n")
        },
        Scenario(name: "snap.yaml: a core snap with no type still provides", expected: "core_21") { world in
            try world.snap("core", "21")
            try world.write("/snap/core/21/meta/snap.yaml", "name : core\r\nversion : 16-2.61\r\n")
        },
        Scenario(name: "snap.yaml snapd cannot read: the revision provides nothing, no provider", expected: nil) {
            world in
            try world.snap("snapd", "42")
            try world.write("/snap/snapd/42/meta/snap.yaml", "name: snapd\ntype: potato\n")
        },
    ]

    @Test(arguments: scenarios)
    func explainAndRefreshGiveSnapdsAnswer(_ scenario: Scenario) throws {
        let world = try ScenarioWorld()
        defer { world.directory.remove() }
        try scenario.setUp(world)
        let environment = scenario.reexec.map { ["SNAP_REEXEC": $0] } ?? [:]
        let (explainCode, explain) = try world.json(["explain"], environment: environment)
        let provider = explain["provider"] as? [String: Any]
        #expect(provider?["generation"] as? String == scenario.expected, "explain: \(explain)")
        #expect(explainCode == (scenario.expected == nil ? 66 : 0))
        if let libexec = scenario.libexec {
            #expect((explain["system"] as? [String: Any])?["libexec_dir"] as? String == world.base + libexec)
        }
        let (refreshCode, refresh) = try world.json(["refresh", "--no-gc"], environment: environment)
        #expect(refresh["current"] as? String == scenario.expected, "refresh: \(refresh)")
        #expect(refreshCode == (scenario.expected == nil ? 66 : 0))
        // The generation is really there, with the tools of that provider and only those.
        if let expected = scenario.expected {
            let current = try FileManager.default.destinationOfSymbolicLink(
                atPath: world.base + "/export/snapd/current")
            #expect(current == expected)
        } else {
            #expect(!FileManager.default.fileExists(atPath: world.base + "/export/snapd/current"))
        }
    }

    @Test func explainNamesTheToolsEachCandidateLacks() throws {
        let world = try ScenarioWorld()
        defer { world.directory.remove() }
        try world.snap("snapd", "42", tools: ["info", "snap-exec", "snap-confine"])
        let (code, json) = try world.json(["explain"])
        #expect(code == 0)
        let candidates = json["candidates"] as? [[String: Any]] ?? []
        let missing = candidates.map { ($0["missing_tools"] as? [String]) ?? ["?"] }
        #expect(missing[0].count == 6 && !missing[0].contains("snap-exec"))
        #expect(missing[1] == ScenarioWorld.tools)
        #expect(missing[2].isEmpty)
        #expect(candidates[0]["has_binary"] as? Bool == true && candidates[1]["has_binary"] as? Bool == false)
        let text = world.run(["explain"]).out
        #expect(text.contains("etelpmoc.sh,info") == false && text.contains("etelpmoc.sh,snap-discard-ns"))
        // refresh exports what that provider has, and nothing else.
        _ = world.run(["refresh", "--no-gc"])
        let tools = try FileManager.default.contentsOfDirectory(atPath: world.base + "/export/snapd/42/tools").sorted()
        #expect(tools == ["info", "snap-confine", "snap-exec"])
    }

    @Test func explainShowsTheSystemAsSnapdReadsIt() throws {
        let world = try ScenarioWorld()
        defer { world.directory.remove() }
        try world.osRelease("ID=arch\r\nVERSION_ID=\"rolling\"\r\n")
        try FileManager.default.removeItem(atPath: world.base + "/snap")
        let (_, json) = try world.json(["explain"], environment: ["SNAP_REEXEC": "yes"])
        let system = json["system"] as? [String: Any] ?? [:]
        #expect(system["id"] as? String == "arch" && system["version_id"] as? String == "rolling")
        #expect(system["snap_mount_dir"] as? String == world.base + "/var/lib/snapd/snap")
        #expect(system["reexec_snap_dir"] as? String == world.base + "/snap")
        #expect(system["libexec_dir"] as? String == world.base + "/usr/lib/snapd")
        #expect(system["snap_reexec"] as? String == "yes")
        #expect(system["reexec_enabled"] as? Bool == true && system["reexec_explicitly_enabled"] as? Bool == true)
        #expect(json["compared_versions"] as? Bool == false)
    }

    @Test func aComparisonIsMadeOnlyWhenSnapdConsidersReexecuting() throws {
        let world = try ScenarioWorld()
        defer { world.directory.remove() }
        try world.snap("snapd", "42", info: "VERSION=1:broken")
        #expect(try world.json(["explain"]).1["compared_versions"] as? Bool == true)
        #expect(try world.json(["explain"], environment: ["SNAP_REEXEC": "0"]).1["compared_versions"] as? Bool == false)
        try world.osRelease("ID=ubuntu-core\n")
        let core = try world.json(["explain"]).1
        #expect(core["compared_versions"] as? Bool == false)
        #expect((core["provider"] as? [String: Any])?["generation"] as? String == "42")
    }
}

/// Given paths (no `--host-root`): a snap mount dir somewhere else stands for `/snap` in the re-exec check,
/// one under `…/var/lib/snapd/snap` makes the check look at the sibling `…/snap`, as snapd's does.
@Suite("The re-exec check with a given snap mount dir")
struct GivenSnapMountDirTests {
    func explain(_ world: ScenarioWorld, snapMountDir: String, reexec: String? = nil) throws -> String? {
        let console = CapturedConsole()
        _ = SnapExportTool.run(
            [
                "--root", world.base + "/export", "--snap-mount-dir", world.base + snapMountDir, "--libexec-dir",
                world.base + "/usr/lib/snapd", "--os-release", world.base + "/etc/os-release", "explain", "--json",
            ], environment: reexec.map { ["SNAP_REEXEC": $0] } ?? [:], console: console)
        let json = try JSONSerialization.jsonObject(with: Data(console.output.utf8)) as? [String: Any]
        return (json?["provider"] as? [String: Any])?["generation"] as? String
    }

    @Test func aSnapMountDirElsewhereStandsForSlashSnap() throws {
        let world = try ScenarioWorld()
        defer { world.directory.remove() }
        try world.snap("snapd", "42", mountDir: "/srv/snaps")
        #expect(try explain(world, snapMountDir: "/srv/snaps") == "42")
    }

    @Test func underVarLibSnapdSnapTheCheckLooksAtTheSiblingSlashSnap() throws {
        let world = try ScenarioWorld()
        defer { world.directory.remove() }
        try FileManager.default.removeItem(atPath: world.base + "/snap")
        try world.snap("snapd", "42", mountDir: "/var/lib/snapd/snap")
        #expect(try explain(world, snapMountDir: "/var/lib/snapd/snap") == "host")
        try FileManager.default.createSymbolicLink(
            atPath: world.base + "/snap", withDestinationPath: world.base + "/var/lib/snapd/snap")
        #expect(try explain(world, snapMountDir: "/var/lib/snapd/snap") == "42")
    }
}
