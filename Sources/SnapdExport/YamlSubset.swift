/// The part of YAML 1.1 that `meta/snap.yaml` files use, enough to read their top-level scalars the way
/// snapd's YAML library (`gopkg.in/yaml.v2`, used by `snap/info_snap_yaml.go`) does:
///
/// - one document (an optional `%` directive block and `---` before it; `...` or a second `---` ends it),
///   a UTF-8 byte order mark, CRLF or LF line breaks;
/// - a top-level block mapping (`key: value`, keys at one indentation, `key : value` too, plain or quoted
///   keys) or flow mapping (`{name: core, version: 16-2.61, type: os}`, over one or more lines);
/// - scalar values: plain (a `#` after white space starts a comment; continuation lines that are more
///   indented fold into one line with single spaces), single-quoted (`''` is a quote) and double-quoted
///   (backslash escapes), both of which may span lines; `~`, `null`, `Null`, `NULL` and nothing are null;
/// - nested values (block mappings and sequences, `|` and `>` block scalars, flow collections) are
///   skipped (a block scalar as `.unsupported`, a collection as `.nested`), being more indented than the
///   top-level keys (a block sequence may start at the key's own indentation, as YAML allows).
///
/// Not supported, and reported as such (the reader fails with a message, the caller warns naming the
/// file): tabs used as indentation, a top level that is not a mapping, unbalanced quotes or brackets.
/// A top-level value with an anchor, alias or tag, or a `|` or `>` block scalar, is `.unsupported` (the
/// caller fails only when it needs that value).
///
/// Rejected as yaml.v2 rejects them (so snapd cannot read the file either): invalid UTF-8 or a character
/// outside YAML's printable set anywhere in the file (its reader, `yaml_parser_update_buffer`), and a
/// top-level key or plain value starting with a character that cannot start a plain scalar (`@`, `` ` ``,
/// `%`, `,`, `]`, `}`, or `-`/`?` before a blank: its scanner, `yaml_parser_fetch_next_token`). Duplicate keys: the last wins, as in yaml.v2's default
/// (non-strict) mode.
struct YamlSubset {
    /// A top-level value.
    enum Value: Equatable {
        /// A scalar, as yaml.v2 hands it to a string field (a plain `1.10` stays `1.10`).
        case scalar(String)
        /// `~`, `null`, or nothing at all: a string field stays empty, a type field unset.
        case null
        /// A mapping, sequence or block scalar, not read.
        case nested
        /// A value with an anchor, alias or tag, which this subset does not resolve, or a block scalar.
        case unsupported
    }

    /// A parse failure: what and on which line (1-based).
    struct Failure: Error, Equatable, CustomStringConvertible {
        var line: Int
        var message: String
        var description: String { "line \(line): \(message)" }
    }

    typealias Line = [Unicode.Scalar]

    /// The top-level keys and their values, or why the text is outside the subset.
    static func topLevel(_ bytes: [UInt8]) -> Result<[String: Value], Failure> {
        if let failure = unreadableCharacter(bytes) { return .failure(failure) }
        var reader = YamlSubset(lines: splitLines(bytes))
        do {
            return .success(try reader.document())
        } catch let failure as Failure {
            return .failure(failure)
        } catch {
            return .failure(Failure(line: 0, message: "\(error)"))
        }
    }

    /// Where yaml.v2's reader stops: invalid UTF-8, or a character YAML does not allow in a stream (tab,
    /// LF, CR, NEL and the printable ranges `U+20–U+7E`, `U+A0–U+D7FF`, `U+E000–U+FFFD`,
    /// `U+10000–U+10FFFF` are allowed). yaml.v2 also reads UTF-16 with a byte order mark; this subset
    /// does not: such a file is invalid UTF-8 here.
    static func unreadableCharacter(_ bytes: [UInt8]) -> Failure? {
        var line = 1
        var iterator = bytes.makeIterator()
        var decoder = Unicode.UTF8()
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar):
                switch scalar.value {
                case 0x0A: line += 1
                case 0x09, 0x0D, 0x20...0x7E, 0x85, 0xA0...0xD7FF, 0xE000...0xFFFD, 0x10000...0x10FFFF: break
                default:
                    let code = "U+" + String(scalar.value, radix: 16, uppercase: true)
                    return Failure(line: line, message: "the character \(code) is not allowed in YAML")
                }
            case .emptyInput:
                return nil
            case .error:
                return Failure(line: line, message: "invalid UTF-8")
            }
        }
    }

    /// yaml.v2 cannot start a plain scalar (a key or a value) with these; its scanner fails on them.
    static func cannotStartPlain(_ text: ArraySlice<Unicode.Scalar>) -> Bool {
        guard let first = text.first else { return false }
        switch first {
        case "@", "`", "%", ",", "]", "}": return true
        case "-", "?":
            let next = text.dropFirst().first
            return next == nil || next == " " || next == "\t"
        default: return false
        }
    }

    /// Lines at `\n`, a `\r` before it dropped (YAML reads CRLF as one line break), a leading BOM dropped.
    static func splitLines(_ bytes: [UInt8]) -> [Line] {
        var text = String(decoding: bytes, as: UTF8.self).unicodeScalars[...]
        if text.first == "\u{FEFF}" { text = text.dropFirst() }
        var lines: [Line] = []
        var current: Line = []
        for scalar in text {
            if scalar == "\n" {
                if current.last == "\r" { current.removeLast() }
                lines.append(current)
                current = []
            } else {
                current.append(scalar)
            }
        }
        if current.last == "\r" { current.removeLast() }
        if !current.isEmpty { lines.append(current) }
        return lines
    }

    var lines: [Line]
    /// The line being read (index into `lines`).
    var row = 0

    // MARK: - Document

    mutating func document() throws -> [String: Value] {
        // Directives and the document start.
        while row < lines.count {
            let line = lines[row]
            if isBlankOrComment(line) || line.first == "%" {
                row += 1
                continue
            }
            if Self.isMarker(line, "---") {
                // Content may follow `--- ` on the same line.
                let rest = Array(line.dropFirst(3))
                if isBlankOrComment(rest) {
                    row += 1
                } else {
                    lines[row] = rest
                }
            }
            break
        }
        // Cut the document at its end marker.
        if let end = lines[row...].firstIndex(where: { Self.isMarker($0, "---") || Self.isMarker($0, "...") }) {
            lines = Array(lines[..<end])
        }
        skipBlank()
        guard row < lines.count else { return [:] }
        let indent = indentation(lines[row])
        let body = Array(lines[row].dropFirst(indent))
        if body.first == "{" { return try topFlowMapping(column: indent) }
        if body.first == "[" || (body.first == "-" && (body.count == 1 || body[1] == " ")) {
            throw Failure(line: row + 1, message: "the top level is a sequence, not a mapping")
        }
        return try blockMapping(indent: indent)
    }

    static func isMarker(_ line: Line, _ marker: String) -> Bool {
        let scalars = Array(marker.unicodeScalars)
        guard line.count >= 3, Array(line.prefix(3)) == scalars else { return false }
        return line.count == 3 || line[3] == " " || line[3] == "\t"
    }

    func isBlankOrComment(_ line: Line) -> Bool {
        guard let first = line.firstIndex(where: { $0 != " " && $0 != "\t" }) else { return true }
        return line[first] == "#"
    }

    mutating func skipBlank() {
        while row < lines.count && isBlankOrComment(lines[row]) { row += 1 }
    }

    func indentation(_ line: Line) -> Int { line.prefix { $0 == " " }.count }

    // MARK: - Block mapping

    mutating func blockMapping(indent: Int) throws -> [String: Value] {
        var values: [String: Value] = [:]
        while true {
            skipBlank()
            guard row < lines.count else { return values }
            let line = lines[row]
            let lineIndent = indentation(line)
            if lineIndent < line.count, line[lineIndent] == "\t" {
                throw Failure(line: row + 1, message: "a tab used as indentation")
            }
            guard lineIndent == indent else {
                throw Failure(
                    line: row + 1, message: "indentation \(lineIndent) where a top-level key (\(indent)) belongs")
            }
            var column = indent
            let key = try mappingKey(line, &column)
            let value = try blockValue(line, from: column, keyIndent: indent)
            values[key] = value
        }
    }

    /// The key at `column` of `line`, leaving `column` after its `:`.
    func mappingKey(_ line: Line, _ column: inout Int) throws -> String {
        let number = row + 1
        if line[column] == "\"" || line[column] == "'" {
            var end = column
            let key = try quotedOnOneLine(line, &end)
            while end < line.count && (line[end] == " " || line[end] == "\t") { end += 1 }
            guard end < line.count, line[end] == ":" else {
                throw Failure(line: number, message: "a quoted key without ':' after it")
            }
            column = end + 1
            return key
        }
        if line[column] == "?" { throw Failure(line: number, message: "complex keys ('?') are not supported") }
        if Self.cannotStartPlain(line[column...]) {
            throw Failure(line: number, message: "a key cannot start with '\(line[column])' in YAML")
        }
        var end = column
        while end < line.count {
            if line[end] == ":" && (end + 1 == line.count || line[end + 1] == " " || line[end + 1] == "\t") { break }
            if line[end] == "#" && end > column && (line[end - 1] == " " || line[end - 1] == "\t") { break }
            end += 1
        }
        guard end < line.count, line[end] == ":" else {
            throw Failure(line: number, message: "a top-level line that is not 'key: value'")
        }
        var keyScalars = Array(line[column..<end])
        while keyScalars.last == " " || keyScalars.last == "\t" { keyScalars.removeLast() }
        column = end + 1
        return Self.string(keyScalars)
    }

    /// The value after a block key's `:`; consumes its lines (and the nested lines under it).
    mutating func blockValue(_ line: Line, from start: Int, keyIndent: Int) throws -> Value {
        var column = start
        while column < line.count && (line[column] == " " || line[column] == "\t") { column += 1 }
        let rest = Array(line[column...])
        if isBlankOrComment(rest) {
            // Null, or a nested block on the following, more indented lines (or a sequence at the same one).
            row += 1
            let nested = skipNested(keyIndent: keyIndent, allowSequence: true)
            return nested ? .nested : .null
        }
        switch rest[0] {
        case "&", "*", "!":
            // Not resolved; skipped like a nested value (its lines, if any, are more indented).
            row += 1
            _ = skipNested(keyIndent: keyIndent, allowSequence: true)
            return .unsupported
        case "|", ">":
            row += 1
            _ = skipNested(keyIndent: keyIndent, allowSequence: false)
            return .unsupported
        case "{", "[":
            var scanner = FlowScanner(lines: lines, row: row, column: column)
            try scanner.skipCollection()
            row = scanner.row
            try requireLineEnd(scanner)
            return .nested
        case "\"", "'":
            var scanner = FlowScanner(lines: lines, row: row, column: column)
            let text = try scanner.quoted()
            row = scanner.row
            try requireLineEnd(scanner)
            return .scalar(text)
        default:
            if Self.cannotStartPlain(rest[...]) {
                throw Failure(line: row + 1, message: "a value cannot start with '\(rest[0])' in YAML")
            }
            return try plainBlockScalar(line, from: column, keyIndent: keyIndent)
        }
    }

    /// After a quoted scalar or flow collection: only white space or a comment, then the next line.
    mutating func requireLineEnd(_ scanner: FlowScanner) throws {
        let rest = Array(lines[scanner.row][scanner.column...])
        guard isBlankOrComment(rest) else {
            throw Failure(line: scanner.row + 1, message: "unexpected text after a value")
        }
        row = scanner.row + 1
    }

    /// A plain scalar starting at `column`, with its more-indented continuation lines folded in.
    mutating func plainBlockScalar(_ line: Line, from column: Int, keyIndent: Int) throws -> Value {
        var parts = [Self.string(Self.plainOnLine(line, from: column))]
        try checkPlain(parts[0], line: row + 1)
        row += 1
        var blankLines = 0
        while row < lines.count {
            let next = lines[row]
            if isBlankOrComment(next) {
                if next.contains("#") { break }  // a comment ends a plain scalar
                blankLines += 1
                row += 1
                continue
            }
            guard indentation(next) > keyIndent else { break }
            let text = Self.string(Self.plainOnLine(next, from: indentation(next)))
            try checkPlain(text, line: row + 1)
            parts.append(blankLines > 0 ? String(repeating: "\n", count: blankLines) : " ")
            parts.append(text)
            blankLines = 0
            row += 1
        }
        let text = parts.joined()
        if ["~", "null", "Null", "NULL"].contains(text) { return .null }
        return .scalar(text)
    }

    func checkPlain(_ text: String, line: Int) throws {
        if text.hasSuffix(":") || text.contains(": ") || text.contains(":\t") {
            throw Failure(line: line, message: "a mapping inside a plain value ('key: value' on a continuation line)")
        }
    }

    /// The plain text of `line` from `column` to a comment or the end, trailing blanks removed.
    static func plainOnLine(_ line: Line, from column: Int) -> Line {
        var end = column
        while end < line.count {
            if line[end] == "#" && end > column && (line[end - 1] == " " || line[end - 1] == "\t") { break }
            end += 1
        }
        var text = Array(line[column..<end])
        while text.last == " " || text.last == "\t" { text.removeLast() }
        return text
    }

    /// Skips the lines nested under a key: more indented than it, or (for a block sequence) at the key's
    /// indentation starting with `- `. True when there was any.
    mutating func skipNested(keyIndent: Int, allowSequence: Bool) -> Bool {
        var any = false
        while row < lines.count {
            let line = lines[row]
            if isBlankOrComment(line) {
                row += 1
                continue
            }
            let indent = indentation(line)
            let startsItem =
                indent < line.count && line[indent] == "-" && (indent + 1 == line.count || line[indent + 1] == " ")
            guard indent > keyIndent || (allowSequence && indent == keyIndent && startsItem) else { break }
            any = true
            row += 1
        }
        return any
    }

    // MARK: - Flow mapping at the top level

    mutating func topFlowMapping(column: Int) throws -> [String: Value] {
        var scanner = FlowScanner(lines: lines, row: row, column: column)
        let values = try scanner.mapping()
        scanner.skipSpaceAndComments()
        guard scanner.atEnd else {
            throw Failure(line: scanner.row + 1, message: "unexpected text after the top-level mapping")
        }
        return values
    }

    func quotedOnOneLine(_ line: Line, _ column: inout Int) throws -> String {
        var scanner = FlowScanner(lines: [line], row: 0, column: column)
        let text = try scanner.quoted()
        guard scanner.row == 0 else { throw Failure(line: row + 1, message: "a key that spans lines") }
        column = scanner.column
        return text
    }

    static func string(_ scalars: some Sequence<Unicode.Scalar>) -> String {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars)
        return String(view)
    }
}

/// Reads flow collections and quoted scalars, which may span lines.
struct FlowScanner {
    var lines: [YamlSubset.Line]
    var row: Int
    var column: Int

    var atEnd: Bool { row >= lines.count }
    var current: Unicode.Scalar? {
        guard row < lines.count else { return nil }
        return column < lines[row].count ? lines[row][column] : "\n"
    }

    func failure(_ message: String) -> YamlSubset.Failure { YamlSubset.Failure(line: row + 1, message: message) }

    mutating func advance() {
        guard row < lines.count else { return }
        if column < lines[row].count {
            column += 1
        } else {
            row += 1
            column = 0
        }
    }

    /// Skips spaces, tabs, line breaks and comments.
    mutating func skipSpaceAndComments() {
        while let scalar = current {
            if scalar == " " || scalar == "\t" || scalar == "\n" {
                advance()
            } else if scalar == "#" && (column == 0 || lines[row][column - 1] == " " || lines[row][column - 1] == "\t")
            {
                row += 1
                column = 0
            } else {
                return
            }
        }
    }

    /// A `{…}` mapping's scalar entries (nested values as `.nested`).
    mutating func mapping() throws -> [String: YamlSubset.Value] {
        guard current == "{" else { throw failure("expected '{'") }
        advance()
        var values: [String: YamlSubset.Value] = [:]
        while true {
            skipSpaceAndComments()
            guard let scalar = current else { throw failure("a flow mapping without its closing '}'") }
            if scalar == "}" {
                advance()
                return values
            }
            let key: String
            switch try node(inMapping: true) {
            case .scalar(let text): key = text
            case .null: key = ""
            case .nested, .unsupported: throw failure("complex keys are not supported")
            }
            skipSpaceAndComments()
            var value = YamlSubset.Value.null
            if current == ":" {
                advance()
                skipSpaceAndComments()
                if current != "," && current != "}" { value = try node(inMapping: true) }
            }
            values[key] = value
            skipSpaceAndComments()
            if current == "," {
                advance()
            } else if current == nil {
                throw failure("a flow mapping without its closing '}'")
            } else if current != "}" {
                throw failure("expected ',' or '}' in a flow mapping")
            }
        }
    }

    /// Skips a `{…}` or `[…]` collection.
    mutating func skipCollection() throws {
        if current == "{" {
            _ = try mapping()
            return
        }
        guard current == "[" else { throw failure("expected '['") }
        advance()
        while true {
            skipSpaceAndComments()
            guard let scalar = current else { throw failure("a flow sequence without its closing ']'") }
            if scalar == "]" {
                advance()
                return
            }
            _ = try node(inMapping: false)
            skipSpaceAndComments()
            if current == ":" {  // a single-pair mapping inside a sequence
                advance()
                skipSpaceAndComments()
                if current != "," && current != "]" { _ = try node(inMapping: false) }
                skipSpaceAndComments()
            }
            if current == "," {
                advance()
            } else if current == nil {
                throw failure("a flow sequence without its closing ']'")
            } else if current != "]" {
                throw failure("expected ',' or ']' in a flow sequence")
            }
        }
    }

    /// One flow node: a quoted or plain scalar, or a nested collection.
    mutating func node(inMapping: Bool) throws -> YamlSubset.Value {
        switch current {
        case "{", "[":
            try skipCollection()
            return .nested
        case "\"", "'":
            return .scalar(try quoted())
        case "&", "*", "!":
            // Not resolved: the property and the node after it are skipped.
            _ = plainFlow()
            if current == "{" || current == "[" { try skipCollection() }
            return .unsupported
        default:
            let text = plainFlow()
            if text.isEmpty { throw failure("an empty flow entry") }
            return ["~", "null", "Null", "NULL"].contains(text) ? .null : .scalar(text)
        }
    }

    /// A plain scalar in flow context: up to `,` `[` `]` `{` `}`, `: `, ` #`, folding line breaks.
    mutating func plainFlow() -> String {
        var words: [String] = []
        var word = String.UnicodeScalarView()
        var pendingSpace = false
        while let scalar = current {
            if ",[]{}".unicodeScalars.contains(scalar) { break }
            if scalar == ":" {
                let next: Unicode.Scalar? = column + 1 < lines[row].count ? lines[row][column + 1] : "\n"
                if next == " " || next == "\t" || next == "\n"
                    || next.map({ ",[]{}".unicodeScalars.contains($0) }) == true
                {
                    break
                }
            }
            if scalar == "#" && pendingSpace { break }
            if scalar == " " || scalar == "\t" || scalar == "\n" {
                if !word.isEmpty {
                    words.append(String(word))
                    word = String.UnicodeScalarView()
                }
                pendingSpace = true
                advance()
                continue
            }
            pendingSpace = false
            word.append(scalar)
            advance()
        }
        if !word.isEmpty { words.append(String(word)) }
        return words.joined(separator: " ")
    }

    /// A single- or double-quoted scalar, possibly over several lines (line breaks fold to a space, an
    /// empty line to `\n`, as YAML folds flow scalars).
    mutating func quoted() throws -> String {
        guard let quote = current, quote == "\"" || quote == "'" else { throw failure("expected a quote") }
        let startLine = row + 1
        advance()
        var result = String.UnicodeScalarView()
        while true {
            guard let scalar = current else {
                throw YamlSubset.Failure(line: startLine, message: "a quoted value without its closing quote")
            }
            if scalar == "\n" {
                // Fold: trailing blanks of this line go, leading blanks of the next go, breaks become spaces.
                while result.last == " " || result.last == "\t" { result.removeLast() }
                var breaks = 0
                repeat {
                    breaks += 1
                    row += 1
                    column = 0
                    guard row < lines.count else {
                        throw YamlSubset.Failure(line: startLine, message: "a quoted value without its closing quote")
                    }
                    while column < lines[row].count && (lines[row][column] == " " || lines[row][column] == "\t") {
                        column += 1
                    }
                } while column == lines[row].count
                let folded = breaks == 1 ? " " : String(repeating: "\n", count: breaks - 1)
                result.append(contentsOf: folded.unicodeScalars)
                continue
            }
            if scalar == quote {
                if quote == "'" && column + 1 < lines[row].count && lines[row][column + 1] == "'" {
                    result.append("'")
                    advance()
                    advance()
                    continue
                }
                advance()
                return String(result)
            }
            if quote == "\"" && scalar == "\\" {
                advance()
                try escape(into: &result)
                continue
            }
            result.append(scalar)
            advance()
        }
    }

    /// One escape of a double-quoted scalar (after the backslash).
    mutating func escape(into result: inout String.UnicodeScalarView) throws {
        guard let scalar = current else { throw failure("a backslash at the end of the file") }
        if scalar == "\n" {  // an escaped line break: joins the lines without a space
            row += 1
            column = 0
            while let next = current, next == " " || next == "\t" { advance() }
            return
        }
        let simple: [Unicode.Scalar: Unicode.Scalar] = [
            "0": "\0", "a": "\u{07}", "b": "\u{08}", "t": "\t", "\t": "\t", "n": "\n", "v": "\u{0B}",
            "f": "\u{0C}", "r": "\r", "e": "\u{1B}", " ": " ", "\"": "\"", "/": "/", "\\": "\\",
            "N": "\u{85}", "_": "\u{A0}", "L": "\u{2028}", "P": "\u{2029}",
        ]
        if let mapped = simple[scalar] {
            result.append(mapped)
            advance()
            return
        }
        let width: Int
        switch scalar {
        case "x": width = 2
        case "u": width = 4
        case "U": width = 8
        default: throw failure("unknown escape '\\\(scalar)' in a double-quoted value")
        }
        advance()
        var hex = ""
        for _ in 0..<width {
            guard let digit = current, digit.properties.isASCIIHexDigit else {
                throw failure("a short '\\\(scalar)' escape in a double-quoted value")
            }
            hex.unicodeScalars.append(digit)
            advance()
        }
        guard let value = UInt32(hex, radix: 16), let decoded = Unicode.Scalar(value) else {
            throw failure("an escape that is no Unicode character")
        }
        result.append(decoded)
    }
}
