import Foundation
import GenerationStore
import GenerationStoreTesting
import Testing
import TestSupport

/// Reading mountinfo: parsing, matching mount roots to generations, and a /proc whose processes vanish.
@Suite struct GCMountInfoTests {
    @Test func aLineIsParsedWithItsEscapesAndPropagation() throws {
        let line =
            "612 27 254:0 /var/lib/snapd/export/snapd/21759/tools /usr/lib/snap\\040d ro,relatime shared:5 master:1"
            + " - ext4 /dev/vda rw"
        let mount = try #require(MountInfo(line: Substring(line)))
        #expect(mount.id == 612)
        #expect(mount.device == "254:0")
        #expect(mount.root == "/var/lib/snapd/export/snapd/21759/tools")
        #expect(mount.mountPoint == "/usr/lib/snap d")
        #expect(mount.isShared)
        #expect(mount.fileSystemType == "ext4")
        #expect(MountInfo(line: "garbage line") == nil)
    }

    @Test func onlyMountsInsideAGenerationOnTheExportDeviceHoldIt() {
        let location = ExportLocation(device: "254:0", pathInFileSystem: "/var/lib/snapd/export")
        func held(_ device: String, _ root: String, in location: ExportLocation = location) -> String? {
            location.generation(heldBy: device, mountRoot: root).map { $0.name + "/" + $0.generation }
        }
        #expect(held("254:0", "/var/lib/snapd/export/snapd/21759/tools") == "snapd/21759")
        #expect(held("254:0", "/var/lib/snapd/export/snapd/host") == "snapd/host")
        #expect(held("254:1", "/var/lib/snapd/export/snapd/21759/tools") == nil)
        #expect(held("254:0", "/var/lib/snapd/export") == nil)
        #expect(held("254:0", "/var/lib/snapd/export/snapd") == nil)
        #expect(held("254:0", "/var/lib/snapd/export/.trash/abc/tools") == nil)
        #expect(held("254:0", "/var/lib/snapd/exported/snapd/1") == nil)
        #expect(held("254:0", "/var/lib/snapd/export/snapd/1/tools//deleted") == nil)
        let atTop = ExportLocation(device: "0:50", pathInFileSystem: "/")
        #expect(held("0:50", "/snapd/7/tools", in: atTop) == "snapd/7")
    }

    @Test func theExportRootIsLocatedOnItsFileSystem() throws {
        let temp = try TemporaryDirectory()
        defer { temp.remove() }
        let location = try ExportLocation.locate(root: temp.path)
        let real = URL(fileURLWithPath: temp.path).resolvingSymlinksInPath().path
        #expect(real.hasSuffix(location.pathInFileSystem))
        #expect(location.device.contains(":"))
    }

    /// A fake /proc: pid 10 and 11 share a namespace and hold g1; 12 vanished after listing (no mountinfo);
    /// 13 has no namespace link any more; 14's namespace link is a directory that cannot be read as a file.
    @Test func aProcessThatVanishesWhileBeingReadIsSkippedAndEachNamespaceIsReadOnce() throws {
        let temp = try TemporaryDirectory()
        defer { temp.remove() }
        let proc = temp.appending("proc")
        let fm = FileManager.default
        let holding = "40 1 254:0 /export/snapd/g1/tools /usr/lib/snapd ro - ext4 /dev/vda rw\n"
        try fm.createDirectory(atPath: proc + "/10/ns", withIntermediateDirectories: true)
        try Data("ns-a".utf8).write(to: URL(fileURLWithPath: proc + "/10/ns/mnt"))
        try Data(holding.utf8).write(to: URL(fileURLWithPath: proc + "/10/mountinfo"))
        try fm.createDirectory(atPath: proc + "/11/ns", withIntermediateDirectories: true)
        try fm.linkItem(atPath: proc + "/10/ns/mnt", toPath: proc + "/11/ns/mnt")  // same inode: same namespace
        try Data("not read: same namespace\n".utf8).write(to: URL(fileURLWithPath: proc + "/11/mountinfo"))
        try fm.createDirectory(atPath: proc + "/12/ns", withIntermediateDirectories: true)
        try Data("ns-b".utf8).write(to: URL(fileURLWithPath: proc + "/12/ns/mnt"))
        try fm.createDirectory(atPath: proc + "/13", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: proc + "/self", withIntermediateDirectories: true)
        let location = ExportLocation(device: "254:0", pathInFileSystem: "/export")
        let system = RecordingSystemCalls()
        let scan = try MountNamespaceScan.scan(location, system: system, procRoot: proc)
        #expect(scan.namespaces.map(\.pids) == [[10, 11]])
        #expect(scan.holders(of: "snapd", "g1").first?.mountPoints == ["/usr/lib/snapd"])
        #expect(scan.namespacesRead == 1)
        #expect(scan.unreadable.isEmpty)
        let mountinfoOpens = system.log.filter {
            $0.name == "openat" && $0.arguments.first?.hasSuffix("mountinfo") == true
        }
        #expect(mountinfoOpens.map { $0.arguments[0] } == ["10/mountinfo", "12/mountinfo"])
    }

    @Test func aProcessWhoseMountInfoCannotBeReadIsReportedAsUnreadable() throws {
        let temp = try TemporaryDirectory()
        defer { temp.remove() }
        let proc = temp.appending("proc")
        try FileManager.default.createDirectory(atPath: proc + "/20/ns", withIntermediateDirectories: true)
        try Data("ns".utf8).write(to: URL(fileURLWithPath: proc + "/20/ns/mnt"))
        try Data("".utf8).write(to: URL(fileURLWithPath: proc + "/20/mountinfo"))
        let system = RecordingSystemCalls()
        system.inject(.permissionDenied, into: "openat", where: { $0.arguments.first == "20/mountinfo" })
        let scan = try MountNamespaceScan.scan(
            ExportLocation(device: "1:1", pathInFileSystem: "/x"), system: system, procRoot: proc)
        #expect(scan.unreadable == [20])
    }

    @Test func theLiveSystemCanBeScanned() throws {
        let temp = try TemporaryDirectory()
        defer { temp.remove() }
        let scan = try MountNamespaceScan.scan(try ExportLocation.locate(root: temp.path))
        #expect(scan.namespacesRead >= 1)
        #expect(scan.namespaces.isEmpty)
    }
}
