/// The few pieces of Go's standard library whose exact behaviour snapd's readers inherit, so that a file is
/// split, trimmed and parsed here byte for byte as snapd's Go code would do it.
///
/// Everything works on UTF-8 bytes or Unicode scalars, never on Swift `Character`s: `"\r\n"` is one
/// grapheme, so splitting a `String` on `"\n"` would keep CRLF files in one piece.
enum GoText {
    /// The lines of `bytes` as Go's `bufio.Scanner` with `bufio.ScanLines` yields them: split at every
    /// `\n`, one `\r` right before it (or at the very end) dropped, a last line without `\n` kept, no
    /// empty line after a final `\n`. A line that does not fit in `bufio.MaxScanTokenSize` (64 KiB) with
    /// one byte after it stops the scanner with "token too long": `complete` is then false and `lines`
    /// holds the lines before it. A last line without `\n` of exactly 64 KiB is too long too: the buffer is
    /// full before the reader has said EOF (`bufio.Scanner.Scan`).
    static func scanLines(_ bytes: [UInt8]) -> (lines: [[UInt8]], complete: Bool) {
        var lines: [[UInt8]] = []
        var start = 0
        let newline = UInt8(ascii: "\n")
        while start < bytes.count {
            var end = start
            while end < bytes.count && bytes[end] != newline { end += 1 }
            // The scanner's buffer holds at most 64 KiB: the line and its newline, or the line and room
            // for the read that reports EOF.
            if end - start >= maxScanTokenSize { return (lines, false) }
            var line = Array(bytes[start..<end])
            if line.last == UInt8(ascii: "\r") { line.removeLast() }
            lines.append(line)
            start = end + 1
        }
        return (lines, true)
    }

    /// `bufio.MaxScanTokenSize`.
    static let maxScanTokenSize = 64 * 1024

    /// Go's `unicode.IsSpace`: `\t \n \v \f \r`, space, U+0085, U+00A0 and the other White_Space
    /// characters of category Z.
    static func isSpace(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09...0x0D, 0x20, 0x85, 0xA0: return true
        case 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000: return true
        default: return false
        }
    }

    /// `strings.TrimSpace`.
    static func trimSpace(_ text: String) -> String { trim(text, isSpace) }

    /// `strings.TrimFunc`: `text` without the leading and trailing scalars that satisfy `drop`.
    static func trim(_ text: String, _ drop: (Unicode.Scalar) -> Bool) -> String {
        let scalars = text.unicodeScalars
        guard let first = scalars.firstIndex(where: { !drop($0) }), let last = scalars.lastIndex(where: { !drop($0) })
        else { return "" }
        // Through the scalar view: a String subscript would round `first` down to a Character boundary.
        return String(Substring(scalars[first...last]))
    }

    /// `strings.Fields`: the runs of non-space scalars.
    static func fields(_ text: String) -> [String] {
        var fields: [String] = []
        var current = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if isSpace(scalar) {
                if !current.isEmpty { fields.append(String(current)) }
                current = String.UnicodeScalarView()
            } else {
                current.append(scalar)
            }
        }
        if !current.isEmpty { fields.append(String(current)) }
        return fields
    }

    /// `strings.ToLower`, scalar by scalar with the simple case mapping, as Go's `unicode.ToLower` does.
    /// Swift offers the full mapping, which differs from the simple one where it has more than one scalar;
    /// of those, only U+0130 (`İ`) has a simple lower case (`i`, in UnicodeData.txt); the others map to
    /// themselves.
    static func toLower(_ text: String) -> String {
        var result = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            let lower = scalar.properties.lowercaseMapping.unicodeScalars
            if lower.count == 1, let only = lower.first {
                result.append(only)
            } else {
                result.append(scalar == "\u{130}" ? "i" : scalar)
            }
        }
        return String(result)
    }

    /// `strconv.ParseBool`: `1 t T TRUE true True` and `0 f F FALSE false False`; nil for anything else.
    static func parseBool(_ text: String) -> Bool? {
        switch text {
        case "1", "t", "T", "TRUE", "true", "True": return true
        case "0", "f", "F", "FALSE", "false", "False": return false
        default: return nil
        }
    }

    /// `strconv.Atoi` on a 64-bit system: an optional `+` or `-`, then one or more ASCII digits, nothing
    /// else (no spaces, no underscores), within `Int64`; nil otherwise.
    static func atoi(_ text: String) -> Int64? {
        var bytes = Substring(text).utf8[...]
        var negative = false
        if let sign = bytes.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
            negative = sign == UInt8(ascii: "-")
            bytes = bytes.dropFirst()
        }
        guard !bytes.isEmpty else { return nil }
        var value: Int64 = 0
        for byte in bytes {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            let digit = Int64(byte - UInt8(ascii: "0"))
            let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) =
                negative ? times.subtractingReportingOverflow(digit) : times.addingReportingOverflow(digit)
            if overflow1 || overflow2 { return nil }
            value = sum
        }
        return value
    }
}
