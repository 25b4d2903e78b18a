import CExportShims
import Foundation
import GenerationStore
import GenerationStoreTesting
import Testing
import TestSupport

/// gc's mount-crossing check on kernels where `statx` gives no mount id (< 5.8): the id comes from
/// `name_to_handle_at`, else from `/proc/self/fdinfo/<fd>`; where none works, gc enters nothing and leaves the tree
/// in `.trash` saying why (issue 9, item 1).
@Suite(.serialized) struct GCMountIDFallbackTests {
    /// Which ways of learning a mount id are made to fail through the seam.
    enum Failing: String, CaseIterable, Sendable {
        case statx = "statx only"
        case statxAndHandle = "statx and name_to_handle_at"
        case all = "statx, name_to_handle_at and fdinfo"
    }

    static func recording(_ failing: Failing) -> RecordingSystemCalls {
        let recording = RecordingSystemCalls()
        recording.inject(.notImplemented, into: "mountID")
        if failing != .statx { recording.inject(Errno(rawValue: EOPNOTSUPP), into: "name_to_handle_at") }
        if failing == .all {
            recording.inject(.noSuchFileOrDirectory, into: "openat") { $0.arguments[0].hasPrefix("/proc/self/fdinfo/") }
        }
        return recording
    }

    /// A root with `demo/g1` doomed (gc with keep 0, grace 0) and `demo/g2`, `demo/g3` as previous and current.
    static func doomedRoot(_ temp: TemporaryDirectory) throws -> ExportStore {
        let store = ExportStore(root: temp.appending("root"), faults: .none)
        for generation in ["g1", "g2", "g3"] { try GCFixtures.publish(store, "demo", generation, source: "gone") }
        try GCFixtures.switchTo(store, "demo", "g2")
        try GCFixtures.switchTo(store, "demo", "g3")
        return store
    }

    static func collect(_ root: String, _ system: any SystemCalls) throws -> GCReport {
        try ExportStore(root: root, system: system, faults: .none).withWriter { writer in
            try writer.collectGarbage(options: GCOptions(keep: 0, graceNanoseconds: 0)) { _, _ in true }
        }
    }

    @Test(
        "a same-filesystem bind mount inside a doomed generation is not crossed when statx gives no mount id",
        .enabled(if: TestEnvironment.isRoot, "needs root to bind-mount"), arguments: Failing.allCases)
    func bindMountIsNotCrossed(_ failing: Failing) throws {
        let temp = try TemporaryDirectory()
        defer { temp.remove() }
        let fm = FileManager.default
        let outside = temp.appending("outside")
        try fm.createDirectory(atPath: outside + "/deep", withIntermediateDirectories: true)
        try Data("keep".utf8).write(to: URL(fileURLWithPath: outside + "/deep/sentinel"))
        let store = try Self.doomedRoot(temp)
        let mountPoint = store.path("demo", "g1", "tools", "bound")
        try fm.createDirectory(atPath: mountPoint, withIntermediateDirectories: false)
        let mounts = LinuxMountCalls()
        try mounts.mount(outside, mountPoint, nil, CX_MS_BIND, nil)
        // The mount moves with the generation into .trash: unmount whatever is mounted below the directory.
        defer { for path in Self.mountPoints(below: temp.path) { try? mounts.unmount(path, CX_MNT_DETACH) } }
        let recording = Self.recording(failing)

        let report = try Self.collect(store.root, recording)

        #expect(fm.fileExists(atPath: outside + "/deep/sentinel"), "gc deleted through the bind mount")
        #expect(report.removed == ["demo/g1"])
        let left = try #require(report.leftovers.first, "the mount is reported")
        #expect(left.path.hasPrefix(store.path(Layout.trash) + "/"))
        switch failing {
        case .statx, .statxAndHandle:
            #expect(left.path.hasSuffix("/tools/bound"))
            #expect(left.reason == "a mount (bind mount) is here; not crossed")
        case .all:
            // Not even the generation's top directory is entered: the whole tree stays in .trash.
            #expect(!left.path.contains("/tools"))
            #expect(left.reason.hasPrefix("cannot tell whether a mount is here (statx: no mount id ("), "\(left.reason)")
            #expect(left.reason.contains("name_to_handle_at: "), "\(left.reason)")
            #expect(left.reason.contains("/proc/self/fdinfo/"), "\(left.reason)")
            #expect(fm.fileExists(atPath: left.path + "/tools/bound/deep/sentinel"))
        }
        #expect(recording.names.contains(failing == .statx ? "name_to_handle_at" : "openat"))
    }

    /// The mount points below `directory`, from this process's mountinfo (octal escapes are not expected there).
    static func mountPoints(below directory: String) -> [String] {
        let real = (try? LinuxSystemCalls().realpath(directory)) ?? directory
        let text = (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ")
            guard fields.count > 4, fields[4].hasPrefix(real + "/") else { return nil }
            return String(fields[4])
        }
    }

    @Test("without statx mount ids, name_to_handle_at's or else fdinfo's let gc remove what it decided")
    func fallbacksRemoveAPlainTree() throws {
        for failing in [Failing.statx, .statxAndHandle] {
            let temp = try TemporaryDirectory()
            defer { temp.remove() }
            let store = try Self.doomedRoot(temp)
            let recording = Self.recording(failing)

            let report = try Self.collect(store.root, recording)

            #expect(report.removed == ["demo/g1"])
            #expect(report.leftovers.isEmpty, "\(failing): \(report.leftovers)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: store.path(Layout.trash)).isEmpty)
            if failing == .statxAndHandle {
                #expect(recording.log.contains { $0.name == "openat" && $0.arguments[0].hasPrefix("/proc/self/fdinfo/") })
            }
        }
    }

    @Test("where no way gives a mount id, gc enters nothing: the generation stays whole in .trash with the reason")
    func noMountIDFailsClosed() throws {
        let temp = try TemporaryDirectory()
        defer { temp.remove() }
        let store = try Self.doomedRoot(temp)

        let report = try Self.collect(store.root, Self.recording(.all))

        #expect(report.removed == ["demo/g1"])
        let left = try #require(report.leftovers.first)
        #expect(report.leftovers.count == 1)
        #expect(left.reason.hasPrefix("cannot tell whether a mount is here"), "\(left.reason)")
        #expect(
            (try? FileManager.default.destinationOfSymbolicLink(atPath: left.path + "/tools/snap-exec")) != nil,
            "the tree was entered")
        // A later gc on a kernel that tells finishes it.
        let next = try Self.collect(store.root, LinuxSystemCalls())
        #expect(next.trashFinished == [left.path])
        #expect(next.leftovers.isEmpty)
    }
}
