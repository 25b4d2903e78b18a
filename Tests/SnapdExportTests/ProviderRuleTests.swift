import GenerationStore
import SnapdExport
import Testing
import TestSupport

/// One row of the provider rule table: the system, the candidates, and the provider snapd would run.
struct RuleCase: CustomTestStringConvertible, Sendable {
    var name: String
    var ubuntuCore = false
    var debianLike = true
    var reexec: ReexecSetting = .unset
    /// Versions of the usable candidates; nil = no candidate.
    var snapd: String?
    var core: String?
    var host: String?
    var expected: ToolsSource.Kind?

    var testDescription: String { name }

    func candidate(_ kind: ToolsSource.Kind, _ version: String?) -> ProviderCandidate {
        guard let version, let parsed = DebianVersion(version) else {
            return ProviderCandidate(kind: kind, unavailable: "\(kind) not usable in this case")
        }
        switch kind {
        case .host: return ProviderCandidate(kind: kind, source: .host(version: parsed, tools: SnapdSettings.tools))
        default:
            let instance = kind == .core ? "core" : "snapd"
            return ProviderCandidate(
                kind: kind,
                source: .snap(
                    kind: kind, instance: instance, revision: "7", version: parsed, tools: SnapdSettings.tools))
        }
    }
}

@Suite("Provider rule")
struct ProviderRuleTests {
    static let table: [RuleCase] = [
        RuleCase(
            name: "classic Debian-like: a newer snapd snap wins", snapd: "2.63", core: "2.60", host: "2.61",
            expected: .snapd),
        RuleCase(
            name: "classic: a snapd snap equal to the host wins", snapd: "2.61", host: "2.61-0", expected: .snapd),
        RuleCase(name: "classic: an older snapd snap loses to the host", snapd: "2.60", host: "2.61", expected: .host),
        RuleCase(
            name: "classic: an older snapd snap loses even when core is newer", snapd: "2.60", core: "2.70",
            host: "2.61", expected: .host),
        RuleCase(name: "classic: no snapd snap, a newer core wins", core: "2.62", host: "2.61", expected: .core),
        RuleCase(name: "classic: no snapd snap, an older core loses", core: "2.58", host: "2.61", expected: .host),
        RuleCase(
            name: "classic: tilde versions sort before releases", snapd: "2.61~rc1", host: "2.61", expected: .host),
        RuleCase(name: "classic: epochs outrank upstream versions", snapd: "2.63", host: "1:2.50", expected: .host),
        RuleCase(name: "classic: no snaps at all, the host", host: "2.61", expected: .host),
        RuleCase(name: "classic: no usable host, the snap without comparison", snapd: "2.40", expected: .snapd),
        RuleCase(name: "classic: nothing usable at all", expected: nil),
        RuleCase(
            name: "SNAP_REEXEC=0: the host even when the snap is newer", reexec: .disabled, snapd: "2.70",
            host: "2.61",
            expected: .host),
        RuleCase(name: "SNAP_REEXEC=0 without a usable host: none", reexec: .disabled, snapd: "2.70", expected: nil),
        RuleCase(
            name: "SNAP_REEXEC=1 on a Debian-like system changes nothing", reexec: .enabled, snapd: "2.60",
            host: "2.61", expected: .host),
        RuleCase(name: "not Debian-like: the host", debianLike: false, snapd: "2.70", host: "2.61", expected: .host),
        RuleCase(
            name: "not Debian-like with SNAP_REEXEC=1: the newer snap", debianLike: false, reexec: .enabled,
            snapd: "2.70", host: "2.61", expected: .snapd),
        RuleCase(
            name: "not Debian-like with SNAP_REEXEC=1: an older snap still loses", debianLike: false, reexec: .enabled,
            core: "2.50", host: "2.61", expected: .host),
        RuleCase(name: "Ubuntu Core: the snapd snap", ubuntuCore: true, snapd: "2.50", core: "2.60", expected: .snapd),
        RuleCase(name: "Ubuntu Core: core without snapd", ubuntuCore: true, core: "2.60", expected: .core),
        RuleCase(
            name: "Ubuntu Core: SNAP_REEXEC=0 does not bring a host", ubuntuCore: true, reexec: .disabled, core: "2.6",
            expected: .core),
        RuleCase(name: "Ubuntu Core: neither snap, none", ubuntuCore: true, host: "2.61", expected: nil),
    ]

    @Test(arguments: table)
    func theRuleChoosesWhatSnapdWouldRun(_ row: RuleCase) {
        let decision = ProviderRule.decide(
            ubuntuCore: row.ubuntuCore, debianLike: row.debianLike, distribution: row.debianLike ? "ubuntu" : "fedora",
            reexec: row.reexec, snapd: row.candidate(.snapd, row.snapd), core: row.candidate(.core, row.core),
            host: row.candidate(.host, row.ubuntuCore ? nil : row.host))
        #expect(decision.chosen?.kind == row.expected, "\(decision.reason)")
        #expect(decision.verdicts.map(\.kind) == [.snapd, .core, .host])
        #expect(decision.verdicts.filter(\.chosen).map(\.kind) == (row.expected.map { [$0] } ?? []))
        for verdict in decision.verdicts where !verdict.chosen {
            #expect(!verdict.reason.isEmpty && !verdict.reason.hasPrefix("chosen"), "\(verdict)")
        }
    }

    @Test func reasonsNameTheVersionsCompared() {
        let row = RuleCase(name: "", snapd: "2.60", host: "2.61")
        let decision = ProviderRule.decide(
            ubuntuCore: false, debianLike: true, distribution: "ubuntu", reexec: .unset,
            snapd: row.candidate(.snapd, "2.60"), core: row.candidate(.core, nil), host: row.candidate(.host, "2.61"))
        #expect(
            decision.reason.contains("2.60") && decision.reason.contains("2.61") && decision.reason.contains("older"))
        #expect(decision.verdicts[0].reason.contains("older than the host's"))
        #expect(decision.verdicts[1].reason.contains("core not usable"))
    }

    @Test(arguments: [
        ("0", ReexecSetting.disabled), ("false", .disabled), ("F", .disabled), ("1", .enabled), ("true", .enabled),
        ("T", .enabled), ("", .unset), ("yes", .unset),
    ])
    func snapReexecIsReadLikeGoParseBool(_ pair: (String, ReexecSetting)) {
        #expect(ReexecSetting(pair.0) == pair.1)
        #expect(ReexecSetting(nil) == .unset)
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
        #expect(Set(plan.publications.map(\.generation)) == ["9", "10", "host"])
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

    @Test func aRevisionWithoutInfoIsNoCandidate() throws {
        let world = try SnapWorld()
        defer { world.remove() }
        let path = try world.addRevision("snapd", "12", tools: SnapdSettings.tools.filter { $0 != "info" })
        try world.setCurrent("snapd", "12")
        let plan = try decide(world)
        #expect(plan.target == "host")
        #expect(plan.warnings.contains { $0.path == path + "/usr/lib/snapd/info" })
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

    @Test func fedoraLikeDefaultsAreTheFedoraPaths() throws {
        let world = try SnapWorld(id: "centos", idLike: "rhel fedora")
        defer { world.remove() }
        let settings = SnapdSettings.resolve(
            snapMountDir: nil, libexecDir: nil, osReleasePath: world.osRelease, reexec: nil
        ).settings
        #expect(settings.snapMountDir == "/var/lib/snapd/snap")
        #expect(settings.libexecDir == "/usr/libexec/snapd")
        try world.setOSRelease(id: "ubuntu", idLike: "debian")
        let ubuntu = SnapdSettings.resolve(
            snapMountDir: nil, libexecDir: nil, osReleasePath: world.osRelease, reexec: nil
        ).settings
        #expect(ubuntu.snapMountDir == "/snap" && ubuntu.libexecDir == "/usr/lib/snapd")
    }
}
