import GenerationStore

/// The `source` a snapd-layer generation records in its manifest: a snap revision or the host's packaged snapd.
///
/// The one home of the manifest form gc relies on (`GenerationSources`): `snap:<instance>/<revision>` or
/// `host`. Generations published by anything else carry other sources, which this type does not describe.
public enum SnapSource: Sendable, Hashable, CustomStringConvertible {
    /// A mounted revision of a snap: `snap:<instance>/<revision>`.
    case snap(instance: String, revision: String)
    /// The host's packaged snapd: `host`.
    case host

    /// The prefix of a snap revision's source.
    static let snapPrefix = "snap:"
    /// The host's source.
    static let hostWord = "host"

    /// Parses a manifest's `source`; nil for anything that is not `host` or a `snap:<instance>/<revision>` whose
    /// two parts are valid path components.
    public init?(manifestSource source: String) {
        if source == Self.hostWord {
            self = .host
            return
        }
        guard source.hasPrefix(Self.snapPrefix) else { return nil }
        let parts = source.dropFirst(Self.snapPrefix.count).split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return nil }
        let instance = String(parts[0])
        let revision = String(parts[1])
        for part in [instance, revision] {
            guard (try? NameRules.validateComponent(part, what: "", context: "")) != nil else { return nil }
        }
        self = .snap(instance: instance, revision: revision)
    }

    /// The manifest's `source` field.
    public var manifestSource: String {
        switch self {
        case .snap(let instance, let revision): "\(Self.snapPrefix)\(instance)/\(revision)"
        case .host: Self.hostWord
        }
    }

    public var description: String { manifestSource }
}
