import GenerationStore

/// Where snapd's world is on this system and how snapd would behave here: the snap mount dir, the host's
/// tools directory, the distribution (from os-release) and the `SNAP_REEXEC` setting.
///
/// Built from plain values by `resolve`; nothing here parses command-line arguments.
public struct SnapdSettings: Sendable, Equatable {
    /// Where snaps are mounted on the host (`/snap`, or `/var/lib/snapd/snap` on Fedora-like hosts).
    public var snapMountDir: String
    /// The host's snapd tools (`/usr/lib/snapd`, or `/usr/libexec/snapd` on Fedora-like hosts).
    public var libexecDir: String
    /// The os-release file that was read.
    public var osReleasePath: String
    /// The distribution; nil when the os-release file could not be read (then: classic, not Debian-like).
    public var osRelease: OSRelease?
    /// The value of `SNAP_REEXEC` as given (nil when unset).
    public var reexec: ReexecSetting

    /// The tools export's name in the store.
    public static let exportName = "snapd"
    /// The set that holds the tools.
    public static let toolsSet = "tools"
    /// The nine tools snapd exports, each under `usr/lib/snapd/` of a snap or in the host's libexec dir.
    public static let tools = [
        "etelpmoc.sh", "info", "snap-confine", "snap-discard-ns", "snap-exec", "snap-gdb-shim",
        "snap-gdbserver-shim", "snap-update-ns", "snapctl",
    ]
    /// snapd's link in `<snap mount dir>/<instance>/` that names the snap's current revision.
    public static let currentRevisionLink = "current"
    /// Where consumers inside a snap's mount namespace see the host's root.
    public static let hostfs = "/var/lib/snapd/hostfs"
    /// Where consumers inside a snap's mount namespace see mounted snaps, whatever the host uses.
    public static let namespaceSnapMountDir = "/snap"

    public init(
        snapMountDir: String, libexecDir: String, osReleasePath: String = "/etc/os-release",
        osRelease: OSRelease?, reexec: ReexecSetting = .unset
    ) {
        self.snapMountDir = Self.normalized(snapMountDir)
        self.libexecDir = Self.normalized(libexecDir)
        self.osReleasePath = osReleasePath
        self.osRelease = osRelease
        self.reexec = reexec
    }

    /// True on Ubuntu Core (`ID=ubuntu-core`).
    public var isUbuntuCore: Bool { osRelease?.isUbuntuCore ?? false }

    /// Reads os-release and fills in the distribution's defaults for what was not given.
    ///
    /// - Parameters:
    ///   - snapMountDir: the snap mount dir, or nil for the default (`/snap`; `/var/lib/snapd/snap` on
    ///     Fedora-like distributions).
    ///   - libexecDir: the host's tools, or nil for the default (`/usr/lib/snapd`; `/usr/libexec/snapd` on
    ///     Fedora-like distributions).
    ///   - osReleasePath: the os-release file.
    ///   - reexec: the value of the `SNAP_REEXEC` environment variable, nil when unset.
    /// - Returns: the settings and a warning when os-release could not be read.
    public static func resolve(
        snapMountDir: String?, libexecDir: String?, osReleasePath: String = "/etc/os-release", reexec: String?,
        system: any SystemCalls = LinuxSystemCalls()
    ) -> (settings: SnapdSettings, warnings: [SnapdWarning]) {
        var warnings: [SnapdWarning] = []
        var osRelease: OSRelease?
        do {
            osRelease = OSRelease(parsing: try SystemFiles(system: system).read(osReleasePath))
        } catch {
            warnings.append(
                SnapdWarning(
                    path: osReleasePath,
                    message: "cannot read os-release (\(error)); assuming a classic distribution that is not "
                        + "Debian-like"))
        }
        let fedoraLike = osRelease?.isFedoraLike ?? false
        let settings = SnapdSettings(
            snapMountDir: snapMountDir ?? (fedoraLike ? "/var/lib/snapd/snap" : "/snap"),
            libexecDir: libexecDir ?? (fedoraLike ? "/usr/libexec/snapd" : "/usr/lib/snapd"),
            osReleasePath: osReleasePath, osRelease: osRelease, reexec: ReexecSetting(reexec))
        return (settings, warnings)
    }

    /// The path with repeated and trailing slashes and `.` parts removed (`/` stays `/`).
    static func normalized(_ path: String) -> String {
        let parts = path.split(separator: "/").filter { $0 != "." }
        let joined = parts.joined(separator: "/")
        if path.hasPrefix("/") { return "/" + joined }
        return joined.isEmpty ? "." : joined
    }
}

/// `SNAP_REEXEC` as snapd reads it (Go's `strconv.ParseBool`; anything else counts as unset).
public enum ReexecSetting: Sendable, Equatable {
    /// Unset, empty or not a boolean: re-exec where the distribution supports it.
    case unset
    /// `1`, `t`, `T`, `true`, `TRUE`, `True`: re-exec, even on distributions that are not Debian-like.
    case enabled
    /// `0`, `f`, `F`, `false`, `FALSE`, `False`: never re-exec; the host's tools are used on classic.
    case disabled

    /// Interprets the variable's value.
    public init(_ value: String?) {
        switch value {
        case "1", "t", "T", "true", "TRUE", "True": self = .enabled
        case "0", "f", "F", "false", "FALSE", "False": self = .disabled
        default: self = .unset
        }
    }
}
