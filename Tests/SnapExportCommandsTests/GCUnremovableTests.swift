import Foundation
import GenerationStore
import GenerationStoreTesting
import Glibc
import SnapExportCommands
import Testing

/// What `gc` says and exits with when it cannot finish a removal (docs/gc.md, "How a generation is removed").
@Suite struct GCUnremovableTests {
    /// `demo` with g1 (doomed with `--keep 0 --grace 0`), g2 previous and g3 current.
    static func fixture() throws -> CLIFixture {
        let fixture = try CLIFixture()
        for generation in ["g1", "g2", "g3"] {
            try fixture.succeed(["publish", "demo", generation, "--entry", "tools/a=/opt/\(generation)/a"])
        }
        try fixture.succeed(["switch", "demo", "g2"])
        try fixture.succeed(["switch", "demo", "g3"])
        return fixture
    }

    static func run(_ fixture: CLIFixture, _ arguments: [String], _ system: any SystemCalls) -> CLIResult {
        let console = CapturedConsole()
        let code = SnapExportTool.run(["--root", fixture.root] + arguments, environment: [:], console: console, system: system)
        return CLIResult(status: code, stdout: console.output, stderr: console.errors)
    }

    @Test("no way of telling the mount (statx, name_to_handle_at, fdinfo): exit 1, the tree left in .trash and why")
    func noMountIDIsALeftoverWithExit1() throws {
        let fixture = try Self.fixture()
        defer { fixture.remove() }
        let recording = RecordingSystemCalls()
        recording.inject(.notImplemented, into: "mountID")
        recording.inject(Errno(rawValue: EOPNOTSUPP), into: "name_to_handle_at")
        recording.inject(.noSuchFileOrDirectory, into: "openat") { $0.arguments[0].hasPrefix("/proc/self/fdinfo/") }

        let result = Self.run(fixture, ["gc", "--keep", "0", "--grace", "0"], recording)

        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stdout.contains("removed demo/g1"), "\(result.stdout)")
        let trash = fixture.root + "/.trash/"
        #expect(result.stderr.contains("snap-export: left \(trash)"), "\(result.stderr)")
        #expect(result.stderr.contains("cannot tell whether a mount is here (statx: no mount id"), "\(result.stderr)")
        #expect(result.stderr.contains("name_to_handle_at: Operation not supported"), "\(result.stderr)")
        let left = try FileManager.default.contentsOfDirectory(atPath: trash)
        #expect(left.count == 1)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: trash + left[0] + "/tools/a") == "/opt/g1/a")
        // verify names the leftover; a gc that can tell the mount finishes it.
        #expect(try fixture.run(["verify"]).status == 1)
        #expect(try fixture.run(["gc"]).status == 0)
        #expect(try fixture.run(["verify"]).status == 0)
    }
}
