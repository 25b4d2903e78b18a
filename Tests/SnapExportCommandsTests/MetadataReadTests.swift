import Foundation
import GenerationStore
import Glibc
import Testing
import TestSupport

/// Issue 9, point 4: metadata read from disk never blocks and is capped (docs/format.md, "Reading metadata").
///
/// Each command runs as a child under `timeout`, so a command that would block on a FIFO fails the test (exit 124)
/// instead of hanging it.
@Suite("metadata reads: FIFOs, devices and oversized files are refused, never waited on")
struct MetadataReadTests {
    static let limit = "60"

    /// `snap-export arguments…` under `timeout`; `input` goes to its standard input.
    static func bounded(_ arguments: [String], input: String? = nil) throws -> ProcessResult {
        try run(
            ["/usr/bin/timeout", limit, TestEnvironment.snapExport] + arguments,
            environment: ["SNAP_EXPORT_FAULT": nil, "SNAP_EXPORT_ROOT": nil], input: input)
    }

    static func fifo(at path: String) throws {
        try? FileManager.default.removeItem(atPath: path)
        try #require(mkfifo(path, 0o644) == 0, "mkfifo \(path): \(String(cString: strerror(errno)))")
    }

    @Test("a FIFO in place of .manifest.json: verify, status and gc answer and name it")
    func aFIFOManifestIsReportedNotWaitedOn() throws {
        let fixture = try CLIFixture("fifo-manifest")
        defer { fixture.remove() }
        try fixture.succeed(["publish", "app", "g1", "--entry", "bin/x=/usr/bin/x"])
        try fixture.succeed(["publish", "app", "g2", "--entry", "bin/x=/usr/bin/y"])
        try fixture.succeed(["switch", "app", "g2"])
        try Self.fifo(at: fixture.root + "/app/g1/.manifest.json")

        let verify = try Self.bounded(["--root", fixture.root, "verify"])
        #expect(verify.status == 1, "\(verify.stderr)")
        #expect(verify.stdout.contains("app/g1/.manifest.json"))
        #expect(verify.stdout.contains("not a regular file"), "\(verify.stdout)")

        let status = try Self.bounded(["--root", fixture.root, "status"])
        #expect(status.status == 0, "\(status.stderr)")

        let gc = try Self.bounded(["--root", fixture.root, "gc", "--dry-run"])
        #expect(gc.status != 124, "gc blocked on the FIFO")
    }

    @Test("publish --manifest /dev/zero fails with exit 65 naming the cap; a pipe still works")
    func aManifestFromADeviceIsCappedAndAPipeWorks() throws {
        let fixture = try CLIFixture("manifest-stream")
        defer { fixture.remove() }
        let zero = try Self.bounded(["--root", fixture.root, "publish", "app", "g1", "--manifest", "/dev/zero"])
        #expect(zero.status == 65, "\(zero.status): \(zero.stderr)")
        #expect(zero.stderr.contains("/dev/zero"))
        #expect(zero.stderr.contains("read: too large (cap \(MetadataCap.manifest) bytes)"), "\(zero.stderr)")
        #expect(!FileManager.default.fileExists(atPath: fixture.root + "/app"))

        let manifest = #"{"source": "pipe", "sets": {"bin": {"x": "/usr/bin/x"}}}"#
        let piped = try Self.bounded(
            ["--root", fixture.root, "publish", "app", "g1", "--manifest", "/dev/stdin"], input: manifest)
        #expect(piped.status == 0, "\(piped.stderr)")
        #expect(try fixture.succeed(["status"]).contains("g1"))
    }

    @Test("a directory given as --manifest is refused as not a regular file")
    func aDirectoryManifestIsRefused() throws {
        let fixture = try CLIFixture("manifest-directory")
        defer { fixture.remove() }
        let result = try fixture.run(["publish", "app", "g1", "--manifest", fixture.directory.path])
        #expect(result.status == 65, "\(result.stderr)")
        #expect(result.stderr.contains("fstatat: is a directory"), "\(result.stderr)")
    }

    @Test(
        "a FIFO as a snap's or the host's metadata: refresh, explain and link answer",
        arguments: [
            "snap/snapd/30/meta/snap.yaml", "snap/snapd/30/usr/lib/snapd/info", "usr/lib/snapd/info",
            "snap/app/5/meta/exports.json", "snap/app/5/meta/snap.yaml",
        ])
    func aFIFOAmongTheSystemFilesIsRefusedWithoutBlocking(_ relative: String) throws {
        let world = try SnapdCommandWorld()
        defer { world.directory.remove() }
        try world.addSnap("snapd", "30", type: "snapd", version: "2.61")
        try world.addSnap("app", "5", type: "app", version: "1")
        try world.write("snap/app/5/meta/exports.json", #"{"sets": {"man/man1": {"app.1": "man/app.1"}}}"#)
        try Self.fifo(at: world.base + "/" + relative)
        let global = [
            "--root", world.base + "/export", "--host-root", world.base, "--snap-mount-dir", world.base + "/snap",
            "--libexec-dir", world.base + "/usr/lib/snapd", "--os-release", world.base + "/os-release",
        ]
        for command in [["refresh"], ["explain"], ["link", "app", "5"]] {
            let result = try Self.bounded(global + command)
            #expect(result.status != 124, "\(command) blocked on the FIFO \(relative)")
            #expect(!result.signaled, "\(command): \(result.stderr)")
        }
    }
}
