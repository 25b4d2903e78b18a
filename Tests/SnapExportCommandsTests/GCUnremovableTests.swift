import Foundation
import GenerationStore
import GenerationStoreTesting
import Glibc
import SnapExportCommands
import Testing
import TestSupport

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

    @Test("a generation renameat cannot move into .trash (EXDEV, an overlayfs lower layer) is kept whole, with a warning")
    func crossDeviceRenameSkipsTheGeneration() throws {
        let fixture = try Self.fixture()
        defer { fixture.remove() }
        let before = fixture.snapshot()
        let recording = RecordingSystemCalls()
        recording.inject(.crossDevice, into: "renameat") { $0.arguments[0] == "g1" }

        let text = Self.run(fixture, ["gc", "--keep", "0", "--grace", "0"], recording)

        #expect(text.status == 0, "\(text.stderr)")
        #expect(recording.log.contains { $0.name == "renameat" && $0.arguments[0] == "g1" })
        #expect(text.stdout.contains("kept demo/g1: cannot be moved into .trash (renameat: Invalid cross-device link"),
            "\(text.stdout)")
        #expect(text.stderr.contains(
            "snap-export: warning: kept \(fixture.root)/demo/g1: renameat: Invalid cross-device link"), "\(text.stderr)")
        #expect(fixture.snapshot().filter { $0 != ".trash 16384" } == before, "nothing changed but an empty .trash")

        let json = Self.run(fixture, ["gc", "--keep", "0", "--grace", "0", "--json"], recording)
        #expect(json.status == 0, "\(json.stderr)")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let kept = try #require(document["kept"] as? [[String: Any]])
        let g1 = try #require(kept.first { $0["generation"] as? String == "g1" })
        let codes = (g1["reasons"] as? [[String: Any]] ?? []).compactMap { $0["code"] as? String }
        #expect(codes == ["cannot-move", "beyond-keep-n"])
        #expect((document["removed"] as? [Any])?.isEmpty == true)
        #expect(try fixture.run(["verify"]).status == 0)
    }

    /// A snapd world where a refresh to revision 12 publishes, switches 11 -> 12 and has gc remove snapd/10 (its
    /// revision is gone and an hour has passed).
    static func refreshWorld() throws -> SnapdCommandWorld {
        let world = try SnapdCommandWorld()
        for (index, revision) in ["10", "11"].enumerated() {
            try world.addSnap("snapd", revision, type: "snapd", version: "2.6\(index)")
            #expect(world.run(["refresh", "--no-gc"]).code == 0)
        }
        try FileManager.default.removeItem(atPath: world.base + "/snap/snapd/10")
        try world.addSnap("snapd", "12", type: "snapd", version: "2.62")
        return world
    }

    static let anHourLater = ["SNAP_EXPORT_NOW": "+3600"]

    @Test("refresh whose gc pass fails after it switched exits 0 and says what it did, then why gc failed")
    func refreshWithAFailingGCPassExits0() throws {
        for json in [false, true] {
            let world = try Self.refreshWorld()
            defer { world.directory.remove() }
            let recording = RecordingSystemCalls()
            recording.inject(.ioError, into: "renameat") { $0.arguments[0] == "10" }

            let result = world.run(
                ["refresh"] + (json ? ["--json"] : []), environment: Self.anHourLater, system: recording)

            #expect(result.code == 0, "\(result.err)")
            #expect(world.current == "12")
            let path = world.base + "/export/snapd/10"
            #expect(
                result.err.contains(
                    "snap-export: warning: published snapd/12, switched snapd/current 11 -> 12, then gc failed: "
                        + "cannot remove generation snapd/10: \(path): renameat: Input/output error"), "\(result.err)")
            if json {
                let document = try #require(
                    try JSONSerialization.jsonObject(with: Data(result.out.utf8)) as? [String: Any])
                #expect(document["gc"] is NSNull)
                let error = try #require(document["gc_error"] as? [String: Any], "\(result.out)")
                #expect(error["path"] as? String == path)
                #expect(error["syscall"] as? String == "renameat")
                #expect(error["reason"] as? String == "renameat: Input/output error")
                let example = try #require((try documentedExamples()["refresh"] as? [String: Any])?["gc_error"])
                #expect(differences(error, example) == [], "gc_error has the keys docs/cli.md shows")
            } else {
                #expect(result.out.contains("switched snapd/current: 11 -> 12"), "\(result.out)")
            }
            #expect(FileManager.default.fileExists(atPath: path))
            #expect(world.run(["verify"]).code == 0)
        }
    }

    @Test("refresh on a root whose old generation renameat cannot move (EXDEV) exits 0; gc keeps it with a warning")
    func refreshWithAnUnmovableGenerationExits0() throws {
        let world = try Self.refreshWorld()
        defer { world.directory.remove() }
        let recording = RecordingSystemCalls()
        recording.inject(.crossDevice, into: "renameat") { $0.arguments[0] == "10" }

        let result = world.run(["refresh", "--json"], environment: Self.anHourLater, system: recording)

        #expect(result.code == 0, "\(result.err)")
        #expect(world.current == "12")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(result.out.utf8)) as? [String: Any])
        #expect(document["gc_error"] is NSNull)
        let gc = try #require(document["gc"] as? [String: Any])
        let kept = try #require(gc["kept"] as? [[String: Any]])
        let ten = try #require(kept.first { $0["generation"] as? String == "10" })
        #expect((ten["reasons"] as? [[String: Any]])?.first?["code"] as? String == "cannot-move")
        #expect(FileManager.default.fileExists(atPath: world.base + "/export/snapd/10/tools"))
        #expect(world.run(["verify"]).code == 0)
    }

    @Test(
        "gc on a real overlayfs with the store in its lower layer keeps the lower generations whole and exits 0",
        .enabled(if: TestEnvironment.isRoot && TestEnvironment.has("unshare"), "needs root and unshare(1)"))
    func realOverlayfsLowerLayer() throws {
        let fixture = try Self.fixture()
        defer { fixture.remove() }
        let layers = fixture.directory.path
        let script = """
            set -e
            mkdir "$L/upper" "$L/work" "$L/merged"
            mount -t overlay overlay -o "lowerdir=$ROOT,upperdir=$L/upper,workdir=$L/work,redirect_dir=off" "$L/merged"
            set +e
            "$BIN" --root "$L/merged" publish demo g4 --entry tools/a=/opt/g4/a >/dev/null
            "$BIN" --root "$L/merged" gc --keep 0 --grace 0
            echo "gc-exit=$?"
            "$BIN" --root "$L/merged" switch demo g4 >/dev/null
            "$BIN" --root "$L/merged" switch demo g2 >/dev/null
            "$BIN" --root "$L/merged" gc --keep 0 --grace 0
            echo "gc2-exit=$?"
            ls "$L/merged/demo"
            "$BIN" --root "$L/merged" verify
            echo "verify-exit=$?"
            """
        let result = try TestSupport.run(
            ["/usr/bin/unshare", "-m", "--propagation", "private", "/bin/sh", "-c", script],
            environment: ["ROOT": fixture.root, "L": layers, "BIN": TestEnvironment.snapExport])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("gc-exit=0"), "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("kept demo/g1: cannot be moved into .trash"), "\(result.stdout)")
        #expect(result.stderr.contains("warning: kept \(layers)/merged/demo/g1: renameat: Invalid cross-device link"),
            "\(result.stderr)")
        // g4 was published in the upper layer: once neither current nor previous, it goes like anywhere else.
        #expect(result.stdout.contains("gc2-exit=0"), "\(result.stdout)")
        #expect(result.stdout.contains("removed demo/g4"), "\(result.stdout)")
        #expect(result.stdout.contains("verify-exit=0"), "\(result.stdout)")
    }
}
