import GenerationStore

/// Options that every command accepts, anywhere on the command line, each with an environment variable.
public struct GlobalOptions: Sendable {
    /// `--root DIR` / `SNAP_EXPORT_ROOT`; default `/var/lib/snapd/export`.
    public var root: String
    /// `--no-wait`: fail with exit 75 instead of waiting for the writers' lock.
    public var noWait: Bool
    /// `--snap-mount-dir DIR` / `SNAP_EXPORT_SNAP_MOUNT_DIR`; nil means the distribution's default.
    public var snapMountDir: String?
    /// `--libexec-dir DIR` / `SNAP_EXPORT_LIBEXEC_DIR`; nil means the distribution's default.
    public var libexecDir: String?
    /// `--os-release FILE` / `SNAP_EXPORT_OS_RELEASE`; nil means snapd's search under the host root.
    public var osRelease: String?
    /// `--snapd-state FILE` / `SNAP_EXPORT_SNAPD_STATE`: snapd's state file; nil means
    /// `<host root>/var/lib/snapd/state.json` when the snap mount dir is not given, and none when it is.
    public var snapdState: String?
    /// `--host-root DIR` / `SNAP_EXPORT_HOST_ROOT`: the host's root (snapd's `dirs.GlobalRootDir`), under
    /// which every default path is looked up; default `/`.
    public var hostRoot: String
    /// `--help` given anywhere.
    public var help: Bool

    public static let defaultRoot = "/var/lib/snapd/export"

    /// Every global option, for completion (the usage text below describes each; a test checks both agree).
    static let syntax: [CommandSyntax.Option] = [
        .value("--root", .directory), .flag("--no-wait"), .value("--host-root", .directory),
        .value("--snap-mount-dir", .directory), .value("--libexec-dir", .directory), .value("--os-release", .file),
        .value("--snapd-state", .file), .flag("--help"), .flag("--version"),
    ]

    static let usage = """
        Global options (anywhere on the command line):
          --root DIR            export root (env SNAP_EXPORT_ROOT; default /var/lib/snapd/export)
          --no-wait             fail with exit 75 instead of waiting for another writer
          --host-root DIR       the host's root, under which the defaults below are found
                                (env SNAP_EXPORT_HOST_ROOT; default /)
          --snap-mount-dir DIR  where snaps are mounted (env SNAP_EXPORT_SNAP_MOUNT_DIR; default as snapd
                                probes it: /snap if a directory, else /var/lib/snapd/snap)
          --libexec-dir DIR     the host's snapd tools (env SNAP_EXPORT_LIBEXEC_DIR; default /usr/lib/snapd,
                                /usr/libexec/snapd on Fedora-like hosts and recent openSUSE Tumbleweed)
          --os-release FILE     (env SNAP_EXPORT_OS_RELEASE; default /etc/os-release, else
                                /etc/initrd-release, else /usr/lib/os-release, else ID=linux)
          --snapd-state FILE    snapd's state file, whose rewrites tell refresh that snapd changed something
                                (env SNAP_EXPORT_SNAPD_STATE; default <host root>/var/lib/snapd/state.json,
                                none when --snap-mount-dir is given)
          -h, --help            show help
          --version             print the version
        """

    /// Takes the global options out of `arguments`; the environment fills what was not given.
    static func extract(from arguments: inout Arguments, environment: [String: String]) throws(UsageError)
        -> GlobalOptions
    {
        let longHelp = arguments.flag("--help")
        let help = arguments.flag("-h") || longHelp
        let noWait = arguments.flag("--no-wait")
        func pick(_ option: String, _ variable: String) throws(UsageError) -> String? {
            let value = try arguments.value(option) ?? environment[variable].flatMap { $0.isEmpty ? nil : $0 }
            if let value, value.isEmpty { throw UsageError("option \(option) needs a non-empty value") }
            return value
        }
        return GlobalOptions(
            root: try pick("--root", "SNAP_EXPORT_ROOT") ?? defaultRoot,
            noWait: noWait,
            snapMountDir: try pick("--snap-mount-dir", "SNAP_EXPORT_SNAP_MOUNT_DIR"),
            libexecDir: try pick("--libexec-dir", "SNAP_EXPORT_LIBEXEC_DIR"),
            osRelease: try pick("--os-release", "SNAP_EXPORT_OS_RELEASE"),
            snapdState: try pick("--snapd-state", "SNAP_EXPORT_SNAPD_STATE"),
            hostRoot: try pick("--host-root", "SNAP_EXPORT_HOST_ROOT") ?? "/",
            help: help)
    }
}
