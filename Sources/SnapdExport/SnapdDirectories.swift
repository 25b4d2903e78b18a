import CExportShims
import GenerationStore
import Glibc

/// Where snapd looks for snaps and for the host's tools on a distribution: the one home of the
/// distribution table (snapd's `dirs/dirs.go`, `SetRootDir` and `snapMountDirProbe`, and the tables of
/// `syscheck` that check them). Paths are under a root (snapd's `dirs.GlobalRootDir`, `/` normally).
public enum SnapdDirectories {
    /// `dirs.DefaultSnapMountDir`.
    public static let defaultSnapMountDir = "/snap"
    /// `dirs.AltSnapMountDir`.
    public static let altSnapMountDir = "/var/lib/snapd/snap"
    /// `dirs.DefaultDistroLibexecDir`.
    public static let defaultLibexecDir = "/usr/lib/snapd"
    /// `dirs.AltDistroLibexecDir`.
    public static let altLibexecDir = "/usr/libexec/snapd"
    /// `dirs.CoreLibExecDir`: the tools inside a snap.
    public static let coreLibexecDir = "/usr/lib/snapd"

    /// Distributions that use `/var/lib/snapd/snap` (`dirs.go`'s `altDirDistros`, matched with
    /// `DistroLike`, so on `ID` or any `ID_LIKE`).
    public static let altSnapMountDirDistros = [
        "altlinux", "antergos", "arch", "archlinux", "fedora", "gentoo", "manjaro", "manjaro-arm",
    ]
    /// Distributions known to use `/snap` (`syscheck`'s `defaultDirDistros`).
    public static let defaultSnapMountDirDistros = [
        "ubuntu", "ubuntu-core", "ubuntucoreinitramfs", "debian", "opensuse", "suse", "yocto",
    ]
    /// Distributions that may have moved from `/snap` to `/var/lib/snapd/snap` (`syscheck`'s
    /// `migratedAltDirDistros`: openSUSE Tumbleweed, Slowroll and Leap).
    public static let migratedSnapMountDirDistros = ["opensuse"]
    /// The first openSUSE Tumbleweed snapshot with `/usr/libexec/snapd` (`dirs.go`,
    /// `opensuseTWWithLibexec`).
    public static let tumbleweedLibexecSince: Int64 = 20_200_826

    /// The host's tools directory (`dirs.DistroLibExecDir`): `/usr/libexec/snapd` when the distribution
    /// is Fedora-like (`DistroLike("fedora")`: RHEL and CentOS list `fedora` in `ID_LIKE`; `rhel` or
    /// `centos` alone do not count) or openSUSE-Tumbleweed-like with a `VERSION_ID` that `strconv.Atoi`
    /// reads as at least 20200826; `/usr/lib/snapd` otherwise.
    public static func libexecDir(_ osRelease: OSRelease) -> String {
        if osRelease.isLike(["fedora"]) { return altLibexecDir }
        if osRelease.isLike(["opensuse-tumbleweed"]), let snapshot = GoText.atoi(osRelease.versionID),
            snapshot >= tumbleweedLibexecSince
        {
            return altLibexecDir
        }
        return defaultLibexecDir
    }

    /// The snap mount dir of the distribution table alone (`dirs.go` before the probe, and what older
    /// snapd releases use): `/var/lib/snapd/snap` on the `altSnapMountDirDistros`, `/snap` elsewhere.
    public static func tableSnapMountDir(_ osRelease: OSRelease) -> String {
        osRelease.isLike(altSnapMountDirDistros) ? altSnapMountDir : defaultSnapMountDir
    }

    /// What `snapMountDirProbe` finds under `root`.
    public enum Probe: Sendable, Equatable {
        /// The snap mount dir (with the root) and why.
        case resolved(path: String, because: String)
        /// No snap mount dir: snapd then uses a placeholder on which nothing works. `unreadable`: because a
        /// call failed (`EIO`, …), not because of what is there.
        case unresolved(reason: String, unreadable: Bool = false)
    }

    /// snapd's `snapMountDirProbe`: `lstat(<root>/snap)`: a directory means `/snap`; absent means
    /// `/var/lib/snapd/snap`; a symlink whose target reads `/var/lib/snapd/snap`, `var/lib/snapd/snap` or
    /// `<root>/var/lib/snapd/snap` means `/var/lib/snapd/snap`; any other symlink, anything else there, or
    /// an error other than "does not exist" leaves it unresolved.
    public static func probeSnapMountDir(root: String, system: any SystemCalls) -> Probe {
        let defaultDir = join(root, defaultSnapMountDir)
        let altDir = join(root, altSnapMountDir)
        let status: FileStatus
        do {
            status = try system.fstatat(AT_FDCWD, defaultDir, CX_AT_SYMLINK_NOFOLLOW)
        } catch .noSuchFileOrDirectory {
            return .resolved(path: altDir, because: "\(defaultDir) does not exist")
        } catch {
            return .unresolved(reason: "cannot stat \(defaultDir): \(error)", unreadable: true)
        }
        switch status.kind {
        case .directory:
            return .resolved(path: defaultDir, because: "\(defaultDir) is a directory")
        case .symlink:
            let target: String
            do {
                target = try system.readlinkat(AT_FDCWD, defaultDir)
            } catch {
                return .unresolved(reason: "cannot read the symlink \(defaultDir): \(error)", unreadable: true)
            }
            guard target == altSnapMountDir || target == String(altSnapMountDir.dropFirst()) || target == altDir else {
                return .unresolved(
                    reason: "\(defaultDir) must be a symbolic link to \(altSnapMountDir), not to '\(target)'")
            }
            return .resolved(path: altDir, because: "\(defaultDir) is a symlink to \(altSnapMountDir)")
        default:
            return .unresolved(reason: "\(defaultDir) is neither a directory nor a symbolic link")
        }
    }

    /// `syscheck`'s `checkSnapMountDir`: why snapd would refuse to start with `snapMountDir` (without the
    /// root) on this distribution, or nil when it would not.
    public static func snapMountDirCheck(_ snapMountDir: String, _ osRelease: OSRelease) -> String? {
        if osRelease.isLike(migratedSnapMountDirDistros) && snapMountDir == altSnapMountDir { return nil }
        if (osRelease.isLike(defaultSnapMountDirDistros) && snapMountDir != defaultSnapMountDir)
            || (osRelease.isLike(altSnapMountDirDistros) && snapMountDir != altSnapMountDir)
        {
            return "unexpected snap mount directory \(snapMountDir) on \(osRelease.id)"
        }
        return nil
    }

    /// `path` (absolute) under `root`: `filepath.Join(root, path)` for the normalised paths used here.
    public static func join(_ root: String, _ path: String) -> String {
        let base = SnapdSettings.normalized(root)
        return base == "/" ? path : base + path
    }
}
