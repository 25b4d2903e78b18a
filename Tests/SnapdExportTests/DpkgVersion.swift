/// A Debian package version (`[epoch:]upstream[-revision]`), ordered exactly as `dpkg --compare-versions`.
///
/// Test-only: dpkg's order is the reference the tests compare snapd's order (`SnapdVersion`, the product's
/// only version order) with, pair by pair, where the two agree.
///
/// The epoch compares as a number; upstream and revision compare with dpkg's `verrevcmp`: alternating runs
/// of non-digits (compared character by character, `~` before everything including the end, letters before
/// all other characters) and digits (compared as numbers, leading zeros ignored). A missing revision
/// compares like `0`, so `1.0` equals `1.0-0`.
struct DebianVersion: Sendable, Comparable, CustomStringConvertible {
    /// The version as given, without surrounding white space.
    let text: String
    /// The epoch, 0 when absent.
    let epoch: UInt64
    /// The upstream part.
    let upstream: String
    /// The Debian revision, empty when absent.
    let revision: String

    /// Parses `text`; nil unless it is a valid version: optional epoch of digits and `:`, an upstream part
    /// that starts with a digit and holds only letters, digits and `.+~-`, and an optional non-empty
    /// revision after the last `-` of letters, digits and `.+~`.
    init?(_ text: String) {
        let trimmed = text.trimmingDpkgWhiteSpace()
        var rest = Substring(trimmed)
        var epoch: UInt64 = 0
        if let colon = rest.firstIndex(of: ":") {
            let digits = rest[..<colon]
            guard !digits.isEmpty, digits.utf8.allSatisfy(Self.isDigit), let value = UInt64(digits),
                value <= UInt64(Int32.max)
            else { return nil }
            epoch = value
            rest = rest[rest.index(after: colon)...]
        }
        var upstream = rest
        var revision: Substring = ""
        if let dash = rest.lastIndex(of: "-") {
            upstream = rest[..<dash]
            revision = rest[rest.index(after: dash)...]
            guard !revision.isEmpty else { return nil }
        }
        guard let first = upstream.utf8.first, Self.isDigit(first) else { return nil }
        guard upstream.utf8.allSatisfy({ Self.isAlphanumeric($0) || ".+~-".utf8.contains($0) }) else { return nil }
        guard revision.utf8.allSatisfy({ Self.isAlphanumeric($0) || ".+~".utf8.contains($0) }) else { return nil }
        self.text = trimmed
        self.epoch = epoch
        self.upstream = String(upstream)
        self.revision = String(revision)
    }

    var description: String { text }

    /// -1, 0 or 1 as `lhs` sorts before, equal to or after `rhs`.
    static func compare(_ lhs: DebianVersion, _ rhs: DebianVersion) -> Int {
        if lhs.epoch != rhs.epoch { return lhs.epoch < rhs.epoch ? -1 : 1 }
        let upstream = compareParts(Array(lhs.upstream.utf8), Array(rhs.upstream.utf8))
        if upstream != 0 { return upstream }
        return compareParts(Array(lhs.revision.utf8), Array(rhs.revision.utf8))
    }

    static func < (lhs: DebianVersion, rhs: DebianVersion) -> Bool { compare(lhs, rhs) < 0 }

    /// Equal in dpkg's order (`1.0` == `1.0-0` == `0:1.0`), not necessarily in text.
    static func == (lhs: DebianVersion, rhs: DebianVersion) -> Bool { compare(lhs, rhs) == 0 }

    /// dpkg's `verrevcmp`, with bounds in place of NUL terminators.
    static func compareParts(_ a: [UInt8], _ b: [UInt8]) -> Int {
        var i = 0
        var j = 0
        while i < a.count || j < b.count {
            while (i < a.count && !isDigit(a[i])) || (j < b.count && !isDigit(b[j])) {
                let left = order(i < a.count ? a[i] : nil)
                let right = order(j < b.count ? b[j] : nil)
                if left != right { return left < right ? -1 : 1 }
                i += 1
                j += 1
            }
            while i < a.count && a[i] == UInt8(ascii: "0") { i += 1 }
            while j < b.count && b[j] == UInt8(ascii: "0") { j += 1 }
            var firstDifference = 0
            while i < a.count && j < b.count && isDigit(a[i]) && isDigit(b[j]) {
                if firstDifference == 0 { firstDifference = Int(a[i]) - Int(b[j]) }
                i += 1
                j += 1
            }
            if i < a.count && isDigit(a[i]) { return 1 }
            if j < b.count && isDigit(b[j]) { return -1 }
            if firstDifference != 0 { return firstDifference < 0 ? -1 : 1 }
        }
        return 0
    }

    /// The weight of one character: end and digits 0, `~` -1, letters their code, others code + 256.
    private static func order(_ character: UInt8?) -> Int {
        guard let character else { return 0 }
        if isDigit(character) { return 0 }
        if isLetter(character) { return Int(character) }
        if character == UInt8(ascii: "~") { return -1 }
        return Int(character) + 256
    }

    private static func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }
    private static func isLetter(_ c: UInt8) -> Bool {
        (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z"))
    }
    private static func isAlphanumeric(_ c: UInt8) -> Bool { isDigit(c) || isLetter(c) }
}

extension String {
    /// The string without leading and trailing white space.
    func trimmingDpkgWhiteSpace() -> String {
        let blank: (Character) -> Bool = { $0.isWhitespace }
        guard let start = firstIndex(where: { !blank($0) }), let end = lastIndex(where: { !blank($0) }) else {
            return ""
        }
        return String(self[start...end])
    }
}
