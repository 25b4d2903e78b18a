import Foundation
import GenerationStore
import Testing
import TestSupport

/// gc deletes only inside the export root: never through a planted symlink, never into a mounted filesystem
/// (a tmpfs) or a bind mount of the same filesystem. Runs the built binary inside a private mount namespace so
/// the mounts disappear with it.
@Suite(.serialized) struct GCDeletionSafetyTests {
    @Test(.enabled(if: TestEnvironment.isRoot && TestEnvironment.has("unshare"), "needs root and unshare(1)"))
    func plantedSymlinksAndMountsInsideAGenerationAreNeitherFollowedNorCrossed() throws {
        let temp = try TemporaryDirectory()
        defer { temp.remove() }
        let fm = FileManager.default
        let root = temp.appending("root")
        let outside = temp.appending("outside")
        try fm.createDirectory(atPath: outside + "/deep", withIntermediateDirectories: true)
        try Data("keep".utf8).write(to: URL(fileURLWithPath: outside + "/sentinel"))
        try Data("keep".utf8).write(to: URL(fileURLWithPath: outside + "/deep/sentinel"))
        let store = ExportStore(root: root, faults: .none)
        for generation in ["g1", "g2", "g3", "g4"] {
            try GCFixtures.publish(store, "snapd", generation, source: "gone")
        }
        try GCFixtures.switchTo(store, "snapd", "g3")
        try GCFixtures.switchTo(store, "snapd", "g4")
        // g1: symlinks to the outside directory, at the top and inside a set.
        try fm.createSymbolicLink(atPath: store.path("snapd", "g1", "escape"), withDestinationPath: outside)
        try fm.createSymbolicLink(atPath: store.path("snapd", "g1", "tools", "escape"), withDestinationPath: outside)
        try fm.createSymbolicLink(
            atPath: store.path("snapd", "g1", "tools", "file"), withDestinationPath: outside + "/sentinel")
        // g2: mount points for a tmpfs and a bind mount of the outside directory (same filesystem).
        try fm.createDirectory(atPath: store.path("snapd", "g2", "tools", "tmp"), withIntermediateDirectories: true)
        try fm.createDirectory(atPath: store.path("snapd", "g2", "tools", "bound"), withIntermediateDirectories: true)
        let script = """
            set -e
            mount -t tmpfs planted "$ROOT/snapd/g2/tools/tmp"
            echo keep > "$ROOT/snapd/g2/tools/tmp/sentinel"
            mount --bind "$OUTSIDE" "$ROOT/snapd/g2/tools/bound"
            set +e
            "$BIN" --root "$ROOT" gc --keep 0 --grace 0 --json
            echo "gc-exit=$?"
            for m in $(awk '{print $5}' /proc/self/mountinfo | grep "^$(realpath "$ROOT")/.trash/"); do
                [ -f "$m/sentinel" ] && echo "survived=${m##*/}"
            done
            """
        let result = try run(
            ["/usr/bin/unshare", "-m", "--propagation", "private", "/bin/sh", "-c", script],
            environment: ["ROOT": root, "OUTSIDE": outside, "BIN": TestEnvironment.snapExport])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("gc-exit=1"), "a mount left in .trash is reported with exit 1")
        #expect(result.stdout.contains("survived=tmp"))
        #expect(result.stdout.contains("survived=bound"))
        #expect(result.stdout.contains("another filesystem is mounted here; not crossed"))
        #expect(result.stdout.contains("a mount (bind mount) is here; not crossed"))
        #expect(fm.fileExists(atPath: outside + "/sentinel"))
        #expect(fm.fileExists(atPath: outside + "/deep/sentinel"))
        #expect(try store.status(only: "snapd").first?.generations.map(\.name) == ["g3", "g4"])
        // The namespace (and its mounts) is gone: the next gc finishes the trash and the root verifies clean.
        let next = try snapExport(["--root", root, "gc"])
        #expect(next.status == 0, "\(next.stdout)\(next.stderr)")
        #expect(try store.verify().isEmpty)
        #expect(fm.fileExists(atPath: outside + "/sentinel"))
    }
}
