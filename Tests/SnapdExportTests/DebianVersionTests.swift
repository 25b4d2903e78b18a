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

@Suite("Debian version comparison")
struct DebianVersionTests {
    @Test(arguments: [
        ("1.0", "1.0-0", 0), ("1.0~rc1", "1.0", -1), ("1.0~~", "1.0~", -1), ("1.0", "1.0a", -1),
        ("1.0a", "1.0+", -1), ("1:0.1", "2.0", 1), ("0:1.0", "1.0", 0), ("1.01", "1.1", 0),
        ("2.57.6", "2.57.6-1+deb12u1+b2", -1), ("2.63", "2.57.6-1+deb12u1+b2", 1), ("1.0-1", "1.0-1~bpo1", 1),
        ("10", "9", 1), ("1.0-a", "1.0-+", -1), ("1.0.0", "1.0", 1),
    ])
    func knownPairsCompareAsDpkgDocumentsThem(_ pair: (String, String, Int)) throws {
        let a = try #require(DebianVersion(pair.0))
        let b = try #require(DebianVersion(pair.1))
        #expect(DebianVersion.compare(a, b) == pair.2)
        #expect(DebianVersion.compare(b, a) == -pair.2)
    }

    @Test(arguments: ["", "a1.0", "1.0-", "1:", ":1.0", "1.0 2", "1.0_1", "x:1.0", "1.0-1:2", "VERSION"])
    func invalidVersionsAreRejected(_ text: String) {
        #expect(DebianVersion(text) == nil)
    }

    @Test(.enabled(if: TestEnvironment.has("dpkg"), "needs dpkg (dpkg --compare-versions)"))
    func orderMatchesDpkgOnTwoThousandGeneratedPairs() throws {
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
        var counts = [-1: 0, 0: 0, 1: 0]
        for (index, (a, b)) in pairs.enumerated() {
            let ours = DebianVersion.compare(DebianVersion(a)!, DebianVersion(b)!)
            counts[expected[index], default: 0] += 1
            if ours != expected[index] { mismatches.append("\(a) vs \(b): dpkg \(expected[index]), ours \(ours)") }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) of \(pairs.count) differ: \(mismatches.prefix(10))")
        // The pairs exercise all three outcomes, not just one.
        #expect(counts[-1]! > 200 && counts[1]! > 200 && counts[0]! > 50, "outcomes: \(counts)")
        #expect(pairs.contains { $0.0.contains(":") || $0.1.contains(":") })
        #expect(pairs.contains { $0.0.contains("~") && $0.1.contains("~") })
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
