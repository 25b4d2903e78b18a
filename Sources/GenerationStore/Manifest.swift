/// What a generation holds: its source, version, link method and every set's entries with their targets.
///
/// Stored as JSON in `<generation>/.manifest.json` (see docs/format.md), written in format 2 (header first) and
/// read in format 1 or 2 by `ManifestReader`. Two manifests have the same *content* when everything but the
/// publication time and the format they were written in is equal; publishing the same content again is a no-op.
public struct Manifest: Sendable, Equatable {
    /// How entries are materialized. Only symlinks exist today.
    public enum Method: String, Sendable {
        case symlink
    }

    /// The format the manifest was read in (1 or 2); `encoded()` always writes `writtenFormat`.
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
    /// others such as a union view; nil for one built from a source. Part of the header (format 2).
    public var inputs: [String: String]?
    /// What the layer that derived this generation records about how (a union view's conflicts and refused
    /// entries), as text keys and values the store keeps and never interprets; nil for none. Part of the header
    /// (format 2), so it is read without the entries.
    public var notes: [String: String]?

    /// The file name of the manifest inside a generation directory.
    public static let fileName = ".manifest.json"
    /// The format versions this code reads.
    public static let formats: ClosedRange<Int> = 1...2
    /// The format this code writes: 2, header first (docs/format.md, "Format 2").
    public static let writtenFormat = 2

    public init(
        source: String, version: String? = nil, method: Method = .symlink, sets: [String: [String: String]],
        published: Int64? = nil, inputs: [String: String]? = nil, notes: [String: String]? = nil
    ) {
        self.format = Self.writtenFormat
        self.source = source
        self.version = version
        self.method = method
        self.sets = sets
        self.published = published
        self.inputs = inputs
        self.notes = notes
    }

    /// The number of entries over all sets.
    public var entryCount: Int { sets.values.reduce(0) { $0 + $1.count } }

    /// Equal in everything but the publication time and the format it was written in (a generation of format 1
    /// and the same content about to be written in format 2 are the same generation).
    public func hasSameContent(as other: Manifest) -> Bool {
        source == other.source && version == other.version && method == other.method && sets == other.sets
            && inputs == other.inputs && notes == other.notes
    }

    /// Checks every name and target (NameRules), so nothing published can leave its generation.
    public func validate(context: String) throws(StoreError) {
        if !Self.formats.contains(format) {
            throw StoreError(.badData, context, "manifest format \(format) is not supported (expected 1 or 2)")
        }
        if format == 1 && inputs != nil {
            throw StoreError(.badData, context, "manifest format 1 has no 'inputs' (they make it format 2)")
        }
        if format == 1 && notes != nil {
            throw StoreError(.badData, context, "manifest format 1 has no 'notes' (they make it format 2)")
        }
        for (name, generation) in inputs ?? [:] {
            try NameRules.validateComponent(name, what: "input name", context: context)
            try NameRules.validateComponent(generation, what: "input generation", context: context)
        }
        if sets.isEmpty { throw StoreError(.badData, context, "manifest has no sets") }
        for (set, entries) in sets {
            try NameRules.validateSetPath(set, context: context)
            let setContext = context + " (set '\(set)')"
            for (entry, target) in entries {
                try NameRules.validateComponent(entry, what: "entry name", context: setContext)
                try NameRules.validateTarget(target, entry: entry, context: setContext)
            }
        }
        try Self.validateNesting(Set(sets.keys), context: context)
    }

    /// No set lies inside another (`man` and `man/man1` together are refused).
    static func validateNesting(_ paths: Set<String>, context: String) throws(StoreError) {
        for set in paths {
            var prefix = ""
            for part in set.split(separator: "/").dropLast() {
                prefix += prefix.isEmpty ? String(part) : "/" + part
                if paths.contains(prefix) {
                    throw StoreError(.badData, context, "set '\(set)' lies inside set '\(prefix)'")
                }
            }
        }
    }

    /// Decodes a manifest from JSON bytes (format 1 or 2, any layout; `ManifestReader`); the error names `path`.
    public static func decode(_ bytes: [UInt8], path: String, context: String) throws(StoreError) -> Manifest {
        var reader = ManifestReader(bytes: bytes)
        return try collect(path: path, context) { (set, entry) throws(ManifestReader.Failure) -> ManifestHeader in
            try reader.read(headerOnly: false, set: set, entry: entry)
        }
    }

    /// Only the `inputs` of a manifest's bytes: from its header, without the entries when it is laid out header
    /// first (format 2 as the store writes it); anything else is read whole.
    public static func decodeInputs(_ bytes: [UInt8], path: String, context: String) throws(StoreError)
        -> [String: String]?
    {
        var reader = ManifestReader(bytes: bytes)
        do throws(ManifestReader.Failure) {
            return try reader.read(headerOnly: true).inputs
        } catch {
            throw error.storeError(path: path, context)
        }
    }

    /// A manifest built from a header and the entries a reader hands out; the error names `path`.
    static func collect(
        path: String, _ context: String,
        _ read:
            (
                _ set: (String) throws(ManifestReader.Failure) -> Void,
                _ entry: (String, String, String) throws(ManifestReader.Failure) -> Void
            ) throws(ManifestReader.Failure) -> ManifestHeader
    ) throws(StoreError) -> Manifest {
        var sets: [String: [String: String]] = [:]
        let header: ManifestHeader
        do throws(ManifestReader.Failure) {
            header = try read(
                { set in sets[set] = sets[set] ?? [:] },
                { set, entry, target in sets[set, default: [:]][entry] = target })
        } catch {
            throw error.storeError(path: path, context)
        }
        var manifest = Manifest(
            source: header.source, version: header.version, method: header.method, sets: sets,
            published: header.published, inputs: header.inputs, notes: header.notes)
        manifest.format = header.format
        return manifest
    }

    /// The sets and their entries in byte order of their names: the order `encoded()` writes them in, and the
    /// order `publish` lays them out in (it sorts once for both).
    func entriesInByteOrder() -> [(set: String, entries: [(name: String, target: String)])] {
        var result: [(set: String, entries: [(name: String, target: String)])] = []
        result.reserveCapacity(sets.count)
        for (set, entries) in sets {
            var list: [(name: String, target: String)] = []
            list.reserveCapacity(entries.count)
            for (name, target) in entries { list.append((name, target)) }
            list.sort { Self.bytesPrecede($0.name, $1.name) }
            result.append((set, list))
        }
        result.sort { Self.bytesPrecede($0.set, $1.set) }
        return result
    }

    /// Byte order of the UTF-8 of two names (what `sorted` of their `utf8` views gives, without the generic
    /// iteration: a publish sorts every entry name).
    static func bytesPrecede(_ left: String, _ right: String) -> Bool {
        let fast = left.utf8.withContiguousStorageIfAvailable { a in
            right.utf8.withContiguousStorageIfAvailable { b -> Bool in
                let common = min(a.count, b.count)
                var index = 0
                while index < common {
                    if a[index] != b[index] { return a[index] < b[index] }
                    index += 1
                }
                return a.count < b.count
            }
        }
        if let fast, let result = fast { return result }
        return left.utf8.lexicographicallyPrecedes(right.utf8)
    }

    /// Encodes the manifest in format 2: indented JSON, the header first (`format`, `source`, `version`, `method`,
    /// `published`, `inputs`, `notes`, `entries`), then `sets`, last, with sets and entries in byte order; one entry per line.
    public func encoded() -> [UInt8] {
        encoded(ordered: entriesInByteOrder())
    }

    /// `encoded()` with the sets and entries as `entriesInByteOrder()` gave them (they must be this manifest's).
    func encoded(ordered: [(set: String, entries: [(name: String, target: String)])]) -> [UInt8] {
        var out: [UInt8] = []
        var capacity = 256
        for (set, entries) in ordered {
            capacity += set.utf8.count + 16
            for (name, target) in entries { capacity += name.utf8.count + target.utf8.count + 14 }
        }
        out.reserveCapacity(capacity)
        out.append(contentsOf: "{\n".utf8)
        ManifestHeader(
            format: Self.writtenFormat, source: source, version: version, method: method, published: published,
            entries: entryCount, inputs: inputs, notes: notes
        ).appendFields(to: &out, pretty: true)
        func key(_ name: String, indent: Int) {
            out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: indent))
            Self.appendJSONString(name, to: &out)
            out.append(contentsOf: ": ".utf8)
        }
        key("sets", indent: 2)
        out.append(UInt8(ascii: "{"))
        let entrySeparator: [UInt8] = Array(",\n      ".utf8)
        for (setIndex, (set, entries)) in ordered.enumerated() {
            out.append(contentsOf: (setIndex == 0 ? "\n" : ",\n").utf8)
            key(set, indent: 4)
            out.append(UInt8(ascii: "{"))
            for (index, (name, target)) in entries.enumerated() {
                // "\n      " before the first entry, ",\n      " before the others
                out.append(contentsOf: index == 0 ? entrySeparator[1...] : entrySeparator[...])
                Self.appendJSONString(name, to: &out)
                out.append(UInt8(ascii: ":"))
                out.append(UInt8(ascii: " "))
                Self.appendJSONString(target, to: &out)
            }
            out.append(contentsOf: (entries.isEmpty ? "}" : "\n    }").utf8)
        }
        out.append(contentsOf: (ordered.isEmpty ? "}\n}\n" : "\n  }\n}\n").utf8)
        return out
    }

    /// `text` as a JSON string: `"` and `\` escaped, control characters as `\n`, `\t`… or `\u00XX`, the rest
    /// (`/` and non-ASCII included) as is.
    static func appendJSONString(_ text: String, to out: inout [UInt8]) {
        // Most names and targets need no escape: copied in one append.
        let copied = text.utf8.withContiguousStorageIfAvailable { bytes -> Bool in
            for byte in bytes where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                return false
            }
            out.append(UInt8(ascii: "\""))
            out.append(contentsOf: bytes)
            out.append(UInt8(ascii: "\""))
            return true
        }
        if copied == true { return }
        let hex = Array("0123456789abcdef".utf8)
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: #"\""#.utf8)
            case UInt8(ascii: "\\"): out.append(contentsOf: #"\\"#.utf8)
            case 0x0A: out.append(contentsOf: #"\n"#.utf8)
            case 0x09: out.append(contentsOf: #"\t"#.utf8)
            case 0x0D: out.append(contentsOf: #"\r"#.utf8)
            case 0..<0x20:
                out.append(contentsOf: #"\u00"#.utf8)
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0xF)])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
