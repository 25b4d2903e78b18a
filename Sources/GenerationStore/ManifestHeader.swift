/// Everything a manifest says except its entries: what gc and `status` decide from.
///
/// In format 2 it is the start of the file (docs/format.md, "Format 2"): `ManifestReader.header` reads it from
/// the first 4 KiB with one `pread`, whatever the number of entries. A format 1 manifest keeps its `source` after
/// its sets, so its header is known only once the whole file was scanned (still without holding the entries).
public struct ManifestHeader: Sendable, Equatable {
    /// The format the manifest was written in: 1 or 2.
    public var format: Int
    /// Where the content comes from (`snap:snapd/21759`, `host`).
    public var source: String
    /// The source's version, if known.
    public var version: String?
    /// How entries are made.
    public var method: Manifest.Method
    /// When the store published it, in nanoseconds since the Unix epoch.
    public var published: Int64?
    /// The number of entries over all sets (format 2 records it; format 1's are counted).
    public var entries: Int
    /// The generations a derived generation was built from (name → generation); nil for one built from a source.
    public var inputs: [String: String]?
    /// What the layer that derived it records (`Manifest.notes`); nil for none.
    public var notes: [String: String]?

    public init(
        format: Int = Manifest.writtenFormat, source: String, version: String? = nil,
        method: Manifest.Method = .symlink,
        published: Int64? = nil, entries: Int, inputs: [String: String]? = nil, notes: [String: String]? = nil
    ) {
        self.format = format
        self.source = source
        self.version = version
        self.method = method
        self.published = published
        self.entries = entries
        self.inputs = inputs
        self.notes = notes
    }
}

extension Manifest {
    /// This manifest's header.
    public var header: ManifestHeader {
        ManifestHeader(
            format: format, source: source, version: version, method: method, published: published,
            entries: entryCount, inputs: inputs, notes: notes)
    }
}

extension ManifestHeader {
    /// The header's keys and values as a format 2 manifest lays them out, in its order (`format`, `source`,
    /// `version`, `method`, `published`, `inputs`, `notes`, `entries`), each followed by a comma: `pretty`, two-space
    /// indented, one key per line, as `Manifest.encoded` writes a manifest; otherwise on one line without spaces, as
    /// a header cache record holds it (`HeaderCache.line`). The one writer of a header.
    func appendFields(to out: inout [UInt8], pretty: Bool) {
        let separator: [UInt8] = pretty ? Array(": ".utf8) : [UInt8(ascii: ":")]
        let end: [UInt8] = pretty ? Array(",\n".utf8) : [UInt8(ascii: ",")]
        func key(_ name: String, indent: Int = 2) {
            if pretty { out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: indent)) }
            Manifest.appendJSONString(name, to: &out)
            out.append(contentsOf: separator)
        }
        key("format")
        out.append(contentsOf: "\(format)".utf8)
        out.append(contentsOf: end)
        key("source")
        Manifest.appendJSONString(source, to: &out)
        out.append(contentsOf: end)
        if let version {
            key("version")
            Manifest.appendJSONString(version, to: &out)
            out.append(contentsOf: end)
        }
        key("method")
        Manifest.appendJSONString(method.rawValue, to: &out)
        out.append(contentsOf: end)
        if let published {
            key("published")
            out.append(contentsOf: "\(published)".utf8)
            out.append(contentsOf: end)
        }
        for (name, object) in [("inputs", inputs), ("notes", notes)] {
            guard let object else { continue }
            key(name)
            out.append(UInt8(ascii: "{"))
            for (index, name) in object.keys.sorted(by: Manifest.bytesPrecede).enumerated() {
                if pretty {
                    out.append(contentsOf: (index == 0 ? "\n" : ",\n").utf8)
                } else if index > 0 {
                    out.append(UInt8(ascii: ","))
                }
                key(name, indent: 4)
                Manifest.appendJSONString(object[name, default: ""], to: &out)
            }
            out.append(contentsOf: (pretty && !object.isEmpty ? "\n  }" : "}").utf8)
            out.append(contentsOf: end)
        }
        key("entries")
        out.append(contentsOf: "\(entries)".utf8)
        out.append(contentsOf: end)
    }
}
