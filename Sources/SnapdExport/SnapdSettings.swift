import GenerationStore

/// Where snapd's world is on this system and how snapd would behave here: the root, the snap mount dir,
/// the host's tools directory, the distribution (from os-release) and the `SNAP_REEXEC` setting.
///
/// Built from plain values by `resolve`; nothing here parses command-line arguments. The defaults are
/// snapd's: see `SnapdDirectories` (the distribution table and the `/snap` probe) and `OSRelease`.
public struct SnapdSettings: Sendable, Equatable {
    /// The host's root (snapd's `dirs.GlobalRootDir`): `/` normally, a directory in tests.
    public var rootDir: String
    /// Where snaps are mounted on the host (`/snap`, or `/var/lib/snapd/snap`).
    public var snapMountDir: String
    /// How `snapMountDir` was decided, for people (`given`, `<root>/snap is a directory`, …).
    public var snapMountDirOrigin: String
    /// Why snapd would have no snap mount dir here (`snapMountDirProbe` failed); then no provider is certain.
    public var snapMountDirProblem: String?
    /// True when `snapMountDirProblem` is a call that failed (`EIO`, …), not what is there.
    public var snapMountDirUnreadable = false
    /// The host's snapd tools (`/usr/lib/snapd`, or `/usr/libexec/snapd`).
    public var libexecDir: String
    /// The os-release file that was read; nil when none could be opened (then `ID=linux`).
    public var osReleasePath: String?
    /// The distribution as snapd reads it.
    public var osRelease: OSRelease
    /// The value of `SNAP_REEXEC` as given.
    public var reexec: ReexecSetting
    /// snapd's state file (`dirs.SnapStateFile`), which snapd rewrites whenever it changes a snap's `current`: the
    /// witness of `UnionCheckStamp`. nil where it is not known to go with `snapMountDir` (a snap mount dir given
    /// without it), so that no check is skipped on its word.
    public var stateFile: String?
    /// The kernel's boot id, which a reboot changes: a stamp of an earlier boot is never trusted.
    public var bootIDFile = "/proc/sys/kernel/random/boot_id"

    /// The tools export's name in the store.
    public static let exportName = "snapd"
    /// The set that holds the tools.
    public static let toolsSet = "tools"
    /// The nine tools snapd exports, each under `usr/lib/snapd/` of a snap or in the host's libexec dir.
    public static let tools = [
        "etelpmoc.sh", "info", "snap-confine", "snap-discard-ns", "snap-exec", "snap-gdb-shim",
        "snap-gdbserver-shim", "snap-update-ns", "snapctl",
    ]
    /// `dirs.SnapStateFile` under the root.
    public static let stateFile = "/var/lib/snapd/state.json"
    /// snapd's link in `<snap mount dir>/<instance>/` that names the snap's current revision.
    public static let currentRevisionLink = "current"
    /// Where consumers inside a snap's mount namespace see the host's root.
    public static let hostfs = "/var/lib/snapd/hostfs"
    /// Where consumers inside a snap's mount namespace see mounted snaps, whatever the host uses.
    public static let namespaceSnapMountDir = "/snap"
    /// The binary whose presence in a snap decides the re-exec (`tool_linux.go` joins the running
    /// executable's path to the snap): the `snap` command, which runs `snap-confine` and `snap-exec`.
    public static let reexecBinary = "usr/bin/snap"

    public init(
        snapMountDir: String, libexecDir: String, osReleasePath: String? = "/etc/os-release",
        osRelease: OSRelease?, reexec: ReexecSetting = .unset, rootDir: String = "/",
        snapMountDirOrigin: String = "given", snapMountDirProblem: String? = nil
    ) {
        self.rootDir = Self.normalized(rootDir)
        self.snapMountDir = Self.normalized(snapMountDir)
        self.snapMountDirOrigin = snapMountDirOrigin
        self.snapMountDirProblem = snapMountDirProblem
        self.libexecDir = Self.normalized(libexecDir)
        self.osReleasePath = osReleasePath
        self.osRelease = osRelease ?? OSRelease.fallback
        self.reexec = reexec
    }

    /// True on Ubuntu Core (`ID=ubuntu-core`).
    public var isUbuntuCore: Bool { osRelease.isUbuntuCore }

    /// Where `tool_linux.go` looks for `snapd/current` and `core/current`: `/snap`, hard-coded there
    /// whatever the snap mount dir, so where snaps are mounted at `<X>/var/lib/snapd/snap` (snapd's
    /// alternative dir under a root `X`) snapd re-executes only if `<X>/snap` leads there. Any other snap
    /// mount dir (`/snap` itself, or a directory given with `--snap-mount-dir`) stands for `/snap`.
    public var reexecSnapDir: String {
        let alt = SnapdDirectories.altSnapMountDir
        if snapMountDir == alt { return SnapdDirectories.defaultSnapMountDir }
        if snapMountDir.hasSuffix(alt) {
            return String(snapMountDir.dropLast(alt.count)) + SnapdDirectories.defaultSnapMountDir
        }
        return snapMountDir
    }

    /// The host's tools directory as a path on the host's root (without `rootDir` when it lies under it):
    /// inside a snap's namespace the host's root is at `hostfs`, so targets are `hostfs` + this.
    public var hostLibexecDir: String {
        guard rootDir != "/", libexecDir.hasPrefix(rootDir + "/") else { return libexecDir }
        return String(libexecDir.dropFirst(rootDir.count))
    }

    /// The re-exec rule's view of the system.
    public var reexecSystem: ReexecSystem {
        ReexecSystem(
            onClassic: osRelease.onClassic, debianLike: osRelease.isDebianLike, distribution: osRelease.id,
            reexec: reexec, binary: Self.reexecBinary, broken: osRelease.unusable ?? snapMountDirProblem,
            brokenByReadFailure: osRelease.unusable != nil ? osRelease.unreadable : snapMountDirUnreadable)
    }

    /// Reads os-release and fills in snapd's defaults for what was not given.
    ///
    /// - Parameters:
    ///   - rootDir: the host's root; every default path is under it.
    ///   - snapMountDir: the snap mount dir, or nil for snapd's `snapMountDirProbe` of `<root>/snap`.
    ///   - libexecDir: the host's tools, or nil for the distribution table (`SnapdDirectories.libexecDir`).
    ///   - osReleasePath: the os-release file, or nil for snapd's search (`/etc/os-release`,
    ///     `/etc/initrd-release`, `/usr/lib/os-release` under the root, else `ID=linux`).
    ///   - reexec: the value of the `SNAP_REEXEC` environment variable, nil when unset.
    ///   - stateFile: snapd's state file, or nil for `<root>/var/lib/snapd/state.json` when the snap mount dir is
    ///     probed (none when it is given: a given mount dir may belong to no snapd at all).
    /// - Returns: the settings and warnings (each naming its file) about what snapd could not read.
    public static func resolve(
        rootDir: String = "/", snapMountDir: String?, libexecDir: String?, osReleasePath: String?, reexec: String?,
        stateFile: String? = nil, system: any SystemCalls = LinuxSystemCalls()
    ) -> (settings: SnapdSettings, warnings: [SnapdWarning]) {
        var warnings: [SnapdWarning] = []
        let root = normalized(rootDir)
        var osRelease = OSRelease.fallback
        var readPath: String?
        if let osReleasePath {
            if let read = OSRelease.read(file: osReleasePath, system: system) {
                osRelease = read
                readPath = osReleasePath
            } else {
                warnings.append(
                    SnapdWarning(
                        path: osReleasePath,
                        message: "cannot open os-release; snapd then assumes ID=linux (classic, not Debian-like)"))
            }
        } else {
            let (read, path) = OSRelease.read(root: root, system: system)
            osRelease = read
            readPath = path
            if path == nil {
                let tried = OSRelease.searchPaths.map { SnapdDirectories.join(root, $0) }
                warnings.append(
                    SnapdWarning(
                        path: tried[0],
                        message: "cannot open it, nor \(tried.dropFirst().joined(separator: " nor ")); snapd then "
                            + "assumes ID=linux (classic, not Debian-like)"))
            }
        }
        if let unusable = osRelease.unusable {
            warnings.append(SnapdWarning(path: readPath ?? "os-release", message: unusable))
        }
        var mountDir: String
        var origin = "given"
        var problem: String?
        var mountDirUnreadable = false
        if let snapMountDir {
            mountDir = snapMountDir
        } else {
            switch SnapdDirectories.probeSnapMountDir(root: root, system: system) {
            case .resolved(let path, let because):
                mountDir = path
                origin = because
            case .unresolved(let reason, let unreadable):
                mountDirUnreadable = unreadable
                mountDir = SnapdDirectories.join(root, SnapdDirectories.defaultSnapMountDir)
                origin = "unresolved"
                problem = reason
                warnings.append(
                    SnapdWarning(
                        path: SnapdDirectories.join(root, SnapdDirectories.defaultSnapMountDir),
                        message: "snapd cannot tell where snaps are mounted (\(reason)), so no provider is certain"))
            }
            let withoutRoot = root == "/" ? mountDir : String(mountDir.dropFirst(root.count))
            if problem == nil, let refusal = SnapdDirectories.snapMountDirCheck(withoutRoot, osRelease) {
                warnings.append(
                    SnapdWarning(
                        path: SnapdDirectories.join(root, SnapdDirectories.defaultSnapMountDir),
                        message: "snapd's start-up check would refuse this system: \(refusal)"))
            }
        }
        var settings = SnapdSettings(
            snapMountDir: mountDir,
            libexecDir: libexecDir ?? SnapdDirectories.join(root, SnapdDirectories.libexecDir(osRelease)),
            osReleasePath: readPath, osRelease: osRelease, reexec: ReexecSetting(reexec), rootDir: root,
            snapMountDirOrigin: origin, snapMountDirProblem: problem)
        settings.snapMountDirUnreadable = mountDirUnreadable
        settings.stateFile = stateFile ?? (snapMountDir == nil ? SnapdDirectories.join(root, Self.stateFile) : nil)
        return (settings, warnings)
    }

    /// The path with repeated and trailing slashes and `.` parts removed (`/` stays `/`).
    static func normalized(_ path: String) -> String {
        // A loop, not `joined(separator:)` (see `ExportStore.path`): this runs at every process's start.
        var result = path.hasPrefix("/") ? "/" : ""
        var separated = false
        for part in path.split(separator: "/") where part != "." {
            if separated { result += "/" }
            result += String(part)
            separated = true
        }
        return result.isEmpty ? "." : result
    }
}
