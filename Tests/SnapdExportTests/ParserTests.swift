import SnapdExport
import Testing

@Suite("Parsers for snap.yaml and os-release")
struct ParserTests {
    @Test func snapYamlTopLevelScalarsAreReadAndNestedKeysIgnored() {
        let yaml = SnapYaml(
            parsing: Array(
                """
                # a comment
                name: snapd
                version: "2.63+git1.abc"
                summary: Daemon and tooling that enable snap packages
                apps:
                  snapd:
                    type: simple
                    name: nested
                type: snapd # the snapd snap
                type: app
                """.utf8))
        #expect(yaml == SnapYaml(name: "snapd", version: "2.63+git1.abc", type: "snapd"))
    }

    @Test func snapYamlWithoutTypeHasNone() {
        #expect(SnapYaml(parsing: Array("name: x\nversion: '1'\n".utf8)).type == nil)
        #expect(SnapYaml(parsing: [0xff, 0x00, 0x0a]).name == nil)
    }

    @Test func osReleaseValuesAreUnquotedAndClassified() {
        let ubuntu = OSRelease(parsing: Array("NAME=\"Ubuntu\"\nID=ubuntu\nID_LIKE=debian\n".utf8))
        #expect(ubuntu.isDebianLike && !ubuntu.isFedoraLike && !ubuntu.isUbuntuCore)
        let rocky = OSRelease(parsing: Array("ID=\"rocky\"\nID_LIKE=\"rhel centos fedora\"\n".utf8))
        #expect(rocky.isFedoraLike && !rocky.isDebianLike)
        let core = OSRelease(parsing: Array("ID='ubuntu-core'\n".utf8))
        #expect(core.isUbuntuCore)
        #expect(OSRelease(parsing: []).id == "linux")
    }
}
