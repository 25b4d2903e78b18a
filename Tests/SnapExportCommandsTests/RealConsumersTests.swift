import Foundation
import Glibc
import Testing
import TestSupport

/// The repository's root, from this file's path.
private let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path

/// The real man-db and fontconfig reading the union views, with loop-mounted squashfs snaps, inside a private mount
/// namespace (`unshare -m`) so that nothing the host sees changes: the configuration files, caches and the export
/// root's place are bind mounts and tmpfs that vanish with the namespace.
@Suite("Real man-db and fontconfig read the union views", .serialized)
struct RealConsumersTests {
    static let tools = ["mksquashfs", "mount", "umount", "unshare"]
    static var ready: Bool { TestEnvironment.isRoot && tools.allSatisfy(TestEnvironment.has) }

    /// Runs `script` with `sh -eu` in a private mount namespace; returns its `KEY=value` lines (last one wins).
    static func namespace(_ script: String, in directory: String) throws -> [String: String] {
        let result = try run(
            ["/usr/bin/unshare", "-m", "--propagation", "private", "/bin/sh", "-eu", "-c", script],
            environment: ["SE": TestEnvironment.snapExport, "T": directory, "REPO": repository])
        let logs = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter {
            $0.hasSuffix(".out")
        }
        .map { "\($0): " + ((try? String(contentsOfFile: directory + "/" + $0, encoding: .utf8)) ?? "") }
        try #require(
            result.status == 0,
            "script failed (\(result.status)): \(result.stdout)\n\(result.stderr)\n\(logs.joined(separator: "\n"))")
        var values: [String: String] = [:]
        for line in result.stdout.split(separator: "\n") {
            guard let equals = line.firstIndex(of: "="), line.first?.isUppercase == true else { continue }
            values[String(line[..<equals])] = String(line[line.index(after: equals)...])
        }
        return values
    }

    /// A directory others (mandb runs as user man) can traverse.
    static func directory(_ prefix: String) throws -> TemporaryDirectory {
        let directory = try TemporaryDirectory(prefix)
        chmod(directory.path, 0o755)
        return directory
    }

    /// The shell functions both scripts use: `snap NAME REV` packs `$T/src/NAME_REV` into a squashfs image and
    /// mounts it at `$T/snap/NAME/REV`; `se` runs snap-export on the test's root and snap mount dir.
    static let prelude = #"""
        snap() {
            mksquashfs "$T/src/$1_$2" "$T/$1_$2.snap" -noappend -quiet -no-progress -all-root >/dev/null
            mkdir -p "$T/snap/$1/$2"
            mount -t squashfs -o ro,loop "$T/$1_$2.snap" "$T/snap/$1/$2"
            ln -sfn "$2" "$T/snap/$1/current"
        }
        se() { "$SE" --root "$ROOT" --snap-mount-dir "$T/snap" --libexec-dir "$T/no-libexec" "$@"; }
        mkdir -p "$T/snap/bin"
        """#

    static func write(_ path: String, _ text: String) throws {
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: path, atomically: false, encoding: .utf8)
    }

    @Test(
        .enabled(
            if: ready && TestEnvironment.has("man") && TestEnvironment.has("mandb")
                && FileManager.default.fileExists(atPath: "/usr/share/man/man1/ls.1.gz"),
            "needs root, squashfs-tools, util-linux, man-db and coreutils' ls.1"))
    func manFindsASnapsPageThroughTheUnionUntilTheSnapIsRemovedAndNeverShadowsTheHost() throws {
        let directory = try Self.directory("real-man")
        defer { directory.remove() }
        let t = directory.path
        try Self.write(t + "/src/htop_1/meta/snap.yaml", "name: htop\nversion: '3.2'\nsummary: test\n")
        try Self.write(
            t + "/src/htop_1/usr/share/man/man1/htop.1",
            ".TH HTOP 1 \"2024\" \"htop 3.2\" \"User Commands\"\n.SH NAME\nhtop \\- interactive process viewer\n"
                + ".SH DESCRIPTION\nThis page comes from the htop snap.\n")
        try Self.write(
            t + "/src/htop_1/meta/exports.json", #"{"sets": {"man/man1": {"htop.1": "usr/share/man/man1/htop.1"}}}"#)
        // A snap named ls exporting its own ls.1: accepted by the namespacing, but never found before the host's.
        try Self.write(t + "/src/ls_1/meta/snap.yaml", "name: ls\nversion: '1'\nsummary: test\n")
        try Self.write(t + "/src/ls_1/man/ls.1", ".TH LS 1\n.SH NAME\nls \\- the snap's ls\n")
        try Self.write(t + "/src/ls_1/meta/exports.json", #"{"sets": {"man/man1": {"ls.1": "man/ls.1"}}}"#)
        let values = try Self.namespace(
            Self.prelude + "\n" + #"""
                ROOT="$T/export"
                # man-db's index of the snap hierarchy goes to a cache of the test's (as /snap/man's does).
                mkdir -p "$T/cache/man"; chown man "$T/cache/man" 2>/dev/null || true
                cp /etc/manpath.config "$T/manpath.config"
                echo "MANDB_MAP $T/snap/man $T/cache/man" >> "$T/manpath.config"
                mount --bind "$T/manpath.config" /etc/manpath.config
                export PATH="/usr/bin:/bin:$T/snap/bin"
                snap htop 1
                se link htop 1 > "$T/link.out" 2>&1
                echo "FOUND=$(man -w htop)"
                echo "RENDERED=$(man -P cat htop | tr -s ' \n' ' ')"
                echo "WHATIS=$(whatis htop 2>&1)"
                snap ls 1
                se link ls 1 >/dev/null 2>&1
                echo "LSUNION=$(readlink "$T/snap/man/man1/ls.1")"
                echo "LS=$(man -w ls)"
                umount "$T/snap/htop/1"; rm -rf "$T/snap/htop"
                se refresh --no-gc > "$T/refresh.out" 2>&1 || true
                echo "GONE=$(man -w htop 2>&1 || echo "exit $?")"
                echo "WHATISGONE=$(whatis htop 2>&1 || true)"
                echo "REFRESH=$(tr '\n' '|' < "$T/refresh.out")"
                echo "VERIFY=$(se verify >/dev/null 2>&1 && echo clean || echo dirty)"
                umount "$T/snap/ls/1"
                """#, in: t)
        #expect(
            values["FOUND"] == t + "/snap/htop/1/usr/share/man/man1/htop.1", "man -w prints the file inside the snap")
        #expect(values["RENDERED"]?.contains("This page comes from the htop snap.") == true, "\(values)")
        #expect(values["WHATIS"]?.contains("interactive process viewer") == true, "mandb indexed it: \(values)")
        #expect(values["LSUNION"] == t + "/export/ls/current/man/man1/ls.1", "ls.1 is in the union")
        #expect(values["LS"] == "/usr/share/man/man1/ls.1.gz", "the host's ls.1 comes first")
        #expect(values["GONE"]?.contains("No manual entry for htop") == true, "\(values)")
        #expect(values["WHATISGONE"]?.contains("nothing appropriate") == true, "mandb forgot it: \(values)")
        #expect(values["VERIFY"] == "clean")
    }

    @Test(
        .enabled(
            if: ready && TestEnvironment.has("fc-list") && TestEnvironment.has("fc-match")
                && FileManager.default.fileExists(atPath: "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf")
                && FileManager.default.fileExists(atPath: "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf")
                && FileManager.default.fileExists(atPath: "/etc/fonts/conf.d"),
            "needs root, squashfs-tools, util-linux, fontconfig and fonts-dejavu-core"))
    func fontconfigListsAndMatchesASnapsFontThroughTheShippedSnippetAndSeesNewContentUnderTheSameName() throws {
        let directory = try Self.directory("real-fonts")
        defer { directory.remove() }
        let t = directory.path
        let dejavu = "/usr/share/fonts/truetype/dejavu/"
        let exports =
            #"{"sets": {"fonts": {"DejaVuSerif.ttf": "fonts/DejaVuSerif.ttf", "DejaVuSans.ttf": "fonts/DejaVuSans.ttf"}}}"#
        for (revision, serif) in [("1", "DejaVuSerif.ttf"), ("2", "DejaVuSansMono.ttf")] {
            let source = t + "/src/font-snap_\(revision)"
            try Self.write(source + "/meta/snap.yaml", "name: font-snap\nversion: '\(revision)'\nsummary: test\n")
            try Self.write(source + "/meta/exports.json", exports)
            // Real font files from the Debian package; revision 2 ships other content under the same name.
            try FileManager.default.createDirectory(atPath: source + "/fonts", withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: dejavu + serif, toPath: source + "/fonts/DejaVuSerif.ttf")
            try FileManager.default.copyItem(
                atPath: dejavu + "DejaVuSans.ttf", toPath: source + "/fonts/DejaVuSans.ttf")
        }
        let union = "/var/lib/snapd/export/@fonts/current/fonts"
        let values = try Self.namespace(
            Self.prelude + "\n" + #"""
                # The shipped snippet, as installed, names /var/lib/snapd/export: put the test's root there.
                mount -t tmpfs tmpfs /var/lib
                mkdir -p /var/lib/snapd/export
                ROOT=/var/lib/snapd/export
                # Caches of the namespace only, so fontconfig starts from nothing and the host's stay as they are.
                mkdir -p /var/cache/fontconfig; mount -t tmpfs tmpfs /var/cache/fontconfig
                export HOME="$T/home" XDG_CACHE_HOME="$T/home/.cache"
                cp -a /etc/fonts/conf.d "$T/conf.d"
                cp "$REPO/dist/fontconfig/52-snap-export-fonts.conf" "$T/conf.d/"
                mount --bind "$T/conf.d" /etc/fonts/conf.d
                # The host keeps DejaVu Sans but has no DejaVu Serif, which only the snap ships.
                for f in /usr/share/fonts/truetype/dejavu/DejaVuSerif*.ttf; do mount --bind /dev/null "$f"; done
                export PATH="/usr/bin:/bin:$T/snap/bin"
                snap font-snap 1
                se link font-snap 1 > "$T/link1.out" 2>&1
                echo "LIST1=$(fc-list | grep '@fonts' | sort | tr '\n' '|')"
                echo "SERIF1=$(fc-match -f '%{file}' 'DejaVu Serif')"
                echo "SANS1=$(fc-match -f '%{file}' 'DejaVu Sans')"
                echo "CACHE1=$(ls /var/cache/fontconfig | grep -c cache- || true)"
                snap font-snap 2
                se link font-snap 2 > "$T/link2.out" 2>&1
                echo "LIST2=$(fc-list | grep '@fonts/current/fonts/DejaVuSerif.ttf' | tr '\n' '|')"
                umount "$T/snap/font-snap/1"; umount "$T/snap/font-snap/2"; rm -rf "$T/snap/font-snap"
                se refresh --no-gc > "$T/refresh.out" 2>&1 || true
                echo "LIST3=$(fc-list | grep -c '@fonts' || true)"
                echo "SERIF3=$(fc-match -f '%{file}' 'DejaVu Serif')"
                """#, in: t)
        let list1 = values["LIST1"] ?? ""
        #expect(list1.contains(union + "/DejaVuSerif.ttf: DejaVu Serif:style=Book"), "\(values)")
        #expect(values["SERIF1"] == union + "/DejaVuSerif.ttf", "picked by family: \(values)")
        #expect(values["SANS1"] == dejavu + "DejaVuSans.ttf", "the host's font comes first: \(values)")
        #expect(values["CACHE1"].flatMap(Int.init) ?? 0 > 0, "fc-cache ran after the switch: \(values)")
        #expect(values["LIST2"]?.contains("DejaVu Sans Mono") == true, "the new content is seen: \(values)")
        #expect(values["LIST3"] == "0", "gone after removal: \(values)")
        #expect(values["SERIF3"] != union + "/DejaVuSerif.ttf", "\(values)")
    }
}
