/// A file of `KEY=VALUE` lines, as `os-release` and snapd's `info` are: comments and blank lines skipped,
/// values optionally in single or double quotes (shell-style backslash escapes inside double quotes).
struct KeyValueFile: Sendable, Equatable {
    /// The keys and their unquoted values; the last occurrence of a key wins.
    var values: [String: String]
    /// Lines that are neither blank, comments nor `KEY=VALUE`.
    var malformedLines: Int

    init(_ bytes: [UInt8]) {
        values = [:]
        malformedLines = 0
        let text = String(decoding: bytes, as: UTF8.self)
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: true) {
            let line = String(rawLine).trimmingWhiteSpace()
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let equals = line.firstIndex(of: "="), equals != line.startIndex else {
                malformedLines += 1
                continue
            }
            let key = String(line[..<equals])
            guard
                key.utf8.allSatisfy({
                    $0 == UInt8(ascii: "_") || ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 90)
                        || ($0 >= 97 && $0 <= 122)
                })
            else {
                malformedLines += 1
                continue
            }
            values[key] = Self.unquote(String(line[line.index(after: equals)...]))
        }
    }

    static func unquote(_ value: String) -> String {
        if value.count >= 2, value.hasPrefix("'"), value.hasSuffix("'") {
            return String(value.dropFirst().dropLast())
        }
        if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") {
            var result = ""
            var escaped = false
            for character in value.dropFirst().dropLast() {
                if escaped {
                    result.append(character)
                    escaped = false
                } else if character == "\\" {
                    escaped = true
                } else {
                    result.append(character)
                }
            }
            return result
        }
        return value
    }
}
