import Foundation
import Testing
import TestSupport

@Suite("A read-only export root")
struct CLIReadOnlyRootTests {
    @Test(
        "every writing command fails with 73 or 74, names the root, and changes nothing",
        .enabled(
            if: TestEnvironment.isRoot && TestEnvironment.has("mount"), "needs root and mount(8) for a read-only tmpfs")
    )
    func writersFailOnAReadOnlyRoot() throws {
        let fixture = try CLIFixture("cli-ro-test", root: "ro/export", marked: false)
        defer { fixture.remove() }
        let mountPoint = fixture.directory.appending("ro")
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: false)
        let mount = try #require(TestEnvironment.which("mount"))
        let mounted = try run([mount, "-t", "tmpfs", "-o", "size=4m,mode=0755", "tmpfs", mountPoint])
        try #require(mounted.status == 0, "mount tmpfs: \(mounted.stderr)")
        defer { _ = try? run([TestEnvironment.which("umount") ?? "/bin/umount", mountPoint]) }
        try fixture.populate()
        let remounted = try run([mount, "-o", "remount,ro", mountPoint])
        try #require(remounted.status == 0, "remount ro: \(remounted.stderr)")
        let status = try fixture.statusJSON()
        let tree = fixture.snapshot()

        for arguments in [
            ["publish", "demo", "g9", "--entry", "tools/a=/x"], ["switch", "demo", "g1"], ["rollback", "demo"],
            ["repair"],
        ] {
            for runner in CLIRunner.allCases {
                let result = try fixture.run(arguments, runner)
                #expect([73, 74].contains(result.status), "\(arguments) exited \(result.status): \(result.stderr)")
                #expect(result.stderr.contains(fixture.root), "\(arguments): \(result.stderr)")
                #expect(result.stderr.contains("Read-only file system"), "\(arguments): \(result.stderr)")
            }
        }
        #expect(try fixture.statusJSON() == status)
        #expect(fixture.snapshot() == tree)
        #expect(try fixture.run(["verify"]).status == 0)
    }
}
