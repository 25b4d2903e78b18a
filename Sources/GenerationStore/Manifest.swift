import FoundationEssentials

/// What a generation holds: its source, version, link method and every set's entries with their targets.
///
/// Stored as JSON in `<generation>/.manifest.json` (see docs/format.md). Two manifests have the same
/// *content* when everything but the publication time is equal; publishing the same content again is a no-op.
public struct Manifest: Codable, Sendable, Equatable {
    /// How entries are materialized. Only symlinks exist today.
    public enum Method: String, Codable, Sendable {
        case symlink
    }

    /// The on-disk format version: 1, or 2 for a manifest that records `inputs` (docs/format.md, "Format 2").
    public var format: Int
    /// Where the content comes from, free text for humans and tools (`snap:snapd/21759`, `host`).
    public var source: String
    /// The source's version, if known.
    public var version: String?
    /// How entries are made.
    public var method: Method
    /// Set path (`tools`, `man/man1`) → entry name → absolute link target.
    public var sets: [String: [String: String]]
    /// When the store published it, in nanoseconds since the Unix epoch; set by `publish`.
    public var published: Int64?
    /// The generations this one was built from (exported name → generation), for a generation derived from
    /// others such as a union view; nil for one built from a source. Its presence makes the manifest format 2.
    public var inputs: [String: String]?

    /// The format versions this code reads.
    public static let formats: ClosedRange<Int> = 1...2

    /// The file name of the manifest inside a generation directory.
    public static let fileName = ".manifest.json"

    public init(
        source: String, version: String? = nil, method: Method = .symlink, sets: [String: [String: String]],
        published: Int64? = nil, inputs: [String: String]? = nil
    ) {
        self.format = inputs == nil ? 1 : 2
        self.source = source
        self.version = version
        self.method = method
        self.sets = sets
        self.published = published
        self.inputs = inputs
    }

    /// The number of entries over all sets.
    public var entryCount: Int { sets.values.reduce(0) { $0 + $1.count } }

    /// Equal in everything but the publication time.
    public func hasSameContent(as other: Manifest) -> Bool {
        format == other.format && source == other.source && version == other.version && method == other.method
            && sets == other.sets && inputs == other.inputs
    }

    /// Checks every name and target (NameRules), so nothing published can leave its generation.
    public func validate(context: String) throws(StoreError) {
        if !Self.formats.contains(format) {
            throw StoreError(.badData, context, "manifest format \(format) is not supported (expected 1 or 2)")
        }
        if format == 1 && inputs != nil {
            throw StoreError(.badData, context, "manifest format 1 has no 'inputs' (they make it format 2)")
        }
        for (name, generation) in inputs ?? [:] {
            try NameRules.validateComponent(name, what: "input name", context: context)
            try NameRules.validateComponent(generation, what: "input generation", context: context)
        }
        if sets.isEmpty { throw StoreError(.badData, context, "manifest has no sets") }
        for (set, entries) in sets {
            try NameRules.validateSetPath(set, context: context)
            for (entry, target) in entries {
                try NameRules.validateComponent(entry, what: "entry name", context: context + " (set '\(set)')")
                try NameRules.validateTarget(target, entry: entry, context: context + " (set '\(set)')")
            }
        }
        let paths = Set(sets.keys)
        for set in paths {
            var prefix = ""
            for part in set.split(separator: "/").dropLast() {
                prefix += prefix.isEmpty ? String(part) : "/" + part
                if paths.contains(prefix) {
                    throw StoreError(.badData, context, "set '\(set)' lies inside set '\(prefix)'")
                }
                if let entries = sets[prefix], entries[String(part)] != nil {
                    throw StoreError(.badData, context, "set '\(set)' collides with an entry of set '\(prefix)'")
                }
            }
        }
    }

    /// Decodes a manifest from JSON bytes; the error names `path`.
    public static func decode(_ bytes: [UInt8], path: String, context: String) throws(StoreError) -> Manifest {
        do {
            return try JSONDecoder().decode(Manifest.self, from: Data(bytes))
        } catch {
            throw StoreError(.badData, context, "malformed manifest: \(describe(error))", path: path)
        }
    }

    /// Encodes the manifest as stable, sorted, indented JSON.
    public func encoded() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        // Encoding plain strings and integers cannot fail.
        let data = (try? encoder.encode(self)) ?? Data()
        return Array(data) + [UInt8(ascii: "\n")]
    }

    private static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): return "missing key '\(key.stringValue)'"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return "wrong type at '\(path)'"
        case DecodingError.dataCorrupted(let context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return path.isEmpty ? "not valid JSON" : "invalid value at '\(path)'"
        default: return "\(error)"
        }
    }

    /// Only the `inputs` of a manifest's bytes, without decoding its sets when the store wrote it: the encoding
    /// sorts the keys (`inputs` comes before `sets`) and indents the top level by two spaces, so the part before
    /// the line `  "sets" : ` is a complete object once closed. Anything else is decoded whole.
    public static func decodeInputs(_ bytes: [UInt8], path: String, context: String) throws(StoreError)
        -> [String: String]?
    {
        struct Header: Decodable { var inputs: [String: String]? }
        let marker = Array("\n  \"sets\" : ".utf8)
        if let start = bytes.firstRange(of: marker)?.lowerBound {
            var prefix = Array(bytes[..<start])
            if prefix.last == UInt8(ascii: ",") { prefix.removeLast() }
            prefix += Array("\n}".utf8)
            if let header = try? JSONDecoder().decode(Header.self, from: Data(prefix)) { return header.inputs }
        }
        return try decode(bytes, path: path, context: context).inputs
    }

    enum CodingKeys: String, CodingKey {
        case format, source, version, method, sets, published, inputs
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        format = try container.decodeIfPresent(Int.self, forKey: .format) ?? 1
        source = try container.decode(String.self, forKey: .source)
        version = try container.decodeIfPresent(String.self, forKey: .version)
        method = try container.decodeIfPresent(Method.self, forKey: .method) ?? .symlink
        sets = try container.decode([String: [String: String]].self, forKey: .sets)
        published = try container.decodeIfPresent(Int64.self, forKey: .published)
        inputs = try container.decodeIfPresent([String: String].self, forKey: .inputs)
    }
}
