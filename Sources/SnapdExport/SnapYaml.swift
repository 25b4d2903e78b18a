/// The top-level scalar keys of a `meta/snap.yaml` that snap-export reads: `name`, `version`, `type`.
///
/// Not a YAML parser: it reads lines of the form `key: value` that start in column 0, unquotes single- or
/// double-quoted values, drops trailing ` #` comments of plain values, and ignores everything nested.
public struct SnapYaml: Sendable, Equatable {
    /// `name:`.
    public var name: String?
    /// `version:`.
    public var version: String?
    /// `type:`; snapd treats a missing type as `app`.
    public var type: String?

    public init(name: String?, version: String?, type: String?) {
        self.name = name
        self.version = version
        self.type = type
    }

    /// Reads the scalars from the file's bytes.
    public init(parsing bytes: [UInt8]) {
        var values: [String: String] = [:]
        for rawLine in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
            var line = String(rawLine)
            if line.hasSuffix("\r") { line.removeLast() }
            guard let first = line.first, first != " ", first != "\t", first != "#", first != "-" else { continue }
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = String(line[..<colon])
            guard ["name", "version", "type"].contains(key), values[key] == nil else { continue }
            let rest = line[line.index(after: colon)...]
            guard rest.isEmpty || rest.first == " " || rest.first == "\t" else { continue }
            values[key] = Self.scalar(String(rest).trimmingWhiteSpace())
        }
        self.init(name: values["name"], version: values["version"], type: values["type"])
    }

    static func scalar(_ value: String) -> String? {
        if value.count >= 2, let quote = value.first, quote == "'" || quote == "\"", value.last == quote {
            return String(value.dropFirst().dropLast())
        }
        var plain = value
        var previous: Character = " "
        for index in plain.indices {
            if plain[index] == "#" && (previous == " " || previous == "\t") {
                plain = String(plain[..<index]).trimmingWhiteSpace()
                break
            }
            previous = plain[index]
        }
        return plain.isEmpty ? nil : plain
    }
}
