import GenerationStore
import Glibc

/// What `refresh` found the union views in agreement with, in the words it leaves as the store's stamp
/// (`Layout.stamp`; docs/exports.md, "A refresh with nothing to do"): this boot, and snapd's state file and the
/// snap mount dir as `fstat` sees them (device, inode, size, mtime, ctime; the mount dir's change when a snap's
/// directory is made or removed there).
///
/// snapd changes a snap's `current` only inside a change whose every step it records in its state file, which it
/// rewrites (a new file renamed over the old) after each step; a writer of the store removes the stamp before it
/// changes anything; a reboot changes the boot id. So while the stamp reads as these words, neither snapd nor a
/// writer has changed anything the check reads since it agreed, and a refresh reads nothing more. The words are
/// nil where that cannot be known: no state file goes with the snap mount dir, or it or the boot id cannot be read.
public enum UnionCheckStamp {
    /// The first line, naming the words' form.
    static let form = "snap-export union check 1"

    /// The words for the system as it is now; nil where no stamp can stand for a check.
    public static func words(_ settings: SnapdSettings, _ system: any SystemCalls) -> [UInt8]? {
        guard let stateFile = settings.stateFile,
            let boot = try? system.readMetadata(AT_FDCWD, settings.bootIDFile, cap: 64, followSymlink: true),
            let bootID = String(validating: boot, as: UTF8.self).map({ $0.split(separator: "\n").first ?? "" }),
            !bootID.isEmpty,
            let state = try? system.fstatat(AT_FDCWD, stateFile, 0), state.kind == .regular,
            let mountDir = try? system.fstatat(AT_FDCWD, settings.snapMountDir, 0), mountDir.kind == .directory
        else { return nil }
        func identity(_ status: FileStatus) -> String {
            "\(status.device) \(status.inode) \(status.size) \(status.modifiedNanoseconds) \(status.changedNanoseconds)"
        }
        let text =
            "\(form)\nboot \(bootID)\nstate \(identity(state)) \(stateFile)\n"
            + "snap-mount-dir \(identity(mountDir)) \(settings.snapMountDir)\n"
        let bytes = Array(text.utf8)
        return bytes.count <= Layout.stampCap ? bytes : nil
    }
}
