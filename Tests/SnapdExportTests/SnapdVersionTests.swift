import Foundation
import Synchronization
import SnapdExport
import Testing
import TestSupport

/// A small deterministic generator (SplitMix64), so every run compares the same pairs.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Versions with epochs, tildes, letters, digits with leading zeros, and with or without revisions; the
/// second of a pair is often a small change of the first so that the interesting orderings come up.
struct VersionPairs {
    var random: SplitMix64

    mutating func pick<T>(_ values: [T]) -> T { values[Int(random.next() % UInt64(values.count))] }
    mutating func chance(_ percent: UInt64) -> Bool { random.next() % 100 < percent }

    mutating func digits() -> String {
        pick(["0", "00", "1", "01", "001", "2", "9", "10", "010", "11", "99", "100", "0100"])
    }
    mutating func word() -> String {
        pick(["a", "b", "z", "A", "Z", "rc", "beta", "git", "ubuntu", "deb", "dfsg", "bpo"])
    }

    mutating func upstream() -> String {
        var text = digits()
        for _ in 0..<Int(random.next() % 5) {
            switch random.next() % 7 {
            case 0, 1: text += "." + digits()
            case 2: text += word()
            case 3: text += "~" + (chance(50) ? word() : "") + (chance(70) ? digits() : "")
            case 4: text += "+" + word() + digits()
            case 5: text += "~"
            default: text += digits()
            }
        }
        return text
    }

    mutating func revision() -> String? {
        if chance(35) { return nil }
        var text = chance(50) ? digits() : word() + digits()
        if chance(40) { text += pick(["ubuntu", "+deb", "~", ".", "+b", "build"]) + digits() }
        if chance(15) { text += "~" + word() }
        return text
    }

    mutating func version() -> String {
        let epoch = chance(20) ? pick(["0", "1", "2", "10", "01"]) + ":" : ""
        let up = upstream()
        return epoch + up + (revision().map { "-" + $0 } ?? "")
    }

    /// A small change of `version`: a tilde or letters appended, a digit padded with zeros, the epoch or
    /// revision added or dropped, or a fresh version.
    mutating func neighbour(of version: String) -> String {
        switch random.next() % 9 {
        case 0: return version + "~" + (chance(50) ? word() : "")
        case 1: return version + word()
        case 2: return version.replacingOccurrences(of: ".", with: ".0", options: [], range: nil)
        case 3: return version.contains(":") ? String(version.split(separator: ":", maxSplits: 1)[1]) : "0:" + version
        case 4:
            if let dash = version.lastIndex(of: "-") { return String(version[..<dash]) }
            return version + "-0"
        case 5: return version + (version.contains("-") ? "" : "-") + digits()
        case 6: return version
        case 7: return version + "." + digits()
        default: return self.version()
        }
    }
}

/// snapd's version order and validity (`strutil/version.go`), ported with snapd's own test tables.
@Suite("snapd version comparison (strutil.VersionCompare)")
struct SnapdVersionTests {
    /// Every pair of snapd's `strutil/version_test.go` `TestVersionCompare` (both stored variants of its last
    /// pair: `inf.2.64…` and `1337.2.64…`), with snapd's expected result.
    static let versionCompareTable: [(String, String, Int)] = [
        ("20000000000000000000", "020000000000000000000", 0), ("1.0", "2.0", -1), ("1.3", "1.2.2.2", 1),
        ("1.3", "1.3.1", -1), ("1.0", "1.0~", 1), ("7.2p2", "7.2", 1), ("0.4a6", "0.4", 1), ("0pre", "0pre", 0),
        ("0pree", "0pre", 1), ("1.18.36:5.4", "1.18.36:5.5", -1), ("1.18.36:5.4", "1.18.37:1.1", -1),
        ("2.0.7pre1", "2.0.7r", -1), ("0.10.0", "0.8.7", 1),
        // subrev
        ("1.0-1", "1.0-2", -1), ("1.0-1.1", "1.0-1", 1), ("1.0-1.1", "1.0-1.1", 0),
        // strange versions
        ("0", "0", 0), ("0", "00", 0), ("", "", 0), ("", "0", -1), ("0", "", 1), ("", "~", 1), ("~", "", -1),
        // from the apt suite
        ("0-pre", "0-pre", 0), ("0-pre", "0-pree", -1), ("1.1.6r2-2", "1.1.6r-1", 1), ("2.6b2-1", "2.6b-2", 1),
        ("0.4a6-2", "0.4-1", 1), ("3.0~rc1-1", "3.0-1", -1), ("1.0", "1.0-0", 0), ("0.2", "1.0-0", -1),
        ("1.0", "1.0-0+b1", -1), ("1.0", "1.0-0~", 1),
        // from the old perl cupt
        ("1.2.3", "1.2.3", 0), ("4.4.3-2", "4.4.3-2", 0), ("1.2.3", "1.2.3-0", 0), ("009", "9", 0),
        ("009ab5", "9ab5", 0), ("1.2.3", "1.2.3-1", -1), ("1.2.3", "1.2.4", -1), ("1.2.4", "1.2.3", 1),
        ("1.2.24", "1.2.3", 1), ("0.10.0", "0.8.7", 1), ("3.2", "2.3", 1), ("1.3.2a", "1.3.2", 1),
        ("0.5.0~git", "0.5.0~git2", -1), ("2a", "21", -1), ("1.2a+~bCd3", "1.2a++", -1), ("1.2a+~bCd3", "1.2a+~", 1),
        ("5.10.0", "5.005", 1), ("3a9.8", "3.10.2", -1), ("3a9.8", "3~10", 1), ("1.4+OOo3.0.0~", "1.4+OOo3.0.0-4", -1),
        ("2.4.7-1", "2.4.7-z", -1), ("1.002-1+b2", "1.00", 1), ("12-20220319-1ubuntu1", "13-1-1", -1), ("0--0", "0", 1),
        // a CI-built snapd snap against the distribution's package
        ("inf.2.64+git81.g9b95e8c", "inf.2.64", 1), ("1337.2.64+git81.g9b95e8c", "1337.2.64", 1),
    ]

    @Test("TestVersionCompare (strutil/version_test.go)", arguments: versionCompareTable)
    func versionCompareTableGivesSnapdsAnswer(_ pair: (String, String, Int)) {
        #expect(SnapdVersion.compare(pair.0, pair.1) == pair.2, "\(pair.0) vs \(pair.1)")
        #expect(SnapdVersion.compare(pair.1, pair.0) == -pair.2, "\(pair.1) vs \(pair.0)")
    }

    /// snapd's `TestVersionInvalid`, and the comparison refusing invalid versions on either side.
    @Test(
        "TestVersionInvalid (strutil/version_test.go)",
        arguments: [("1:2", false), ("12:34", false), ("1234:", false), ("1.0", true), ("1234", true)])
    func versionInvalidTableGivesSnapdsAnswer(_ entry: (String, Bool)) {
        #expect(SnapdVersion.isValid(entry.0) == entry.1)
        #expect((SnapdVersion.compare(entry.0, "1.0") != nil) == entry.1)
        #expect((SnapdVersion.compare("1.0", entry.0) != nil) == entry.1)
    }

    /// Where snapd and dpkg answer differently, snapd's answer is the one that decides which tools run.
    @Test(arguments: [
        ("1.0ubuntu0", "1.0ubuntu", 1),  // dpkg: equal (a digit run of 0 is like none)
        ("2.61.0", "2.61.", 1),  // dpkg: equal
        ("1.0a", "1.a", -1),  // dpkg: equal; snapd: the digit run sorts below the letter
        ("", "~", 1),  // dpkg: both invalid
        (" 2.61", "2.61", 1),  // dpkg trims; snapd compares the blank (a non-digit, code + 256)
        ("2.61\u{0}", "2.61", 0),  // a NUL weighs as the end in snapd's table
        ("a1", "1", 1),  // dpkg: invalid (upstream must start with a digit); snapd: letters above digits
    ])
    func snapdDiffersFromDpkgAsSnapdDoes(_ pair: (String, String, Int)) {
        #expect(SnapdVersion.compare(pair.0, pair.1) == pair.2)
        #expect(SnapdVersion.compare(pair.1, pair.0) == -pair.2)
    }

    @Test func epochsAreInvalidWhileDpkgReadsThem() throws {
        #expect(!SnapdVersion.isValid("1:2.61"))
        #expect(SnapdVersion.compare("1:2.61", "2.61") == nil)
        #expect(SnapdVersion.isValid("a:1"))  // not an epoch: a letter first
        #expect(SnapdVersion.isValid(":1"))
        #expect(try #require(DebianVersion("1:2.61")).epoch == 1)
    }

    /// dpkg's verdict is snapd's on every generated pair that has no epoch and no digit run of value 0
    /// meeting the end of a part (the two documented differences).
    @Test(.enabled(if: TestEnvironment.has("dpkg"), "needs dpkg (dpkg --compare-versions)"))
    func orderMatchesDpkgWhereTheyAgreeOnTwoThousandGeneratedPairs() throws {
        var generator = VersionPairs(random: SplitMix64(state: 20_240_607))
        var pairs: [(String, String)] = []
        while pairs.count < 2_000 {
            let a = generator.version()
            let b = generator.chance(70) ? generator.neighbour(of: a) : generator.version()
            guard DebianVersion(a) != nil, DebianVersion(b) != nil else { continue }
            pairs.append(generator.chance(50) ? (a, b) : (b, a))
        }
        let expected = try dpkgOrder(pairs)
        var mismatches: [String] = []
        var compared = 0
        var counts = [-1: 0, 0: 0, 1: 0]
        var epochs = 0
        for (index, (a, b)) in pairs.enumerated() {
            // snapd refuses exactly the epochs (a dpkg-valid version has a `:` only there); dpkg orders them.
            let hasEpoch = a.contains(":") || b.contains(":")
            let ours = SnapdVersion.compare(a, b)
            #expect((ours == nil) == hasEpoch, "\(a) vs \(b): snapd says \(String(describing: ours))")
            guard let ours else {
                epochs += 1
                continue
            }
            if Self.hasZeroRun(a) || Self.hasZeroRun(b) {
                continue
            }
            compared += 1
            counts[expected[index], default: 0] += 1
            if ours != expected[index] { mismatches.append("\(a) vs \(b): dpkg \(expected[index]), snapd \(ours)") }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) of \(compared) differ: \(mismatches.prefix(10))")
        #expect(compared > 500, "only \(compared) pairs compared")
        #expect(epochs > 50, "only \(epochs) pairs with an epoch")
        #expect(counts[-1]! > 100 && counts[1]! > 100 && counts[0]! > 10, "outcomes: \(counts)")
    }

    /// True when a digit run of value 0 ends a part or precedes a non-digit: where snapd's order may differ
    /// from dpkg's (snapd sorts the run above the end, dpkg counts it as no digits at all).
    static func hasZeroRun(_ version: String) -> Bool {
        let bytes = Array(version.utf8)
        var index = 0
        while index < bytes.count {
            guard bytes[index] >= 48 && bytes[index] <= 57 else {
                index += 1
                continue
            }
            var end = index
            var zero = true
            while end < bytes.count && bytes[end] >= 48 && bytes[end] <= 57 {
                if bytes[end] != 48 { zero = false }
                end += 1
            }
            if zero { return true }
            index = end
        }
        return false
    }

    /// dpkg's verdict per pair (-1, 0, 1): one shell loop per half of the pairs, both running side by side
    /// (one dpkg call for `lt`, a second for `gt` only when needed).
    func dpkgOrder(_ pairs: [(String, String)]) throws -> [Int] {
        let directory = try TemporaryDirectory("dpkg-pairs")
        defer { directory.remove() }
        let half = pairs.count / 2
        let halves = [Array(pairs[..<half]), Array(pairs[half...])]
        for (index, part) in halves.enumerated() {
            try part.map { "\($0.0) \($0.1)\n" }.joined().write(
                toFile: directory.appending("in\(index)"), atomically: false, encoding: .utf8)
        }
        let loop = """
            while read -r a b; do
              if dpkg --compare-versions "$a" lt "$b"; then echo -1
              elif dpkg --compare-versions "$a" gt "$b"; then echo 1
              else echo 0; fi
            done < "$1"
            """
        let outputs = Mutex<[Int: String]>([:])
        DispatchQueue.concurrentPerform(iterations: 2) { index in
            let result = try? run(["/bin/sh", "-c", loop, "sh", directory.appending("in\(index)")])
            outputs.withLock { $0[index] = result?.stdout ?? "" }
        }
        let text = outputs.withLock { ($0[0] ?? "") + ($0[1] ?? "") }
        let values = text.split(separator: "\n").compactMap { Int($0) }
        try #require(values.count == pairs.count, "dpkg gave \(values.count) verdicts for \(pairs.count) pairs")
        return values
    }
}
