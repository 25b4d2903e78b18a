/// A snap that provides snapd's tools: its instance name, the type snapd gives it, and the kind of source it is.
///
/// The one home of the mapping snapd → type `snapd`, core → type `os`; the survey reads exactly these snaps
/// and `link`/`unlink` hand only these to the tools exporter. The names decide, not the types:
/// `snapdtool/tool_linux.go` looks at `/snap/snapd/current` and `/snap/core/current` and never reads a
/// snap's type (and a snap named `snapd` is of type `snapd` whatever its snap.yaml says, see `SnapYaml`).
public struct ProviderSnap: Sendable, Equatable {
    /// The kind of tools source its revisions are.
    public let kind: ToolsSource.Kind
    /// The snap's instance name.
    public let instance: String
    /// The type snapd gives it (informational: the re-exec rule does not consult it).
    public let type: String

    /// The snapd snap (type `snapd`).
    public static let snapd = ProviderSnap(kind: .snapd, instance: "snapd", type: "snapd")
    /// The core snap (type `os`), which carried the tools before the snapd snap existed.
    public static let core = ProviderSnap(kind: .core, instance: "core", type: "os")
    /// Both, in the order the survey reads them.
    public static let all = [snapd, core]

    /// The provider snap named `instance`; nil for any other snap.
    public static func named(_ instance: String) -> ProviderSnap? { all.first { $0.instance == instance } }
}
