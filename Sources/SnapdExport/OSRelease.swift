import GenerationStore
import Glibc

/// The distribution as snapd's `release/release.go` (`readOSRelease`, `DistroLike`, `OnClassic`) reads
/// `os-release(5)`.
///
/// - Lines as Go's `bufio.Scanner` cuts them (a `\r` before `\n` dropped, so CRLF files read as LF
///   files); a line without `=` is skipped; the key is what precedes the first `=` with white space
///   trimmed (`ID = x` counts; `#ID=x` is the key `#ID`); the value is what follows with every leading and
///   trailing quote (`"`, `'`) and white space trimmed, in any mix, and no unescaping (`"a\"b"` stays
///   `a\"b`). A key given twice: the last wins.
/// - `ID`: lower-cased, first white-space-separated word (`ID="elementary OS"` is `elementary`); `linux`
///   when absent. `ID_LIKE`: lower-cased, split on any white space (tabs too). `VERSION_ID` and
///   `VARIANT_ID`: as trimmed.
/// - An `ID=` line whose value is empty (or only quotes and blanks) makes snapd's reader index the first
///   word of nothing: every snapd binary crashes at start, so no tools run at all (`unusable` says so).
public struct OSRelease: Sendable, Equatable {
    /// `ID`; `linux` when absent, as os-release(5) says.
    public var id: String
    /// `ID_LIKE`, lower-cased words.
    public var idLike: [String]
    /// `VERSION_ID`, as trimmed (`20240601`, `24.04`), empty when absent.
    public var versionID: String
    /// `VARIANT_ID`, empty when absent.
    public var variantID: String
    /// Why snapd could not start with this file, or why snap-export cannot know what snapd reads; nil when it can.
    public var unusable: String?
    /// True when `unusable` is a read that failed (`EIO`, …), not what the file says.
    public var unreadable = false

    public init(id: String, idLike: [String] = [], versionID: String = "", variantID: String = "") {
        self.id = id
        self.idLike = idLike
        self.versionID = versionID
        self.variantID = variantID
        self.unusable = nil
    }

    /// What snapd assumes when neither `/etc/os-release` nor `/usr/lib/os-release` can be opened.
    public static let fallback = OSRelease(id: "linux")

    /// Parses an os-release file's bytes as `readOSRelease` does.
    public init(parsing bytes: [UInt8]) {
        self.init(id: "linux")
        // readOSRelease ignores the scanner's error: a line over 64 KiB ends the file there.
        for line in GoText.scanLines(bytes).lines {
            let text = String(decoding: line, as: UTF8.self)
            guard let equals = text.firstIndex(of: "=") else { continue }
            let key = GoText.trimSpace(String(text[..<equals]))
            let value = GoText.trim(String(text[text.index(after: equals)...])) {
                $0 == "\"" || $0 == "'" || GoText.isSpace($0)
            }
            switch key {
            case "ID":
                if let first = GoText.fields(GoText.toLower(value)).first {
                    id = first
                } else {
                    unusable =
                        "ID is empty: snapd's release.go takes the first word of ID and crashes on an empty one, "
                        + "so no snapd tool runs on this system"
                }
            case "ID_LIKE": idLike = GoText.fields(GoText.toLower(value))
            case "VERSION_ID": versionID = value
            case "VARIANT_ID": variantID = value
            default: break
            }
        }
    }

    /// The files `readOSRelease` tries under a root, in order: the first that opens is read (even if
    /// reading it then fails, which reads as an empty file); none opening means `fallback`. The order of
    /// `/etc/initrd-release` (an initramfs's os-release) is as snapd's `release_test.go` exercises it.
    public static let searchPaths = ["/etc/os-release", "/etc/initrd-release", "/usr/lib/os-release"]

    /// Reads the distribution under `root` as snapd does: the release and the file it came from (nil when
    /// none could be opened).
    public static func read(root: String, system: any SystemCalls) -> (release: OSRelease, path: String?) {
        for path in searchPaths.map({ SnapdDirectories.join(root, $0) }) {
            if let release = read(file: path, system: system) { return (release, path) }
        }
        return (fallback, nil)
    }

    /// Reads one given file: the release, or nil when it is not there (`openat` fails with `ENOENT`, `ENOTDIR`
    /// or `ELOOP`: snapd's `os.Open` fails too and it goes on to the next file). A file that opens but that
    /// snap-export does not read (larger than `SystemFiles.sizeLimit`, or not a regular file), which snapd would
    /// read line by line, gives a release that is `unusable`: the distribution is not certain. So does a read
    /// that fails (`EIO`, `EACCES`, …), marked `unreadable`: a transient error must not turn the system into
    /// `ID=linux`.
    public static func read(file path: String, system: any SystemCalls) -> OSRelease? {
        do {
            return OSRelease(
                parsing: try system.readMetadata(AT_FDCWD, path, cap: SystemFiles.sizeLimit, followSymlink: true))
        } catch {
            switch (error.call, error.problem) {
            case ("openat", .failed(.noSuchFileOrDirectory)), ("openat", .failed(.notDirectory)),
                ("openat", .failed(.tooManySymbolicLinks)):
                return nil
            case (_, .failed):
                var release = fallback
                release.unusable =
                    "cannot read \(path): \(error), so the distribution and the provider are not certain"
                release.unreadable = true
                return release
            case (_, .tooLarge), (_, .notRegular(.other)), (_, .notRegular(.symlink)), (_, .notRegular(.regular)):
                // readMetadata refuses a file over the size cap or not regular before reading it.
                var release = fallback
                release.unusable =
                    "larger than \(SystemFiles.sizeLimit >> 20) MiB or not a regular file, which snap-export does "
                    + "not read (snapd reads it line by line), so the distribution and the provider are not certain"
                return release
            case (_, .notRegular(.directory)):
                // It opens but cannot be read (a directory): as Go's os.Open then a failing bufio.Scanner.
                return OSRelease(parsing: [])
            }
        }
    }

    /// `release.DistroLike`: `ID` or one of `ID_LIKE` is one of `distros`.
    public func isLike(_ distros: [String]) -> Bool {
        distros.contains { $0 == id || idLike.contains($0) }
    }

    /// `release.OnClassic`: anything but `ID=ubuntu-core`.
    public var onClassic: Bool { id != "ubuntu-core" }

    /// Ubuntu Core (`ID=ubuntu-core`): no host tools, snaps only.
    public var isUbuntuCore: Bool { !onClassic }

    /// `DistroLike("debian", "ubuntu")`: half of `snapdtool.DistroSupportsReExec` (the other half is
    /// `onClassic`).
    public var isDebianLike: Bool { isLike(["debian", "ubuntu"]) }
}
