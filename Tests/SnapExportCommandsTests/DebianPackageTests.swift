import Foundation
import SnapExportCommands
import Testing
import TestSupport

/// The repository's root, from this file's path.
private let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path

/// The Debian package under test: `SNAP_EXPORT_DEB` if set (.ci/run builds it), else built once here with
/// `dist/debian/build-deb.sh` (a static release build in .build-static, cached between runs).
private let builtPackage: Result<String, CLIFailure> = {
    if let given = ProcessInfo.processInfo.environment["SNAP_EXPORT_DEB"], !given.isEmpty {
        return FileManager.default.fileExists(atPath: given)
            ? .success(given) : .failure(CLIFailure(message: "SNAP_EXPORT_DEB=\(given) does not exist"))
    }
    do {
        let output = repository + "/.build-static/deb-test"
        let result = try run([repository + "/dist/debian/build-deb.sh", "--output", output])
        guard result.status == 0, let deb = result.stdout.split(separator: "\n").last.map(String.init) else {
            return .failure(CLIFailure(message: "build-deb.sh exited \(result.status): \(result.stderr)"))
        }
        return .success(deb)
    } catch {
        return .failure(CLIFailure(message: "cannot run build-deb.sh: \(error)"))
    }
}()

/// What the package must hold, by path, and the mode of each.
private let expectedFiles: [String: String] = [
    "usr/bin/snap-export": "755",
    "usr/share/man/man8/snap-export.8.gz": "644",
    "usr/share/bash-completion/completions/snap-export": "644",
    "usr/share/doc/snap-export/copyright": "644",
    "usr/share/doc/snap-export/changelog.Debian.gz": "644",
    "usr/lib/systemd/system/snap-export-gc.service": "644",
    "usr/lib/systemd/system/snap-export-gc.timer": "644",
    "usr/lib/systemd/system/snap-export-refresh.service": "644",
    "usr/lib/systemd/system/snap-export-refresh.path": "644",
    "etc/fonts/conf.d/52-snap-export-fonts.conf": "644",
]

/// A throwaway root for `dpkg --root`: an empty dpkg database, nothing else.
private struct OfflineRoot {
    let directory: TemporaryDirectory
    var path: String { directory.appending("root") }

    init() throws {
        directory = try TemporaryDirectory("deb-root")
        for sub in ["var/lib/dpkg/info", "var/lib/dpkg/updates", "var/lib/dpkg/triggers"] {
            try FileManager.default.createDirectory(atPath: path + "/" + sub, withIntermediateDirectories: true)
        }
        FileManager.default.createFile(atPath: path + "/var/lib/dpkg/status", contents: Data())
    }

    /// `dpkg --root` with the maintainer scripts run outside a chroot, DPKG_ROOT set to the root; the libraries
    /// the package depends on are the host's, not installed in this root.
    @discardableResult
    func dpkg(_ arguments: [String]) throws -> ProcessResult {
        try run(
            ["/usr/bin/dpkg", "--root=" + path, "--force-script-chrootless", "--force-depends", "--log=/dev/null"]
                + arguments)
    }

    func exists(_ relative: String) -> Bool {
        var info = stat()
        return lstat(path + "/" + relative, &info) == 0
    }

    func link(_ relative: String) -> String? {
        try? FileManager.default.destinationOfSymbolicLink(atPath: path + "/" + relative)
    }
}

/// Every path below `directory` with its kind and link target: a snapshot to compare.
private func snapshot(_ directory: String) -> [String] {
    guard let walker = FileManager.default.enumerator(atPath: directory) else { return [] }
    var lines: [String] = []
    while let relative = walker.nextObject() as? String {
        let target = (try? FileManager.default.destinationOfSymbolicLink(atPath: directory + "/" + relative)) ?? ""
        lines.append(relative + " " + target)
    }
    return lines.sorted()
}

/// The changelog's upstream version is the program's: no root or tool needed.
@Test("dist/debian/changelog's version is snap-export --version's, with a Debian revision")
func changelogVersionMatchesTheProgram() throws {
    let changelog = try String(contentsOfFile: repository + "/dist/debian/changelog", encoding: .utf8)
    let first = try #require(changelog.split(separator: "\n").first)
    #expect(first.hasPrefix("snap-export (\(SnapExportTool.version)-"), "\(first)")
}

@Suite(
    "The Debian package: files, lintian, an install into a throwaway root, purge",
    .serialized,
    .enabled(
        if: TestEnvironment.isRoot && TestEnvironment.has("dpkg-deb") && TestEnvironment.has("dpkg-shlibdeps"),
        "needs root, dpkg-deb and dpkg-shlibdeps (apt-get install dpkg-dev)"))
struct DebianPackageTests {
    static func package() throws -> String { try builtPackage.get() }

    @Test("the package holds the binary, man page, completion, doc files and units with their modes")
    func contents() throws {
        let listing = try run(["/usr/bin/dpkg-deb", "--contents", try Self.package()])
        try #require(listing.status == 0)
        var found: [String: String] = [:]
        for line in listing.stdout.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard let mode = fields.first, let path = fields.last, mode.hasPrefix("-") else { continue }
            #expect(fields[1] == "root/root", "\(line)")
            let bits = mode.dropFirst().map { $0 != "-" }
            let octal = stride(from: 0, to: 9, by: 3).map { i in
                String((bits[i] ? 4 : 0) + (bits[i + 1] ? 2 : 0) + (bits[i + 2] ? 1 : 0))
            }.joined()
            found[String(path.dropFirst(2))] = octal
        }
        #expect(found == expectedFiles)
        let info = try run(["/usr/bin/dpkg-deb", "--field", try Self.package(), "Depends", "Version", "Package"])
        #expect(
            info.stdout.contains("libc6") && info.stdout.contains("libstdc++6") && info.stdout.contains("libgcc-s1"))
        #expect(!info.stdout.contains("swift"), "no Swift runtime package: it is linked in")
        #expect(info.stdout.contains("Package: snap-export"))
    }

    @Test(
        "lintian reports no error and only the warnings docs/packaging.md argues for",
        .enabled(if: TestEnvironment.has("lintian"), "needs lintian"))
    func lintian() throws {
        let result = try run(["/usr/bin/lintian", "--no-cfg", "--display-level", ">=warning", try Self.package()])
        let tags = result.stdout.split(separator: "\n").filter { $0.hasPrefix("E:") || $0.hasPrefix("W:") }
        #expect(!tags.contains { $0.hasPrefix("E:") }, "\(tags)")
        let argued = try String(contentsOfFile: repository + "/docs/packaging.md", encoding: .utf8)
        for tag in tags {
            // "W: snap-export: TAG [context]"
            let name = tag.split(separator: " ").dropFirst(2).first.map(String.init) ?? String(tag)
            #expect(argued.contains("`\(name)`"), "docs/packaging.md does not argue for \(tag)")
        }
    }

    @Test(
        "installed into a throwaway root: files, units enabled, nothing started, the binary runs; purge leaves the export root"
    )
    func installRunAndPurge() throws {
        let offline = try OfflineRoot()
        defer { offline.directory.remove() }
        let hostWants = snapshot("/etc/systemd/system")
        let install = try offline.dpkg(["--install", try Self.package()])
        try #require(install.status == 0, "\(install.stdout)\(install.stderr)")
        for (path, _) in expectedFiles { #expect(offline.exists(path), "\(path)") }

        // deb-systemd-helper enabled the timer and the path unit inside the root (DPKG_ROOT), not on the host.
        #expect(
            offline.link("etc/systemd/system/timers.target.wants/snap-export-gc.timer")
                == "/usr/lib/systemd/system/snap-export-gc.timer")
        #expect(
            offline.link("etc/systemd/system/paths.target.wants/snap-export-refresh.path")
                == "/usr/lib/systemd/system/snap-export-refresh.path")
        #expect(snapshot("/etc/systemd/system") == hostWants, "the host's units were not touched")

        // The installed binary runs, from the root, on an export root of its own.
        let binary = offline.path + "/usr/bin/snap-export"
        let exportRoot = offline.path + "/var/lib/snapd/export"
        let version = try run([binary, "--version"])
        #expect(version.status == 0 && version.stdout.hasPrefix("snap-export "))
        let published = try run([binary, "--root", exportRoot, "publish", "demo", "g1", "--entry", "tools/a=/bin/sh"])
        #expect(published.status == 0, "\(published.stderr)")
        #expect(try run([binary, "--root", exportRoot, "switch", "demo", "g1"]).status == 0)
        #expect(try run([binary, "--root", exportRoot, "verify"]).status == 0)

        // The installed units verify; verify insists that ExecStart exists, so the copies name the installed binary
        // (systemd-analyze --root would want a whole systemd in the root).
        if let analyze = TestEnvironment.which("systemd-analyze") {
            let units = expectedFiles.keys.filter { $0.hasPrefix("usr/lib/systemd/system/") }.sorted()
            let copies = offline.directory.appending("units")
            try FileManager.default.createDirectory(atPath: copies, withIntermediateDirectories: true)
            for unit in units {
                let text = try String(contentsOfFile: offline.path + "/" + unit, encoding: .utf8)
                try text.replacingOccurrences(of: "ExecStart=/usr/bin/snap-export", with: "ExecStart=" + binary)
                    .write(
                        toFile: copies + "/" + (unit as NSString).lastPathComponent, atomically: true, encoding: .utf8)
            }
            let verify = try run(
                [analyze, "verify", "--man=no"] + units.map { copies + "/" + ($0 as NSString).lastPathComponent })
            #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
            #expect(verify.stdout + verify.stderr == "", "\(verify.stdout)\(verify.stderr)")
        }

        let before = snapshot(exportRoot)
        let remove = try offline.dpkg(["--remove", "snap-export"])
        #expect(remove.status == 0, "\(remove.stderr)")
        #expect(!offline.exists("usr/bin/snap-export"))
        let purge = try offline.dpkg(["--purge", "snap-export"])
        #expect(purge.status == 0, "\(purge.stderr)")
        #expect(!offline.exists("etc/systemd/system/timers.target.wants/snap-export-gc.timer"))
        #expect(!offline.exists("etc/systemd/system/paths.target.wants/snap-export-refresh.path"))
        #expect(!offline.exists("var/lib/systemd/deb-systemd-helper-enabled/snap-export-gc.timer.dsh-also"))
        #expect(snapshot(exportRoot) == before, "purge never touches the export root")
        #expect(!before.isEmpty)
        #expect(snapshot("/etc/systemd/system") == hostWants)
    }

    /// The directory of the Swift toolchain the debug build links against (`ldd`: where libswiftCore.so is), cut
    /// at `/usr/lib/swift`, or that directory itself when the toolchain lives in /usr.
    static func toolchainDirectory() throws -> String {
        let ldd = try run(["/usr/bin/ldd", TestEnvironment.snapExport])
        let line = try #require(ldd.stdout.split(separator: "\n").first { $0.contains("libswiftCore.so =>") })
        let library = try #require(line.split(separator: " ").first { $0.hasPrefix("/") }.map(String.init))
        let prefix = try #require(library.range(of: "/usr/lib/swift/")).lowerBound
        let toolchain = String(library[..<prefix])
        return toolchain.isEmpty || toolchain == "/" ? "/usr/lib/swift" : toolchain
    }

    @Test(
        "the installed binary runs --version, status and demo where the toolchain's directory is an empty tmpfs",
        .enabled(if: TestEnvironment.has("unshare"), "needs unshare(1)"))
    func runsWithTheToolchainHidden() throws {
        let offline = try OfflineRoot()
        defer { offline.directory.remove() }
        let install = try offline.dpkg(["--install", try Self.package()])
        try #require(install.status == 0, "\(install.stderr)")
        let toolchain = try Self.toolchainDirectory()
        let binary = offline.path + "/usr/bin/snap-export"
        let exportRoot = offline.directory.appending("export")
        let script = """
            mount -t tmpfs -o ro,mode=0755 hidden '\(toolchain)' || exit 90
            [ -z "$(ls -A '\(toolchain)')" ] || exit 91
            # The control: the debug build needs the toolchain's libswiftCore.so and must not start.
            '\(TestEnvironment.snapExport)' --version >/dev/null 2>&1 && exit 92
            '\(binary)' --version || exit 93
            TMPDIR='\(offline.directory.path)' '\(binary)' --root '\(exportRoot)' demo --switches 50 --readers 1 \\
                >/dev/null || exit 94
            '\(binary)' --root '\(exportRoot)' status || exit 95
            """
        let result = try run(["/usr/bin/unshare", "-m", "--propagation", "private", "/bin/sh", "-c", script])
        #expect(result.status == 0, "exit \(result.status): \(result.stdout)\(result.stderr)")
        #expect(result.stdout.hasPrefix("snap-export "))
        #expect(result.stdout.contains("snapd") && result.stdout.contains("current"), "\(result.stdout)")
    }
}
