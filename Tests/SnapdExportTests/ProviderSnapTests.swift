import SnapdExport
import Testing

/// The one mapping of the snaps that provide snapd's tools to their snapd type and source kind.
@Suite struct ProviderSnapTests {
    @Test func theSnapdSnapIsOfTypeSnapdAndCoreOfTypeOS() throws {
        let snapd = try #require(ProviderSnap.named("snapd"))
        #expect(snapd.type == "snapd" && snapd.kind == .snapd)
        let core = try #require(ProviderSnap.named("core"))
        #expect(core.type == "os" && core.kind == .core)
    }

    @Test(arguments: ["core18", "core22", "snapd-desktop-integration", "hello", ""])
    func noOtherSnapProvidesTheTools(instance: String) {
        #expect(ProviderSnap.named(instance) == nil)
    }

    @Test func theSurveyReadsSnapdBeforeCore() {
        #expect(ProviderSnap.all.map(\.instance) == ["snapd", "core"])
    }
}
