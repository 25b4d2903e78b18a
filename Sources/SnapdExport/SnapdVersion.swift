/// Version order and validity exactly as snapd decides them (`strutil/version.go`: `VersionCompare`,
/// `VersionIsValid`), which is close to dpkg's but not the same. This is the only version order in
/// snap-export: the re-exec rule compares the host's and a snap's `info` VERSION with it.
///
/// The rules (see docs/snapd.md, "Version rules"):
/// - Valid unless it starts with an epoch: one or more ASCII digits followed by `:` (`1:2`, `1234:`).
///   Nothing else is checked: the empty string, letters first, spaces and `_` are all valid.
/// - The revision is what follows the **last** `-`; without a `-` it is `0`. Upstream parts compare
///   first, then revisions.
/// - Each part is cut into fragments: maximal runs of ASCII digits and maximal runs of anything else.
///   Fragments are compared pairwise in order until they differ or both parts run out. Two digit runs
///   compare as numbers of any length (leading zeros ignored). Otherwise the two fragments compare byte
///   by byte, a missing byte counting as the end; the weights are: `~` below the end, the end below
///   digits, digits below letters, letters (by code) below every other byte (by code + 256).
/// - So where dpkg says equal, snapd may not: `1.0ubuntu0` is newer than `1.0ubuntu` (a digit run, even
///   `0`, sorts above nothing) and `""` is older than `0`.
public enum SnapdVersion {
    /// snapd's `versionIsValid` (exported as `VersionIsValid` for its tests): false only for an epoch.
    public static func isValid(_ version: String) -> Bool { !startsWithEpoch(Array(version.utf8)) }

    /// snapd's `VersionCompare`: -1, 0 or 1 as `a` sorts before, equal to or after `b`; nil when either
    /// is invalid (snapd returns an error `invalid version "…"`, and the re-exec check then says no).
    public static func compare(_ a: String, _ b: String) -> Int? {
        let left = Array(a.utf8)
        let right = Array(b.utf8)
        guard !startsWithEpoch(left), !startsWithEpoch(right) else { return nil }
        let (leftUpstream, leftRevision) = split(left)
        let (rightUpstream, rightRevision) = split(right)
        let upstream = compareParts(leftUpstream, rightUpstream)
        if upstream != 0 { return upstream }
        return compareParts(leftRevision, rightRevision)
    }

    /// `matchEpoch`: a digit, more digits, then `:`.
    static func startsWithEpoch(_ bytes: [UInt8]) -> Bool {
        guard let first = bytes.first, isDigit(first) else { return false }
        var index = 1
        while index < bytes.count && isDigit(bytes[index]) { index += 1 }
        return index < bytes.count && bytes[index] == UInt8(ascii: ":")
    }

    /// Upstream and revision: cut at the last `-`; the revision is `0` without one.
    static func split(_ bytes: [UInt8]) -> (ArraySlice<UInt8>, ArraySlice<UInt8>) {
        guard let dash = bytes.lastIndex(of: UInt8(ascii: "-")) else { return (bytes[...], [UInt8(ascii: "0")][...]) }
        return (bytes[..<dash], bytes[(dash + 1)...])
    }

    /// `compareSubversion`: fragment by fragment until a difference or both parts are used up.
    static func compareParts(_ a: ArraySlice<UInt8>, _ b: ArraySlice<UInt8>) -> Int {
        var restA = a
        var restB = b
        while true {
            let (fragmentA, numericA) = nextFragment(&restA)
            let (fragmentB, numericB) = nextFragment(&restB)
            if fragmentA.isEmpty && fragmentB.isEmpty { return 0 }
            let result =
                numericA && numericB ? compareNumbers(fragmentA, fragmentB) : compareBytes(fragmentA, fragmentB)
            if result != 0 { return result }
        }
    }

    /// `nextFrag`: the leading run of digits or of non-digits, and whether it is digits.
    static func nextFragment(_ rest: inout ArraySlice<UInt8>) -> (ArraySlice<UInt8>, Bool) {
        guard let first = rest.first else { return ([], false) }
        let numeric = isDigit(first)
        let end = rest.firstIndex { isDigit($0) != numeric } ?? rest.endIndex
        let fragment = rest[..<end]
        rest = rest[end...]
        return (fragment, numeric)
    }

    /// `cmpNumeric`: leading zeros dropped, then the longer is larger, then digit by digit.
    static func compareNumbers(_ a: ArraySlice<UInt8>, _ b: ArraySlice<UInt8>) -> Int {
        let x = a.drop { $0 == UInt8(ascii: "0") }
        let y = b.drop { $0 == UInt8(ascii: "0") }
        if x.count != y.count { return x.count > y.count ? 1 : -1 }
        for (p, q) in zip(x, y) where p != q { return p > q ? 1 : -1 }
        return 0
    }

    /// `cmpString`: byte by byte over the longer length, a missing byte weighing as the end.
    static func compareBytes(_ a: ArraySlice<UInt8>, _ b: ArraySlice<UInt8>) -> Int {
        var i = a.startIndex
        var j = b.startIndex
        while i < a.endIndex || j < b.endIndex {
            let x = weight(i < a.endIndex ? a[i] : nil)
            let y = weight(j < b.endIndex ? b[j] : nil)
            if x != y { return x < y ? -1 : 1 }
            i += 1
            j += 1
        }
        return 0
    }

    /// snapd's `chOrder` table (`strutil/chrorder/main.go`): `~` -10, end (and NUL) -5, digits 0, ASCII
    /// letters their code, every other byte its code + 256.
    static func weight(_ byte: UInt8?) -> Int {
        // A NUL byte weighs like the end: snapd's table is indexed by the byte, and a missing byte reads as 0.
        guard let byte, byte != 0 else { return -5 }
        if byte == UInt8(ascii: "~") { return -10 }
        if isDigit(byte) { return 0 }
        if (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
            || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
        {
            return Int(byte)
        }
        return Int(byte) + 256
    }

    static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
}
