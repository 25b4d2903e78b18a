import Foundation
import Glibc
import SnapdExport
import Testing
import TestSupport

/// The real parts: the Debian snapd package's tools (fetched by .ci/fetch-snapd.sh into fixtures/snapd), squashfs
/// images of a snapd and a core snap, loop-mounted read-only under a temporary snap mount dir as snapd mounts them.
enum RealSnapd {
    /// The repository's root, from this file's path.
    static let repository: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// Where .ci/fetch-snapd.sh (which .ci/run calls) unpacks the package's `usr/lib/snapd`.
    static let fetchedTools = repository + "/fixtures/snapd/usr/lib/snapd"

    /// The unpacked package's `usr/lib/snapd`, if it has been fetched. Tests never fetch it themselves.
    static let packageTools: String? =
        FileManager.default.fileExists(atPath: fetchedTools + "/info") ? fetchedTools : nil

    /// Everything the test needs: root (mounts, namespaces), squashfs-tools, util-linux, the snapd package.
    static let available: Bool = {
        let tools = ["mksquashfs", "mount", "umount", "unshare", "chroot"]
        let missing = (TestEnvironment.isRoot ? [] : ["root"]) + tools.filter { !TestEnvironment.has($0) }
        if !missing.isEmpty {
            print("RealSnapdTests skipped: missing \(missing.joined(separator: ", "))")
            return false
        }
        if packageTools == nil {
            print("RealSnapdTests skipped: no snapd package at \(fetchedTools) (.ci/run runs .ci/fetch-snapd.sh)")
            return false
        }
        return true
    }()
}

/// A snap mount dir with real read-only squashfs mounts, unmounted and removed by `tearDown` whatever happened.
final class MountedSnaps: @unchecked Sendable {
    let directory: TemporaryDirectory
    let base: String
    let hostTools: String
    var snapMountDir: String { base + "/snap" }
    var root: String { base + "/export" }
    var osRelease: String { base + "/os-release" }
    private var mounts: [String] = []
    private var images: [String: String] = [:]

    init(hostTools: String) throws {
        directory = try TemporaryDirectory("snapd-real")
        base = directory.path.replacingOccurrences(of: "//", with: "/")
        self.hostTools = hostTools
        try FileManager.default.createDirectory(atPath: base + "/snap", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: base + "/images", withIntermediateDirectories: true)
        try "NAME=\"Ubuntu\"\nID=ubuntu\nID_LIKE=debian\n".write(toFile: osRelease, atomically: false, encoding: .utf8)
    }

    func tearDown() {
        for mount in mounts.reversed() {
            if (try? run(["/bin/umount", mount]))?.status != 0 { _ = try? run(["/bin/umount", "-l", mount]) }
        }
        mounts.removeAll()
        directory.remove()
    }

    @discardableResult
    func must(_ arguments: [String], environment: [String: String?] = [:]) throws -> ProcessResult {
        let result = try run(arguments, environment: environment)
        try #require(result.status == 0, "\(arguments.joined(separator: " ")): \(result.stderr)")
        return result
    }

    /// A squashfs image of a snapd (`type: snapd`) or core (`type: os`) snap: meta/snap.yaml, the nine tools
    /// copied from the package, and an info file with `version`.
    func image(_ instance: String, _ revision: String, version: String) throws -> String {
        let image = base + "/images/\(instance)_\(revision).snap"
        let source = base + "/images/\(instance)_\(revision)"
        let tools = source + "/usr/lib/snapd"
        try FileManager.default.createDirectory(atPath: source + "/meta", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: tools, withIntermediateDirectories: true)
        let type = instance == "core" ? "os" : "snapd"
        try "name: \(instance)\nversion: '\(version)'\ntype: \(type)\n".write(
            toFile: source + "/meta/snap.yaml", atomically: false, encoding: .utf8)
        for tool in SnapdSettings.tools where tool != "info" {
            try FileManager.default.copyItem(atPath: hostTools + "/" + tool, toPath: tools + "/" + tool)
        }
        // The binary snapd's re-exec check looks for (a stand-in: the check only asks whether it exists).
        try FileManager.default.createDirectory(atPath: source + "/usr/bin", withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            atPath: hostTools + "/snapctl", toPath: source + "/" + SnapdSettings.reexecBinary)
        try "VERSION=\(version)\nSNAPD_APPARMOR_REEXEC=1\n".write(
            toFile: tools + "/info", atomically: false, encoding: .utf8)
        try must([
            "/usr/bin/env", "mksquashfs", source, image, "-noappend", "-quiet", "-no-progress", "-all-root",
            "-noI", "-noD", "-noF", "-noX",
        ])
        try FileManager.default.removeItem(atPath: source)
        return image
    }

    /// Mounts a revision read-only at `<smd>/<instance>/<revision>`, as snapd does.
    func mount(_ instance: String, _ revision: String, version: String) throws {
        let image = try image(instance, revision, version: version)
        let target = snapMountDir + "/\(instance)/\(revision)"
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
        try must(["/usr/bin/env", "mount", "-t", "squashfs", "-o", "ro,loop", image, target])
        mounts.append(target)
    }

    func unmount(_ instance: String, _ revision: String) throws {
        let target = snapMountDir + "/\(instance)/\(revision)"
        try must(["/usr/bin/env", "umount", target])
        mounts.removeAll { $0 == target }
        try FileManager.default.removeItem(atPath: target)
    }

    /// Points `<smd>/<instance>/current` at `revision` (replacing it in one rename), or removes it.
    func setCurrent(_ instance: String, _ revision: String?) throws {
        let link = snapMountDir + "/\(instance)/current"
        guard let revision else {
            try FileManager.default.removeItem(atPath: link)
            return
        }
        let next = link + ".next"
        try? FileManager.default.removeItem(atPath: next)
        try FileManager.default.createSymbolicLink(atPath: next, withDestinationPath: revision)
        try #require(rename(next, link) == 0)
    }

    /// Runs `snap-export COMMAND...` on this world and returns its JSON output.
    func snapExport(_ command: [String], reexec: String? = nil) throws -> [String: Any] {
        let result = try TestSupport.snapExport(
            [
                "--root", root, "--host-root", base, "--snap-mount-dir", snapMountDir, "--libexec-dir", hostTools,
                "--os-release", osRelease,
            ]
                + command + ["--json"],
            environment: ["SNAP_REEXEC": reexec])
        try #require(result.status == 0, "snap-export \(command): \(result.status) \(result.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        return try #require(object)
    }

    var current: String? { try? FileManager.default.destinationOfSymbolicLink(atPath: root + "/snapd/current") }

    /// Inside a new mount namespace whose root is a tmpfs with /usr, the snap mount dir bind-mounted on /snap, the
    /// host tools on /var/lib/snapd/hostfs<libexec> and the export root on /var/lib/snapd/export (as a snap's
    /// namespace would see them), checks that every link of the current generation resolves to a file. Returns
    /// how many did.
    func resolvedInNamespace() throws -> Int {
        let script = #"""
            set -eu
            new="$1"; smd="$2"; libexec="$3"; root="$4"
            mount --make-rprivate /
            mkdir -p "$new"
            mount -t tmpfs tmpfs "$new"
            mkdir "$new/usr"
            mount --rbind /usr "$new/usr"
            for d in bin sbin lib lib64 lib32 libx32; do
              if [ -L "/$d" ]; then ln -s "$(readlink "/$d")" "$new/$d"
              elif [ -d "/$d" ]; then mkdir "$new/$d"; mount --rbind "/$d" "$new/$d"; fi
            done
            mkdir -p "$new/snap" "$new/var/lib/snapd/hostfs$libexec" "$new/var/lib/snapd/export"
            mount --rbind "$smd" "$new/snap"
            mount --bind "$libexec" "$new/var/lib/snapd/hostfs$libexec"
            mount --bind "$root" "$new/var/lib/snapd/export"
            exec chroot "$new" /bin/sh -c '
              count=0
              for link in /var/lib/snapd/export/snapd/current/tools/*; do
                if [ ! -f "$link" ]; then echo "unresolved: $link -> $(readlink "$link")" >&2; exit 1; fi
                count=$((count + 1))
              done
              echo "$count"'
            """#
        let result = try run(
            [
                "/usr/bin/env", "unshare", "-m", "--propagation", "private", "/bin/sh", "-c", script, "sh",
                base + "/newroot", snapMountDir, hostTools, root,
            ])
        try #require(result.status == 0, "namespace check: \(result.stderr)")
        return Int(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
    }
}

@Suite("Real snapd package, squashfs snaps and mount namespaces", .serialized)
struct RealSnapdTests {
    @Test(
        .enabled(
            if: RealSnapd.available,
            "needs root, squashfs-tools (mksquashfs), util-linux (mount, unshare, chroot) and the snapd package"))
    func refreshFollowsSnapdThroughRefreshesRevertsAndRemovalsWithoutAMissingTool() throws {
        let hostTools = try #require(RealSnapd.packageTools)
        let hostVersion = try String(contentsOfFile: hostTools + "/info", encoding: .utf8)
        try #require(hostVersion.contains("VERSION="))
        let world = try MountedSnaps(hostTools: hostTools)
        var readers: ReaderHarness?
        defer {
            readers?.finish()
            world.tearDown()
        }
        // The host package's VERSION (2.57.6-1+deb12u1+b2 when this was written) decides against older snaps.
        let host = try #require(
            hostVersion.split(separator: "\n").first { $0.hasPrefix("VERSION=") }.map { String($0.dropFirst(8)) })
        func older(_ version: String) -> Bool { SnapdVersion.compare(version, host) == -1 }
        let snapdOld = "2.57.6"  // no Debian revision: older than 2.57.6-1…
        try #require(
            older(snapdOld) && older("2.55") && !older("2.58") && !older("2.61.3") && !older("2.60"),
            "the chosen versions assume a host snapd 2.57.x; it is \(host)")

        var steps: [String] = []
        func expect(_ what: String, _ generation: String, _ report: [String: Any]) throws {
            steps.append(what)
            #expect(report["current"] as? String == generation, "\(what): \(report)")
            #expect(world.current == generation, "\(what)")
            #expect(try world.resolvedInNamespace() == 9, "\(what)")
        }

        try world.mount("core", "100", version: "2.55")
        try world.setCurrent("core", "100")
        try expect("core 100 (older than the host)", "host", try world.snapExport(["refresh"]))
        // Two threads resolve all nine `snapd/current/tools/<tool>` links (lstat through the relative `current`
        // link, then readlink) from here to the end.
        let toolLinks = SnapdSettings.tools.map { world.root + "/snapd/current/tools/" + $0 }
        readers = ReaderHarness(paths: toolLinks, lookups: [.readLink, .readLink])

        try world.mount("snapd", "200", version: "2.58")
        try world.setCurrent("snapd", "200")
        try expect("install snapd 200", "200", try world.snapExport(["refresh"]))

        try world.mount("snapd", "201", version: "2.61.3")
        try expect("link snapd 201 before current moves", "201", try world.snapExport(["link", "snapd", "201"]))
        try world.setCurrent("snapd", "201")
        let settled = try world.snapExport(["refresh"])
        try expect("refresh snapd to 201", "201", settled)
        #expect(settled["changed"] as? Bool == false)

        try world.setCurrent("snapd", "200")
        try expect("revert snapd to 200", "200", try world.snapExport(["refresh"]))

        try world.mount("snapd", "202", version: snapdOld)
        try world.setCurrent("snapd", "202")
        try expect("refresh snapd to 202 (older than the host)", "host", try world.snapExport(["refresh"]))
        try world.unmount("snapd", "201")

        try world.mount("core", "101", version: "2.60")
        try world.setCurrent("core", "101")
        try expect("refresh core to 101 (snapd 202 still decides)", "host", try world.snapExport(["refresh"]))
        try world.unmount("core", "100")

        try expect(
            "unlink snapd 202 (its current revision): core 101 is newer than the host", "core_101",
            try world.snapExport(["unlink", "snapd", "202"]))
        try world.setCurrent("snapd", nil)
        let removed = try world.snapExport(["refresh"])
        try expect("remove snapd", "core_101", removed)
        #expect(removed["changed"] as? Bool == false)
        try world.unmount("snapd", "200")
        try world.unmount("snapd", "202")

        try expect("SNAP_REEXEC=0", "host", try world.snapExport(["refresh"], reexec: "0"))
        try expect("SNAP_REEXEC unset again", "core_101", try world.snapExport(["refresh"]))

        try expect("unlink core 101 switches away first", "host", try world.snapExport(["unlink", "core", "101"]))
        try world.setCurrent("core", nil)
        try world.unmount("core", "101")
        let last = try world.snapExport(["refresh"])
        try expect("remove core", "host", last)
        #expect(last["changed"] as? Bool == false)

        let result = try #require(readers).finish()
        readers = nil
        let totals = result.totals
        print("RealSnapdTests: \(steps.count) steps, \(totals.lookups) lookups, \(totals.failures) failed")
        #expect(totals.lookups > 1_000)
        #expect(totals.failures == 0, "first failure: \(result.firstFailure.withLock { $0 } ?? "-")")

        // Nothing changed: one more refresh writes nothing (same inodes, times and targets everywhere).
        let before = treeSnapshot(world.root)
        #expect(try world.snapExport(["refresh"])["changed"] as? Bool == false)
        #expect(treeSnapshot(world.root) == before)
    }
}
