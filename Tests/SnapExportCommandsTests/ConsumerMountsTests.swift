import CExportShims
import Foundation
import GenerationStore
import GenerationStoreTesting
import Synchronization
import Testing
import TestSupport

/// mount-tools takes back a half-made mount when a later step fails (a fake mount seam, no real mounts).
@Suite(.enabled(if: TestEnvironment.isRoot, "mount-tools checks for root before anything else"))
struct ConsumerMountsTests {
    /// Records mount and unmount calls; fails the call whose flags contain `failing`.
    final class FakeMounts: MountCalls {
        let calls = Mutex<[String]>([])
        let failing: UInt
        init(failing: UInt) { self.failing = failing }

        func mount(_ source: String?, _ target: String, _ type: String?, _ flags: UInt, _ data: String?) throws(Errno) {
            calls.withLock { $0.append("mount \(type ?? "-") \(flags)") }
            if flags & failing == failing { throw .permissionDenied }
        }

        func unmount(_ target: String, _ flags: Int32) throws(Errno) {
            calls.withLock { $0.append("unmount \(target)") }
        }

        var log: [String] { calls.withLock { $0 } }
    }

    /// A root whose snapd has generation 1 current, and an empty directory `<base>/into` to mount the tools on.
    private static func worldWithSnapd1Current() throws -> (GCWorld, into: String) {
        let world = try GCWorld()
        try world.publishSnap("snapd", "1")
        try world.switchTo("1")
        let into = world.base + "/into"
        try FileManager.default.createDirectory(atPath: into, withIntermediateDirectories: true)
        return (world, into)
    }

    @Test(arguments: ConsumerMounts.Mode.allCases)
    func aFailedRemountUnmountsWhatWasMounted(mode: ConsumerMounts.Mode) throws {
        let (world, into) = try Self.worldWithSnapd1Current()
        defer { world.remove() }
        let fake = FakeMounts(failing: CX_MS_REMOUNT)
        let consumer = ConsumerMounts(store: ExportStore(root: world.root), mounts: fake)
        let request = ConsumerMounts.Request(
            directory: into, name: "snapd", set: "tools", mode: mode, allowHostNamespace: true)
        #expect(throws: StoreError.self) { try consumer.mountTools(request) }
        #expect(fake.log.count == 3)
        #expect(fake.log.last == "unmount \(into)")
    }

    @Test func aFailedFirstMountLeavesNothingToUndo() throws {
        let (world, into) = try Self.worldWithSnapd1Current()
        defer { world.remove() }
        let fake = FakeMounts(failing: CX_MS_BIND)
        let consumer = ConsumerMounts(store: ExportStore(root: world.root), mounts: fake)
        let error = #expect(throws: StoreError.self) {
            try consumer.mountTools(
                .init(directory: into, name: "snapd", set: "tools", mode: .pin, allowHostNamespace: true))
        }
        #expect(error?.syscall == "mount(MS_BIND)")
        #expect(fake.log == ["mount - \(CX_MS_BIND)"])
    }

    /// follow's error named symlinkat when the openat of the directory failed.
    @Test(arguments: ["openat", "symlinkat"])
    func followNamesTheCallThatFailedAndUndoesTheMount(call: String) throws {
        let (world, into) = try Self.worldWithSnapd1Current()
        defer { world.remove() }
        let fake = FakeMounts(failing: UInt(1) << 62)
        let recording = RecordingSystemCalls()
        let path = call == "openat" ? into : "snap-exec"
        recording.inject(.ioError, into: call) { $0.arguments.first == path || $0.arguments.last == path }
        let consumer = ConsumerMounts(store: ExportStore(root: world.root, system: recording), mounts: fake)
        let error = #expect(throws: StoreError.self) {
            try consumer.mountTools(
                .init(directory: into, name: "snapd", set: "tools", mode: .follow, allowHostNamespace: true))
        }
        #expect(error?.syscall == call)
        #expect(error?.path == (call == "openat" ? into : into + "/snap-exec"))
        #expect(error?.description.contains("\(call): Input/output error") == true, "\(String(describing: error))")
        #expect(fake.log.last == "unmount \(into)")
    }
}
