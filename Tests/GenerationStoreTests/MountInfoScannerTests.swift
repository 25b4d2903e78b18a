import Foundation
import GenerationStore
import GenerationStoreTesting
import Glibc
import Testing
import TestSupport

/// The namespace scan's byte scanner finds exactly the holds the line parser finds, over this machine's real
/// mountinfo files, the kernel's escapes and lines cut at every buffer boundary.
@Suite struct MountInfoScannerTests {
    static let export = ExportLocation(device: "254:0", pathInFileSystem: "/var/lib/snapd/export")

    /// Lines that are hard on a byte scanner: every escape the kernel writes (`\040` space, `\011` tab, `\012`
    /// newline, `\134` backslash) in roots and mount points, an escape the kernel never writes but the parser
    /// undoes (`\057`, a slash, in the part compared with the export root), runs of spaces, other devices, a
    /// deleted root, UTF-8 and bytes that are not, a `\r` before the newline, lines the parser refuses, and a
    /// last line without a newline.
    static let tricky: [UInt8] = {
        let lines: [String] = [
            "612 27 254:0 /var/lib/snapd/export/snapd/21759/tools /usr/lib/snap\\040d ro,relatime shared:5 master:1 - ext4 /dev/vda rw",
            "613 27 254:0 /var/lib/snapd/export/my\\040app/3/fonts /usr/share/fonts\\011x ro - ext4 /dev/vda rw",
            "614 27 254:0 /var/lib/snapd/export/snapd/tab\\011gen/tools /mnt/new\\012line ro - ext4 /dev/vda rw",
            "615 27 254:0 /var/lib/snapd/export/snapd/back\\134slash/tools /mnt/b\\134s ro - ext4 /dev/vda rw",
            "616 27 254:0 /var\\057lib/snapd/export/snapd/escaped-slash/tools /mnt/e ro - ext4 /dev/vda rw",
            "617  27   254:0    /var/lib/snapd/export/snapd/spaced/tools   /mnt/s ro  -  ext4 /dev/vda rw",
            "618 27 254:1 /var/lib/snapd/export/snapd/other-device/tools /mnt/o ro - ext4 /dev/vdb rw",
            "619 27 254:0 /var/lib/snapd/export/snapd/gone/tools//deleted /mnt/d ro - ext4 /dev/vda rw",
            "620 27 254:0 /var/lib/snapd/export /mnt/root ro - ext4 /dev/vda rw",
            "621 27 254:0 /var/lib/snapd/export/snapd /mnt/name ro - ext4 /dev/vda rw",
            "622 27 254:0 /var/lib/snapd/export/.trash/x/tools /mnt/t ro - ext4 /dev/vda rw",
            "623 27 254:0 /var/lib/snapd/exported/snapd/1/tools /mnt/x ro - ext4 /dev/vda rw",
            "624 27 254:0 /var/lib/snapd/export/caf\u{e9}/1/man /mnt/caf\u{e9} ro - ext4 /dev/vda rw",
            "625 27 254:0 /var/lib/snapd/export/snapd/carriage/tools /mnt/cr ro - ext4 /dev/vda rw\r",
            "626 27 254:0 /var/lib/snapd/export/snapd/after-carriage/tools /mnt/ac ro - ext4 /dev/vda rw",
            "garbage line",
            "627 27 254:0 /var/lib/snapd/export/snapd/no-separator/tools /mnt/n ro a b c d e",
            "628 27 254:0 /srv/ex\\040port/snapd/g2/tools /mnt/sp ro - ext4 /dev/vda rw",
            "629 27 254:0 /srv/back\\134slash/snapd/g3/tools /mnt/bs ro - ext4 /dev/vda rw",
            "630 27 254:0 /srv/K/snapd/kelvin/tools /mnt/k ro - ext4 /dev/vda rw",
            "631 27 254:0 /var/lib/snapd/export/snapd/combining/tools \u{301}/mnt/c ro - ext4 /dev/vda rw",
            "632 27 254:0 /snapd/at-top/tools /mnt/top ro - tmpfs tmpfs rw",
            "",
        ]
        var bytes = Array(lines.joined(separator: "\n").utf8) + Array("\n".utf8)
        // A byte that is not UTF-8 inside a root, then the last line, with no newline after it.
        bytes += Array("633 27 254:0 /var/lib/snapd/export/snapd/ff".utf8) + [0xFF]
        bytes += Array("/tools /mnt/ff ro - ext4 /dev/vda rw\n".utf8)
        bytes += Array("634 27 254:0 /var/lib/snapd/export/snapd/last/tools /mnt/last ro - ext4 /dev/vda rw".utf8)
        return bytes
    }()

    /// The export roots the tricky lines are read against: the usual one, one with a space and one with a
    /// backslash in their path, one not ASCII (a Kelvin sign, which `String` holds equal to `K`), the top of
    /// a filesystem, and another device.
    static let trickyLocations: [ExportLocation] = [
        export,
        ExportLocation(device: "254:0", pathInFileSystem: "/srv/ex port"),
        ExportLocation(device: "254:0", pathInFileSystem: "/srv/back\\slash"),
        ExportLocation(device: "254:0", pathInFileSystem: "/srv/\u{212A}"),
        ExportLocation(device: "254:0", pathInFileSystem: "/"),
        ExportLocation(device: "254:1", pathInFileSystem: "/var/lib/snapd/export"),
    ]

    /// What the line parser finds: every parsed line that holds a generation, as `name/generation mount point`.
    static func parsed(_ bytes: [UInt8], _ location: ExportLocation) -> [String] {
        describe(MountInfo.parse(bytes), location)
    }

    static func describe(_ mounts: [MountInfo], _ location: ExportLocation) -> [String] {
        mounts.compactMap { mount in
            location.generation(heldBy: mount.device, mountRoot: mount.root).map {
                "\($0.name)/\($0.generation) \(mount.mountPoint)"
            }
        }
    }

    /// The mountinfo files of this machine: this process's and pid 1's (the host's when run on one).
    static func realFiles() -> [[UInt8]] {
        ["/proc/self/mountinfo", "/proc/1/mountinfo"].compactMap {
            try? LinuxSystemCalls().readMetadata(AT_FDCWD, $0, cap: MetadataCap.mountInfo, followSymlink: true)
        }
    }

    /// Export roots on every device of `bytes`: each line's root and each directory above it.
    static func locations(in bytes: [UInt8]) -> [ExportLocation] {
        var seen = Set<String>()
        var locations: [ExportLocation] = []
        for mount in MountInfo.parse(bytes) {
            var path = mount.root
            while true {
                if seen.insert(mount.device + " " + path).inserted {
                    locations.append(ExportLocation(device: mount.device, pathInFileSystem: path))
                }
                guard path != "/", let slash = path.lastIndex(of: "/") else { break }
                path = slash == path.startIndex ? "/" : String(path[..<slash])
            }
        }
        return locations
    }

    @Test func theScannerFindsWhatTheLineParserFindsInThisMachinesMountInfo() throws {
        let files = Self.realFiles()
        try #require(!files.isEmpty)
        for bytes in files {
            let locations = Self.locations(in: bytes)
            #expect(!locations.isEmpty)
            for location in locations {
                let expected = Self.parsed(bytes, location)
                #expect(Self.describe(MountInfoScanner(location).candidates(in: bytes), location) == expected, "\(location)")
            }
        }
    }

    /// Generation directories with a space, a tab, a newline and a backslash in their names, bind-mounted in a
    /// private mount namespace (onto mount points with such names too): the kernel's own escapes.
    @Test(.enabled(if: TestEnvironment.isRoot && TestEnvironment.has("unshare"), "needs root and unshare(1)"))
    func theScannerFindsWhatTheLineParserFindsInMountInfoTheKernelWrote() throws {
        let temp = try TemporaryDirectory()
        defer { temp.remove() }
        let export = temp.appending("export")
        let generations = ["snapd/g1/tools", "my app/2/fonts", "snapd/tab\tgen/tools", "snapd/new\nline/tools",
            "snapd/back\\slash/tools"]
        var mounts: [String] = []
        for (index, generation) in generations.enumerated() {
            let target = temp.appending("mnt/point \(index)\t\\")
            try FileManager.default.createDirectory(atPath: export + "/" + generation, withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
            mounts += [export + "/" + generation, target]
        }
        let script = "while [ $# -gt 0 ]; do mount --bind \"$1\" \"$2\" || exit 1; shift 2; done; cat /proc/self/mountinfo"
        let result = try run(["/usr/bin/unshare", "-m", "--propagation", "private", "/bin/sh", "-c", script, "sh"] + mounts)
        try #require(result.status == 0, "\(result.stderr)")
        let bytes = Array(result.stdout.utf8)
        #expect(result.stdout.contains("\\040") && result.stdout.contains("\\011") && result.stdout.contains("\\012")
            && result.stdout.contains("\\134"))
        let location = try ExportLocation.locate(root: export)
        let expected = Self.parsed(bytes, location)
        #expect(expected.count == generations.count)
        #expect(Set(expected.map { String($0.prefix { $0 != " " }) }) == ["snapd/g1", "my", "snapd/tab\tgen", "snapd/new\nline", "snapd/back\\slash"])
        #expect(Self.describe(MountInfoScanner(location).candidates(in: bytes), location) == expected)
        for location in Self.locations(in: bytes) + [location] {
            #expect(Self.describe(MountInfoScanner(location).candidates(in: bytes), location) == Self.parsed(bytes, location))
        }
    }

    @Test func theScannerFindsWhatTheLineParserFindsInLinesWithEscapes() {
        let expected = Self.parsed(Self.tricky, Self.export)
        #expect(expected.contains("snapd/21759 /usr/lib/snap d"))
        #expect(expected.contains("my app/3 /usr/share/fonts\tx"))
        #expect(expected.contains("snapd/tab\tgen /mnt/new\nline"))
        #expect(expected.contains("snapd/back\\slash /mnt/b\\s"))
        #expect(expected.contains("snapd/escaped-slash /mnt/e"))
        #expect(expected.contains("snapd/spaced /mnt/s"))
        #expect(expected.contains("snapd/carriage /mnt/cr"), "a \\r ends no line early")
        #expect(expected.contains("snapd/after-carriage /mnt/ac"), "a \\r before the newline joins no lines")
        #expect(expected.contains("snapd/last /mnt/last"))
        #expect(!expected.contains { $0.contains("other-device") || $0.contains("gone") || $0.contains("no-separator") })
        for location in Self.trickyLocations {
            let scanned = Self.describe(MountInfoScanner(location).candidates(in: Self.tricky), location)
            #expect(scanned == Self.parsed(Self.tricky, location), "\(location)")
        }
        #expect(Self.parsed(Self.tricky, Self.trickyLocations[1]) == ["snapd/g2 /mnt/sp"])
        #expect(Self.parsed(Self.tricky, Self.trickyLocations[2]) == ["snapd/g3 /mnt/bs"])
        // Only lines on the export root's device below it are parsed: here 21 of the 26.
        let candidates = MountInfoScanner(Self.export).candidates(in: Self.tricky)
        #expect(candidates.count < MountInfo.parse(Self.tricky).count)
        #expect(!candidates.contains { $0.root.contains("exported") || $0.root.hasPrefix("/srv") })
    }

    /// A fake /proc with one namespace whose mountinfo is `bytes`, scanned with a buffer of every size from one
    /// byte up (each size cuts the lines at other places; a line longer than the buffer makes it grow).
    @Test func everyBufferSizeGivesTheSameHolds() throws {
        let temp = try TemporaryDirectory()
        defer { temp.remove() }
        let proc = temp.appending("proc")
        try FileManager.default.createDirectory(atPath: proc + "/10/ns", withIntermediateDirectories: true)
        try Data("ns".utf8).write(to: URL(fileURLWithPath: proc + "/10/ns/mnt"))
        var bytes = Self.tricky + Array("\n".utf8)
        for real in Self.realFiles() { bytes += real }
        let long = "700 27 254:0 /var/lib/snapd/export/snapd/" + String(repeating: "l", count: 5000) + "/tools /mnt/l ro - ext4 /dev/vda rw\n"
        bytes = Array(long.utf8) + bytes + Array(long.utf8) + Self.tricky
        try Data(bytes).write(to: URL(fileURLWithPath: proc + "/10/mountinfo"))
        for location in Self.trickyLocations {
            let expected = Self.parsed(bytes, location)
            var sizes = Array(1...300) + [511, 512, 4095, 4096, 4097, 5100, 65536, MountNamespaceScan.readSize]
            if location != Self.export { sizes = [1, 2, 3, 7, 64, 100, 4096, MountNamespaceScan.readSize] }
            for size in sizes {
                let scan = try MountNamespaceScan.scan(location, system: LinuxSystemCalls(), procRoot: proc, bufferSize: size)
                let found = scan.namespaces.flatMap(\.holds).map { "\($0.name)/\($0.generation) \($0.mountPoint)" }
                #expect(found == expected, "buffer of \(size) bytes, \(location)")
                if found != expected { break }
            }
        }
    }

    /// A mountinfo file is read with one `pread` per buffer (and one that finds the end), not in small reads.
    @Test func aMountInfoFileIsReadInLargeReads() throws {
        let temp = try TemporaryDirectory()
        defer { temp.remove() }
        let proc = temp.appending("proc")
        try FileManager.default.createDirectory(atPath: proc + "/10/ns", withIntermediateDirectories: true)
        try Data("ns".utf8).write(to: URL(fileURLWithPath: proc + "/10/ns/mnt"))
        let line = "40 1 7:1 /var/lib/snapd/snap/core/1 /snap/core/1 ro - squashfs /dev/loop1 ro\n"
        let bytes = Array(String(repeating: line, count: 3000).utf8)  // about 220 KiB
        try Data(bytes).write(to: URL(fileURLWithPath: proc + "/10/mountinfo"))
        let system = RecordingSystemCalls()
        let scan = try MountNamespaceScan.scan(Self.export, system: system, procRoot: proc)
        #expect(scan.namespacesRead == 1)
        #expect(system.log.filter { $0.name == "pread" }.count == 2)
        #expect(!system.log.contains { $0.name == "read" })
    }
}
