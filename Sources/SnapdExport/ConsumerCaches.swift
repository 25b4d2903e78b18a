import GenerationStore
import Glibc

/// The host programs' caches refreshed after a union switch (docs/exports.md, "Caches"): `fc-cache <dir>` for the
/// font union, `mandb -q -c -s <snap mount dir>/man` for the man union. Each runs only where it is installed, bounded in
/// time (killed after `timeoutMilliseconds`), and a failure is a warning: the unions are already right, only a
/// cache is stale until the program's next run.
public struct ConsumerCaches: Sendable {
    /// Directories searched for the programs.
    public var searchPath: [String]
    /// How long each program may run.
    public var timeoutMilliseconds: Int32
    /// The man-db configuration: `mandb` runs only when it maps the man link's directory (`MANDB_MAP`), so its
    /// index never lands inside a union generation.
    public var manpathConfig: String
    /// The fontconfig snippet snap-export ships (`dist/fontconfig`): `fc-cache` runs only when it is installed
    /// and names the font union's directory, so no cache is written for a directory fontconfig never reads.
    public var fontconfigSnippet: String
    let system: any SystemCalls
    let enabled: Bool

    /// No cache refresh at all (tests, `--dry-run`).
    public static let none = ConsumerCaches(
        searchPath: [], timeoutMilliseconds: 0, manpathConfig: "", fontconfigSnippet: "", system: LinuxSystemCalls(),
        enabled: false)

    /// Where the snippet is installed.
    public static let defaultFontconfigSnippet = "/etc/fonts/conf.d/52-snap-export-fonts.conf"

    /// The programs found on `path` (`PATH`'s form; the usual system directories when nil).
    public static func installed(
        path: String?, timeoutMilliseconds: Int32 = 20_000, manpathConfig: String = "/etc/manpath.config",
        fontconfigSnippet: String = defaultFontconfigSnippet, system: any SystemCalls = LinuxSystemCalls()
    ) -> ConsumerCaches {
        // The absolute entries of PATH, split on its bytes (a switch builds this; the Character split's first
        // use cost it a twentieth of a millisecond).
        var directories: [String] = []
        var entry: [UInt8] = []
        let search = path ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
        for byte in Array(search.utf8) + [UInt8(ascii: ":")] {
            if byte != UInt8(ascii: ":") {
                entry.append(byte)
                continue
            }
            if entry.first == UInt8(ascii: "/") { directories.append(String(decoding: entry, as: UTF8.self)) }
            entry.removeAll(keepingCapacity: true)
        }
        return ConsumerCaches(
            searchPath: directories, timeoutMilliseconds: timeoutMilliseconds, manpathConfig: manpathConfig,
            fontconfigSnippet: fontconfigSnippet, system: system, enabled: true)
    }

    func find(_ program: String) -> String? {
        for directory in searchPath {
            let candidate = directory + "/" + program
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }

    /// True when `manpath.config` has `MANDB_MAP <directory> …`.
    func mandbMaps(_ directory: String) -> Bool {
        guard let bytes = try? SystemFiles(system: system).read(manpathConfig) else { return false }
        return String(decoding: bytes, as: UTF8.self).split(separator: "\n").contains { line in
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            return words.count >= 2 && words[0] == "MANDB_MAP" && words[1] == directory
        }
    }

    /// Runs the refresh of each switched kind; returns the warnings.
    func refresh(_ kinds: Set<UnionKind>, manDirectory: String, fontDirectory: String) -> [SnapdWarning] {
        guard enabled else { return [] }
        var warnings: [SnapdWarning] = []
        if kinds.contains(.fonts), let program = find("fc-cache"),
            let snippet = try? SystemFiles(system: system).read(fontconfigSnippet),
            String(decoding: snippet, as: UTF8.self).contains("<dir>" + fontDirectory + "</dir>")
        {
            warnings += run(program, ["fc-cache", fontDirectory], about: fontDirectory)
        }
        if kinds.contains(.man), let program = find("mandb") {
            // Without a MANDB_MAP, mandb would write its index into the union itself: not run (man still finds
            // the pages by searching the directories; apropos and whatis do not).
            // `-c` rebuilds that hierarchy's index: man-db 2.11's incremental update keeps the entry of a page
            // whose link left the union (tested), so `whatis` would still list a removed snap's page; `-s` skips
            // "stray cats", the pages man formatted into its cache, which would keep it too.
            if mandbMaps(manDirectory) {
                warnings += run(
                    program, ["mandb", "-q", "-c", "-s", "-C", manpathConfig, manDirectory], about: manDirectory)
            }
        }
        return warnings
    }

    func run(_ program: String, _ arguments: [String], about path: String) -> [SnapdWarning] {
        let command = arguments.joined(separator: " ")
        do throws(Errno) {
            let pid = try system.spawnProcess(program, arguments, ["PATH=" + searchPath.joined(separator: ":")])
            guard let status = try system.waitProcess(pid, timeoutMilliseconds: timeoutMilliseconds) else {
                system.killProcess(pid, SIGKILL)
                return [
                    SnapdWarning(
                        path: path, message: "\(command) ran longer than \(timeoutMilliseconds) ms and was killed")
                ]
            }
            let exited = status & 0x7f == 0
            let code = (status >> 8) & 0xff
            if exited && code == 0 { return [] }
            return [
                SnapdWarning(
                    path: path,
                    message: exited
                        ? "\(command) exited with \(code)" : "\(command) was killed by signal \(status & 0x7f)")
            ]
        } catch {
            return [SnapdWarning(path: path, message: "cannot run \(command): \(error)")]
        }
    }
}
