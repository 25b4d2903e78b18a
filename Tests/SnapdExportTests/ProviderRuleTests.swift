import Foundation
import GenerationStore
import SnapdExport
import Testing
import TestSupport

/// One candidate of a rule case: whether the current revision has `usr/bin/snap`, its info VERSION (nil: none
/// readable), and whether anything of it can be exported.
struct Side: Sendable {
    var binary = true
    var version: String?
    var exportable = true

    static func snap(_ version: String?, binary: Bool = true) -> Side { Side(binary: binary, version: version) }
}

/// One row of the provider rule table: the system, the candidates, and the provider snapd would run.
struct RuleCase: CustomTestStringConvertible, Sendable {
    var name: String
    var onClassic = true
    var distribution = "ubuntu"
    var idLike: [String] = ["debian"]
    var reexec: String?
    var snapd: Side?
    var core: Side?
    var host: Side? = Side(version: "2")
    var expected: ToolsSource.Kind?
    var compared = false

    var testDescription: String { name }

    var system: ReexecSystem {
        let release = OSRelease(id: distribution, idLike: idLike)
        return ReexecSystem(
            onClassic: onClassic, debianLike: release.isDebianLike, distribution: distribution,
            reexec: ReexecSetting(reexec), binary: SnapdSettings.reexecBinary)
    }

    func candidate(_ kind: ToolsSource.Kind, _ side: Side?) -> ProviderCandidate {
        guard let side else { return ProviderCandidate(kind: kind, unavailable: "\(kind) is not installed") }
        let source: ToolsSource? =
            !side.exportable
            ? nil
            : kind == .host
                ? .host(version: side.version, tools: SnapdSettings.tools)
                : .snap(
                    kind: kind, instance: kind == .core ? "core" : "snapd", revision: "42", version: side.version,
                    tools: SnapdSettings.tools)
        return ProviderCandidate(
            kind: kind, source: source, unavailable: "has none of the tools", hasBinary: kind == .host || side.binary,
            binaryNote: side.binary ? "usr/bin/snap exists" : "usr/bin/snap does not exist", version: side.version,
            versionProblem: side.version == nil ? "no VERSION" : nil)
    }

    func decide() -> ProviderDecision {
        ProviderRule.decide(
            system, snapd: candidate(.snapd, snapd), core: candidate(.core, core), host: candidate(.host, host))
    }
}

/// The rule, with the scenarios of snapd's `snapdtool/tool_test.go` (each named after the snapd test) and the
/// cases `tool_linux.go` decides that those tests leave out. The host's version is the compiled-in `Version`
/// of the snapd test suite (`MockVersion("2")`), the snap's info VERSION `42` unless the test says otherwise.
@Suite("Provider rule (snapdtool/tool_linux.go)")
struct ProviderRuleTests {
    static let table: [RuleCase] =
        [
            RuleCase(
                name: "TestExecInSnapdOrCoreSnap: the snapd snap", snapd: .snap("42"), expected: .snapd,
                compared: true),
            RuleCase(
                name: "TestExecInOldCoreSnap: core when only core has the binary", snapd: .snap("42", binary: false),
                core: .snap("42"), expected: .core, compared: true),
            RuleCase(
                name: "TestExecInOldCoreSnap: core without a snapd snap", core: .snap("42"), expected: .core,
                compared: true),
            RuleCase(
                name: "TestExecInSnapdOrCoreSnapBailsNoCoreSupport: no info, the host (not core)", snapd: .snap(nil),
                core: .snap("42"), expected: .host),
            RuleCase(
                name: "TestExecInSnapdOrCoreSnapMissingExe: the host", snapd: .snap("42", binary: false),
                expected: .host),
            RuleCase(
                name: "TestExecInSnapdOrCoreSnapMissingExe: the host when neither has the binary",
                snapd: .snap("42", binary: false), core: .snap("42", binary: false), expected: .host),
            RuleCase(
                name: "TestExecInSnapdOrCoreSnapDisabled: SNAP_REEXEC=0, the host", reexec: "0", snapd: .snap("42"),
                expected: .host),
            RuleCase(
                name: "TestExecInSnapdOrCoreSnapBailsNoDistroSupport: not classic, no re-exec (the snapd snap runs)",
                onClassic: false, distribution: "ubuntu-core", idLike: [], snapd: .snap("1"), host: nil,
                expected: .snapd),
            RuleCase(name: "TestSystemSnapSupportsReExecNoInfo", snapd: .snap(nil), expected: .host),
            RuleCase(name: "TestSystemSnapSupportsReExecBadInfoContent: potatoes", snapd: .snap(nil), expected: .host),
            RuleCase(
                name: "TestSystemSnapSupportsReExecBadVersion: 0: is invalid", snapd: .snap("0:"), expected: .host,
                compared: true),
            RuleCase(
                name: "TestSystemSnapSupportsReExecOldVersion", snapd: .snap("0"), expected: .host, compared: true),
            RuleCase(name: "TestSystemSnapSupportsReExec", snapd: .snap("9999"), expected: .snapd, compared: true),
            RuleCase(
                name: "TestDistroSupportsReExec: debian", distribution: "debian", idLike: [], snapd: .snap("42"),
                expected: .snapd, compared: true),
            RuleCase(
                name: "TestDistroSupportsReExec: ubuntu", idLike: [], snapd: .snap("42"), expected: .snapd,
                compared: true),
        ]
        + ["fedora", "centos", "rhel", "opensuse", "suse", "poky", "arch"].map { id in
            RuleCase(
                name: "TestDistroSupportsReExec: \(id) does not re-exec", distribution: id, idLike: [],
                snapd: .snap("42"), expected: .host)
        } + [
            RuleCase(
                name: "TestNonClassicDistroNoSupportsReExec: Ubuntu Core, core without a snapd snap", onClassic: false,
                distribution: "ubuntu-core", idLike: [], core: .snap(nil), host: nil, expected: .core),
            RuleCase(
                name: "Ubuntu Core: no snap with the binary, none", onClassic: false, distribution: "ubuntu-core",
                idLike: [],
                snapd: .snap("1", binary: false), host: nil, expected: nil),
            RuleCase(
                name: "Ubuntu Core: the snapd snap without info still runs, no comparison", onClassic: false,
                distribution: "ubuntu-core", idLike: [], snapd: .snap(nil), core: .snap("99"), host: nil,
                expected: .snapd),
            RuleCase(
                name: "IsReexecExplicitlyEnabled: SNAP_REEXEC=1 on fedora re-execs", distribution: "fedora", idLike: [],
                reexec: "1", snapd: .snap("42"), expected: .snapd, compared: true),
            RuleCase(
                name: "IsReexecExplicitlyEnabled: a blank SNAP_REEXEC on arch re-execs (raw value non-empty)",
                distribution: "arch", idLike: [], reexec: " ", snapd: .snap("42"), expected: .snapd, compared: true),
            RuleCase(
                name: "IsReexecExplicitlyEnabled: SNAP_REEXEC=yes (not a boolean) on fedora re-execs",
                distribution: "fedora",
                idLike: [], reexec: "yes", snapd: .snap("42"), expected: .snapd, compared: true),
            RuleCase(
                name: "IsReexecExplicitlyEnabled: an empty SNAP_REEXEC on fedora does not", distribution: "fedora",
                idLike: [], reexec: "", snapd: .snap("42"), expected: .host),
            RuleCase(
                name: "GetenvBool trims: SNAP_REEXEC=' 0 ' disables", reexec: " 0 ", snapd: .snap("42"), expected: .host
            ),
            RuleCase(
                name: "explicitly enabled, an older snap still loses", distribution: "fedora", idLike: [], reexec: "1",
                core: .snap("1"), expected: .host, compared: true),
            RuleCase(
                name: "an older snapd snap means the host, even with a newer core", snapd: .snap("1"),
                core: .snap("99"),
                expected: .host, compared: true),
            RuleCase(name: "equal versions re-exec", snapd: .snap("2"), expected: .snapd, compared: true),
            RuleCase(
                name: "snapd's order: 2.61ubuntu0 is newer than the host's 2.61ubuntu", snapd: .snap("2.61ubuntu0"),
                host: Side(version: "2.61ubuntu"), expected: .snapd, compared: true),
            RuleCase(
                name: "snapd's order: 1.0 is older than the host's 1.0ubuntu0", snapd: .snap("1.0"),
                host: Side(version: "1.0ubuntu0"), expected: .host, compared: true),
            RuleCase(
                name: "a host version with an epoch cannot be compared: the host", snapd: .snap("9999"),
                host: Side(version: "1:2.61"), expected: .host, compared: true),
            RuleCase(
                name: "re-exec off: the host whatever its info says", reexec: "0", snapd: .snap("9999"),
                host: Side(version: nil), expected: .host),
            RuleCase(
                name: "not Debian-like: the host whatever its info says", distribution: "fedora", idLike: [],
                snapd: .snap("9999"), host: Side(version: "1:bad"), expected: .host),
            RuleCase(
                name: "re-exec considered and the host's version unknown: not certain", snapd: .snap("42"),
                host: Side(version: nil), expected: nil),
            RuleCase(
                name: "the snapd snap would run but cannot be exported: none",
                snapd: Side(version: "42", exportable: false),
                core: .snap("99"), expected: nil, compared: true),
            RuleCase(
                name: "the host would run but has no tools: none", reexec: "0",
                host: Side(version: "2", exportable: false),
                expected: nil),
        ]

    @Test(arguments: table)
    func theRuleChoosesWhatSnapdWouldRun(_ row: RuleCase) {
        let decision = row.decide()
        #expect(decision.chosen?.kind == row.expected, "\(decision.reason)")
        #expect(decision.comparedVersions == row.compared, "\(decision.reason)")
        #expect(decision.verdicts.map(\.kind) == [.snapd, .core, .host])
        #expect(decision.verdicts.filter(\.chosen).map(\.kind) == (row.expected.map { [$0] } ?? []))
        for verdict in decision.verdicts where !verdict.chosen {
            #expect(!verdict.reason.isEmpty && !verdict.reason.hasPrefix("chosen"), "\(verdict)")
        }
    }

    @Test func reasonsNameTheVersionsCompared() {
        let decision = RuleCase(name: "", snapd: .snap("2.60"), host: Side(version: "2.61")).decide()
        #expect(
            decision.reason.contains("2.60") && decision.reason.contains("2.61") && decision.reason.contains("older"))
        #expect(decision.verdicts[0].reason.contains("older than the host's"))
        #expect(decision.verdicts[1].reason.contains("core is not looked at"))
    }

    @Test func verdictsSayWhichToolsEachCandidateLacks() {
        var row = RuleCase(name: "", snapd: .snap("42"))
        let lacking = ProviderCandidate(
            kind: .snapd,
            source: .snap(kind: .snapd, instance: "snapd", revision: "1", version: "42", tools: ["snap-exec", "info"]),
            binaryNote: "exists", version: "42")
        row.snapd = nil
        let decision = ProviderRule.decide(
            row.system, snapd: lacking, core: row.candidate(.core, nil), host: row.candidate(.host, row.host))
        #expect(decision.chosen?.kind == .snapd)
        #expect(decision.verdicts[0].missingTools.count == 7 && !decision.verdicts[0].missingTools.contains("info"))
        #expect(decision.verdicts[1].missingTools == SnapdSettings.tools)
        #expect(decision.verdicts[2].missingTools.isEmpty)
    }
}

/// The same rule on a system read from disk: what makes a snap no candidate.
@Suite("Provider rule on a system read from disk")
struct SurveyRuleTests {
    func decide(_ world: SnapWorld, reexec: String? = nil) throws -> ToolsPlan {
        try world.exporter(reexec: reexec).plan()
    }

    @Test func theCurrentRevisionOfTheSnapdSnapIsTheCandidateNotTheNewestOne() throws {
        let world = try SnapWorld()
        defer { world.remove() }
        try world.addRevision("snapd", "10", version: "2.70")
        try world.addRevision("snapd", "9", version: "2.62")
        try world.setCurrent("snapd", "9")
        let plan = try decide(world)
        #expect(plan.target == "9")
        // Only the generation current is to name is published: 10 and the host are not the provider.
        #expect(plan.publications.map(\.generation) == ["9"])
        #expect(Set(plan.survey.sources.map(\.generation)) == ["9", "10", "host"])
    }

    @Test func anUnmountedCurrentRevisionIsNoCandidate() throws {
        let world = try SnapWorld()
        defer { world.remove() }
        let path = try world.addRevision("snapd", "11", mounted: false)
        try world.setCurrent("snapd", "11")
        try world.addRevision("core", "5", version: "2.65")
        try world.setCurrent("core", "5")
        let plan = try decide(world)
        #expect(plan.target == "core_5")
        #expect(plan.warnings.contains { $0.path == path && $0.message.contains("not mounted") })
        #expect(plan.decision.verdicts[0].reason.contains("not mounted"))
    }

    @Test func aRevisionWithoutInfoIsASourceButSnapdDoesNotReexecIntoIt() throws {
        let world = try SnapWorld()
        defer { world.remove() }
        let path = try world.addRevision("snapd", "12", tools: SnapdSettings.tools.filter { $0 != "info" })
        try world.setCurrent("snapd", "12")
        try world.addRevision("core", "3", version: "2.99")
        try world.setCurrent("core", "3")
        let plan = try decide(world)
        #expect(plan.target == "host")  // not core: snapd falls back to core only when the binary is missing
        #expect(plan.survey.sources.contains { $0.generation == "12" && $0.version == nil })
        #expect(plan.publications.map(\.generation) == ["host"])
        #expect(plan.warnings.contains { $0.path == path + "/usr/lib/snapd/info" })
    }

    @Test func aSnapdSnapWithoutTheBinaryFallsBackToCore() throws {
        let world = try SnapWorld()
        defer { world.remove() }
        try world.addRevision("snapd", "12", version: "2.99", binary: false)
        try world.setCurrent("snapd", "12")
        try world.addRevision("core", "3", version: "2.98")
        try world.setCurrent("core", "3")
        let plan = try decide(world)
        #expect(plan.target == "core_3", "\(plan.decision.reason)")
        #expect(plan.decision.verdicts[0].reason.contains("usr/bin/snap does not exist"))
    }

    @Test func whereSnapsAreMountedElsewhereSnapdReexecsOnlyIfSlashSnapLeadsThere() throws {
        let world = try SnapWorld()
        defer { world.remove() }
        try world.addRevision("snapd", "12", version: "2.99")
        try world.setCurrent("snapd", "12")
        // Move the snaps to <root>/var/lib/snapd/snap: without /snap, the re-exec check finds nothing.
        let alt = world.base + "/var/lib/snapd/snap"
        try FileManager.default.createDirectory(
            atPath: world.base + "/var/lib/snapd", withIntermediateDirectories: true)
        try FileManager.default.moveItem(atPath: world.snapMountDir, toPath: alt)
        var settings = world.settings()
        settings.snapMountDir = alt
        let store = world.store()
        #expect(try ToolsExporter(store: store, settings: settings).plan().target == "host")
        // With <root>/snap a symlink there (as snapd's packaging makes /snap -> /var/lib/snapd/snap), it does.
        try FileManager.default.createSymbolicLink(atPath: world.snapMountDir, withDestinationPath: alt)
        #expect(try ToolsExporter(store: store, settings: settings).plan().target == "12")
    }

    @Test func anOlderSnapdSnapLeavesTheHostAndSnapReexecZeroForcesIt() throws {
        let world = try SnapWorld(hostVersion: "2.61-1ubuntu1")
        defer { world.remove() }
        try world.addRevision("snapd", "13", version: "2.61")
        try world.setCurrent("snapd", "13")
        #expect(try decide(world).target == "host")
        try world.setHost(version: "2.60")
        #expect(try decide(world).target == "13")
        #expect(try decide(world, reexec: "0").target == "host")
    }

    @Test func aDistributionThatIsNotDebianLikeUsesTheHostUnlessForced() throws {
        let world = try SnapWorld(id: "fedora", idLike: "")
        defer { world.remove() }
        try world.addRevision("snapd", "14", version: "2.70")
        try world.setCurrent("snapd", "14")
        #expect(try decide(world).target == "host")
        #expect(try decide(world, reexec: "1").target == "14")
    }

    @Test func ubuntuCoreHasNoHostCandidate() throws {
        let world = try SnapWorld(id: "ubuntu-core", idLike: "ubuntu")
        defer { world.remove() }
        try world.addRevision("core", "3", version: "2.40")
        try world.setCurrent("core", "3")
        let plan = try decide(world)
        #expect(plan.target == "core_3")
        #expect(!plan.publications.contains { $0.kind == .host })
        try world.removeSnap("core")
        #expect(try decide(world).target == nil)
    }

    @Test func theDefaultsAreSnapdsProbeAndTable() throws {
        let world = try SnapWorld(id: "centos", idLike: "rhel fedora")
        defer { world.remove() }
        // <root>/snap is a directory in this world: the probe says /snap, and on a Fedora-like host snapd's
        // start-up check would object.
        let (settings, warnings) = SnapdSettings.resolve(
            rootDir: world.base, snapMountDir: nil, libexecDir: nil, osReleasePath: world.osRelease, reexec: nil)
        #expect(settings.snapMountDir == world.base + "/snap")
        #expect(settings.libexecDir == world.base + "/usr/libexec/snapd")
        #expect(warnings.contains { $0.message.contains("unexpected snap mount directory /snap on centos") })
        try world.setOSRelease(id: "ubuntu", idLike: "debian")
        let ubuntu = SnapdSettings.resolve(
            rootDir: world.base, snapMountDir: nil, libexecDir: nil, osReleasePath: world.osRelease, reexec: nil)
        #expect(ubuntu.settings.snapMountDir == world.base + "/snap")
        #expect(ubuntu.settings.libexecDir == world.base + "/usr/lib/snapd" && ubuntu.warnings.isEmpty)
    }
}
