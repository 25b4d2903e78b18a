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
