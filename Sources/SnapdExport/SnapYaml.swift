/// The top-level fields of a `meta/snap.yaml` that snap-export reads (`name`, `version`, `type`), read
/// as snapd reads them (`snap/info_snap_yaml.go`: `infoSkeletonFromSnapYaml`; `snap/types.go`:
/// `Type.fromString`), through the YAML subset of `YamlSubset`.
///
/// The type: absent or null means `app`; `application` is `app`; anything but `app`, `gadget`, `os`,
/// `kernel`, `base` and `snapd` makes the whole file unreadable to snapd ("invalid snap type"); and a snap
/// **named** `snapd` is of type `snapd` whatever its `type:` says (snapd sets it "by magic").
public struct SnapYaml: Sendable, Equatable {
    /// `name:`, empty when absent.
    public var name: String
    /// `version:`, empty when absent.
    public var version: String
    /// The effective type, after snapd's defaults and its `snapd` rule.
    public var type: String

    /// The types snapd accepts in `type:`.
    public static let validTypes: Set<String> = ["app", "gadget", "os", "kernel", "base", "snapd"]

    public init(name: String, version: String, type: String) {
        self.name = name
        self.version = version
        self.type = type
    }

    /// Reads the file's bytes; a failure says what snapd (or this subset of YAML) cannot read.
    public static func parse(_ bytes: [UInt8]) -> Result<SnapYaml, Problem> {
        let values: [String: YamlSubset.Value]
        switch YamlSubset.topLevel(bytes) {
        case .success(let read): values = read
        case .failure(let failure): return .failure(Problem(description: "not read: \(failure)"))
        }
        func text(_ key: String) -> Result<String?, Problem> {
            switch values[key] {
            case .scalar(let value): return .success(value)
            case .null, nil: return .success(nil)
            case .nested: return .failure(Problem(description: "'\(key)' is not a scalar, which snapd cannot read"))
            case .unsupported:
                return .failure(
                    Problem(
                        description:
                            "'\(key)' uses an anchor, alias, tag or block scalar, which snap-export does not read"))
            }
        }
        let name: String?
        let version: String?
        let declared: String?
        do {
            name = try text("name").get()
            version = try text("version").get()
            declared = try text("type").get()
        } catch {
            return .failure(error)
        }
        var type = "app"
        if let declared {
            let normalized = declared == "application" ? "app" : declared
            guard validTypes.contains(normalized) else {
                return .failure(Problem(description: "invalid snap type '\(declared)', so snapd cannot read this snap"))
            }
            type = normalized
        }
        if name == "snapd" { type = "snapd" }
        return .success(SnapYaml(name: name ?? "", version: version ?? "", type: type))
    }

    /// Why a snap.yaml cannot be read.
    public struct Problem: Error, Sendable, Equatable, CustomStringConvertible {
        public var description: String
    }
}
