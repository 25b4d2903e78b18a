import GenerationStore
import Glibc

/// What `refresh` found the union views in agreement with, in the words it leaves as the store's stamp
/// (`Layout.stamp`; docs/exports.md, "A refresh with nothing to do"): the rules of the check (`form`), this boot,
/// and the export root, snapd's state file and the snap mount dir as `fstat` sees them (device, inode, size,
/// mtime, ctime) with their paths.
///
/// snapd changes a snap's `current` only inside a change whose every step it records in its state file, which it
/// writes anew after each step; a snap directory made or removed changes the snap mount dir's mtime; a writer of
/// the store removes the stamp before its first change; a reboot changes the boot id; a root moved elsewhere has
/// another path. So while the stamp reads as these words, nothing the check reads has changed since it agreed.
/// The words are nil where that cannot be known: no state file goes with the snap mount dir, or one of them, the
/// root or the boot id cannot be read.
public enum UnionCheckStamp {
    /// The first line, naming the words' form and the check's rules: raised whenever `UnionExporter.check` comes to
    /// read or decide anything else, so that a stamp left by an older check is not taken for one of this.
    static let form = "snap-export union check 2"

    /// How long ago the state file and the snap mount dir must have been modified for a stamp to name them: a
    /// filesystem whose timestamps count whole seconds (or the kernel's ticks) gives a file written again within
    /// the same second the same mtime, and its inode number may come back, so a stamp names only files whose next
    /// write cannot look like this one (git's "racy" rule). A refresh right after snapd's change therefore leaves
    /// no stamp; a later one does.
    public static let settleNanoseconds: Int64 = 2_000_000_000

    /// The words for the system as it is now, and whether they may be left as a stamp (`settled`: both files older
    /// than `settleNanoseconds` at `now`); nil where no stamp can stand for a check.
    public static func words(
        _ settings: SnapdSettings, root: String, _ system: any SystemCalls, now: Int64 = SystemClock.wallNanoseconds()
    ) -> (bytes: [UInt8], settled: Bool)? {
        guard let stateFile = settings.stateFile,
            let boot = try? system.readMetadata(AT_FDCWD, settings.bootIDFile, cap: 64, followSymlink: true),
            let bootID = String(validating: boot, as: UTF8.self).map({ $0.split(separator: "\n").first ?? "" }),
            !bootID.isEmpty,
            let rootStatus = try? system.fstatat(AT_FDCWD, root, 0), rootStatus.kind == .directory,
            let state = try? system.fstatat(AT_FDCWD, stateFile, 0), state.kind == .regular,
            let mountDir = try? system.fstatat(AT_FDCWD, settings.snapMountDir, 0), mountDir.kind == .directory
        else { return nil }
        func identity(_ status: FileStatus) -> String {
            "\(status.device) \(status.inode) \(status.size) \(status.modifiedNanoseconds) \(status.changedNanoseconds)"
        }
        let text =
            "\(form)\nboot \(bootID)\nroot \(rootStatus.device) \(rootStatus.inode) \(root)\n"
            + "state \(identity(state)) \(stateFile)\nsnap-mount-dir \(identity(mountDir)) \(settings.snapMountDir)\n"
        let bytes = Array(text.utf8)
        guard bytes.count <= Layout.stampCap else { return nil }
        let settled = [state, mountDir].allSatisfy { now - $0.modifiedNanoseconds >= settleNanoseconds }
        return (bytes, settled)
    }
}
