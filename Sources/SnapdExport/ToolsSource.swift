import GenerationStore

/// One source of the tools: a mounted revision of the snapd or core snap, or the host's packaged snapd.
///
/// It carries the manifest of its generation: source `snap:<instance>/<revision>` or `host`, version from
/// the `info` file's `VERSION=`, and one `tools` entry per tool it has, pointing where consumers inside a
/// snap's mount namespace find it (`/snap/<instance>/<rev>/usr/lib/snapd/<tool>`,
/// `/var/lib/snapd/hostfs<libexec>/<tool>`).
public struct ToolsSource: Sendable, Equatable {
    /// Which kind of provider.
    public enum Kind: String, Sendable, Equatable, CaseIterable {
        case snapd, core, host
    }

    public var kind: Kind
    /// The snap instance (`snapd`, `core`), nil for the host.
    public var instance: String?
    /// The snap revision (`21759`, `x1`), nil for the host.
    public var revision: String?
    /// The `VERSION=` of its `info` file as written; nil when it has none (then snapd never re-executes
    /// into it, but on Ubuntu Core it still runs).
    public var version: String?
    /// The tools it has, sorted; a subset of `SnapdSettings.tools`.
    public var tools: [String]
    /// The generation's name under `snapd/`: `<rev>`, `core_<rev>`, or `host` (for the host, replaced by
    /// `host-2`, `host-3`, … when a generation with other content already holds the name).
    public var generation: String

    public init(
        kind: Kind, instance: String?, revision: String?, version: String?, tools: [String], generation: String
    ) {
        self.kind = kind
        self.instance = instance
        self.revision = revision
        self.version = version
        self.tools = tools.sorted()
        self.generation = generation
    }

    /// A snap revision's source, named as snapd named it: `<rev>` for snapd, `core_<rev>` for core.
    public static func snap(kind: Kind, instance: String, revision: String, version: String?, tools: [String])
        -> ToolsSource
    {
        ToolsSource(
            kind: kind, instance: instance, revision: revision, version: version, tools: tools,
            generation: kind == .core ? "core_\(revision)" : revision)
    }

    /// The name the host's generation gets first (`host-2`, `host-3`, … when it is taken by other content).
    public static let hostGeneration = "host"

    /// The host's source, first named `host`.
    public static func host(version: String?, tools: [String]) -> ToolsSource {
        ToolsSource(
            kind: .host, instance: nil, revision: nil, version: version, tools: tools, generation: hostGeneration)
    }

    /// Where the tools come from, as the manifest records it.
    public var source: SnapSource {
        if let instance, let revision { return .snap(instance: instance, revision: revision) }
        return .host
    }

    /// The manifest `source` field: `snap:<instance>/<revision>` or `host` (gc relies on this form).
    public var manifestSource: String { source.manifestSource }

    /// For people: `snapd snap revision 21759`, `core snap revision 16928`, `host`.
    public var label: String {
        switch source {
        case .snap(let instance, let revision): "\(instance) snap revision \(revision)"
        case .host: "host"
        }
    }

    /// The link target of `tool` for consumers inside snap namespaces.
    public func target(of tool: String, libexecDir: String) -> String {
        if let instance, let revision {
            let snap = "\(SnapdSettings.namespaceSnapMountDir)/\(instance)/\(revision)"
            return snap + SnapdDirectories.coreLibexecDir + "/" + tool
        }
        return SnapdSettings.hostfs + SnapdSettings.normalized(libexecDir) + "/" + tool
    }

    /// The manifest of this source's generation.
    public func manifest(libexecDir: String) -> Manifest {
        var entries: [String: String] = [:]
        for tool in tools { entries[tool] = target(of: tool, libexecDir: libexecDir) }
        return Manifest(source: manifestSource, version: version, sets: [SnapdSettings.toolsSet: entries])
    }
}
