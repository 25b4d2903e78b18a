/// A snapd `info` file (`usr/lib/snapd/info` in a snap, `<libexec>/info` on the host) as snapd's
/// `snapdtool/info_file.go` (`SnapdVersionFromInfoFile`, `ParseInfoFileForInfo`) reads it.
///
/// Lines as Go's `bufio.Scanner` cuts them (a `\r` before `\n` dropped); each line is cut at its first
/// `=`, a line without one skipped; the key must be exactly `VERSION` (no trimming: ` VERSION=` or
/// `VERSION =` are other keys); the value is kept as written, spaces and quotes included, and the last
/// `VERSION=` line wins. No version, or an empty one, is an error, and so is a line longer than 64 KiB.
/// The version is compared later with `SnapdVersion`, which may still call it invalid (an epoch). snapd
/// compares the value's bytes; a value that is not valid UTF-8 cannot be held exactly in a `String`, so it
/// is a problem that is not `certain`: whether snapd would use that version is not known here.
public enum SnapdInfoFile {
    /// The `VERSION=` value, or why there is none (the message snapd would log, without the path).
    public static func version(_ bytes: [UInt8]) -> Result<String, Problem> {
        let (lines, complete) = GoText.scanLines(bytes)
        guard complete else { return .failure(Problem("has a line longer than 64 KiB, which snapd cannot read")) }
        var value: ArraySlice<UInt8> = []
        for line in lines {
            guard let equals = line.firstIndex(of: UInt8(ascii: "=")) else { continue }
            if line[..<equals].elementsEqual("VERSION".utf8) { value = line[(equals + 1)...] }
        }
        guard !value.isEmpty else { return .failure(Problem("has no VERSION= line with a value")) }
        guard let version = String(validating: value, as: UTF8.self) else {
            return .failure(
                Problem(
                    "has a VERSION that is not valid UTF-8, which snap-export cannot compare byte for byte as snapd "
                        + "does", certain: false))
        }
        return .success(version)
    }

    /// Why an info file gives no version.
    public struct Problem: Error, Sendable, Equatable, CustomStringConvertible {
        public var description: String
        /// False when snapd might find a usable version where snap-export cannot read one.
        public var certain: Bool
        init(_ description: String, certain: Bool = true) {
            self.description = description
            self.certain = certain
        }
    }
}
