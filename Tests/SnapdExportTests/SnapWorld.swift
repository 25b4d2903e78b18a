import Foundation
import GenerationStore
import Glibc
import SnapdExport
import TestSupport

/// A fake snapd world in plain directories: a snap mount dir with revisions (not really mounted), host tools,
/// an os-release file and an export root, all under one temporary directory.
struct SnapWorld {
    let directory: TemporaryDirectory
    /// The temporary directory's path without doubled slashes, as snap-export reports paths.
    var base: String { directory.path.replacingOccurrences(of: "//", with: "/") }
    var snapMountDir: String { base + "/snap" }
    var libexecDir: String { base + "/usr/lib/snapd" }
    var osRelease: String { base + "/os-release" }
    var root: String { base + "/export" }

    /// A classic Debian-like system whose host has all nine tools at `hostVersion` (nil: no host snapd).
    init(id: String = "ubuntu", idLike: String = "debian", hostVersion: String? = "2.60-1") throws {
        directory = try TemporaryDirectory("snapd-world")
        try FileManager.default.createDirectory(atPath: snapMountDir, withIntermediateDirectories: true)
        try setOSRelease(id: id, idLike: idLike)
        if let hostVersion { try setHost(version: hostVersion) }
    }

    func remove() { directory.remove() }

    func write(_ path: String, _ text: String) throws {
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: path, atomically: false, encoding: .utf8)
    }

    func setOSRelease(id: String, idLike: String) throws {
        try write(osRelease, "NAME=\"Test\"\nID=\(id)\n" + (idLike.isEmpty ? "" : "ID_LIKE=\"\(idLike)\"\n"))
    }

    func setHost(version: String, tools: [String] = SnapdSettings.tools) throws {
        try FileManager.default.createDirectory(atPath: libexecDir, withIntermediateDirectories: true)
        for tool in SnapdSettings.tools where tool != "info" {
            let path = libexecDir + "/" + tool
            if tools.contains(tool) {
                try write(path, "#!/bin/sh\n")
            } else {
                try? FileManager.default.removeItem(atPath: path)
            }
        }
        try write(libexecDir + "/info", "VERSION=\(version)\nSNAPD_APPARMOR_REEXEC=1\n")
    }

    /// `<smd>/<instance>/<revision>` with meta/snap.yaml and usr/lib/snapd/{tools, info}; `mounted: false`
    /// leaves an empty directory (an unmounted mount point).
    @discardableResult
    func addRevision(
        _ instance: String, _ revision: String, type: String? = nil, version: String? = "2.63",
        tools: [String] = SnapdSettings.tools, mounted: Bool = true, binary: Bool = true
    ) throws -> String {
        let path = snapMountDir + "/" + instance + "/" + revision
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        guard mounted else { return path }
        let snapType = type ?? (instance == "core" ? "os" : instance == "snapd" ? "snapd" : "app")
        try write(
            path + "/meta/snap.yaml",
            "name: \(instance)\nversion: '\(version ?? "1")'\nsummary: test\ntype: \(snapType) # the type\n"
                + "apps:\n  x:\n    type: nested\n")
        for tool in tools where tool != "info" { try write(path + "/usr/lib/snapd/" + tool, "#!/bin/sh\n") }
        // What snapd's re-exec check looks for (tool_linux.go: the running `snap` command's path in the snap).
        if binary { try write(path + "/" + SnapdSettings.reexecBinary, "#!/bin/sh\n") }
        if let version, tools.contains("info") { try write(path + "/usr/lib/snapd/info", "VERSION=\(version)\n") }
        return path
    }

    func setCurrent(_ instance: String, _ revision: String?) throws {
        let link = snapMountDir + "/" + instance + "/current"
        try? FileManager.default.removeItem(atPath: link)
        if let revision { try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: revision) }
    }

    func removeSnap(_ instance: String) throws {
        try FileManager.default.removeItem(atPath: snapMountDir + "/" + instance)
    }

    func settings(reexec: String? = nil, system: any SystemCalls = LinuxSystemCalls()) -> SnapdSettings {
        SnapdSettings.resolve(
            rootDir: base, snapMountDir: snapMountDir, libexecDir: libexecDir, osReleasePath: osRelease,
            reexec: reexec, system: system
        ).settings
    }

    func store(_ system: any SystemCalls = LinuxSystemCalls()) -> ExportStore {
        ExportStore(root: root, system: system, faults: FaultPoints.none)
    }

    func exporter(reexec: String? = nil, system: any SystemCalls = LinuxSystemCalls()) -> ToolsExporter {
        ToolsExporter(store: store(system), settings: settings(reexec: reexec, system: system))
    }

    /// What `snapd/current` names.
    var current: String? { try? store().link("current", of: "snapd") }

    /// The generations under `snapd/` (directories that are not dot-names or links).
    var generations: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: root + "/snapd")) ?? [])
            .filter { !$0.hasPrefix(".") && $0 != "current" && $0 != "previous" }.sorted()
    }
}

/// Every inode below a directory with its number, times, size and link target: equal before and after
/// means nothing was created, replaced, touched or changed.
func treeSnapshot(_ path: String) -> [String] {
    var lines: [String] = []
    func visit(_ current: String) {
        var st = stat()
        guard lstat(current, &st) == 0 else {
            lines.append("\(current) missing")
            return
        }
        var line = "\(current) ino=\(st.st_ino) mode=\(st.st_mode) size=\(st.st_size) "
        line += "mtime=\(st.st_mtim.tv_sec).\(st.st_mtim.tv_nsec) ctime=\(st.st_ctim.tv_sec).\(st.st_ctim.tv_nsec)"
        if (st.st_mode & S_IFMT) == S_IFLNK {
            line += " -> " + ((try? FileManager.default.destinationOfSymbolicLink(atPath: current)) ?? "?")
        }
        lines.append(line)
        if (st.st_mode & S_IFMT) == S_IFDIR {
            for child in ((try? FileManager.default.contentsOfDirectory(atPath: current)) ?? []).sorted() {
                visit(current + "/" + child)
            }
        }
    }
    visit(path)
    return lines
}
