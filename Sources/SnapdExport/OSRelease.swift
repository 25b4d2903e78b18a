/// What snap-export needs from `os-release(5)`: the distribution's `ID` and `ID_LIKE`.
public struct OSRelease: Sendable, Equatable {
    /// `ID`, lower-case (`ubuntu`, `debian`, `fedora`, `ubuntu-core`); `linux` when absent, as os-release says.
    public var id: String
    /// `ID_LIKE`, split on spaces.
    public var idLike: [String]

    public init(id: String, idLike: [String] = []) {
        self.id = id
        self.idLike = idLike
    }

    /// Parses the text of an os-release file.
    public init(parsing bytes: [UInt8]) {
        let file = KeyValueFile(bytes)
        let id = file.values["ID"].map { $0.lowercased() } ?? ""
        self.id = id.isEmpty ? "linux" : id
        self.idLike = (file.values["ID_LIKE"] ?? "").lowercased().split(separator: " ").map(String.init)
    }

    /// Ubuntu Core (`ID=ubuntu-core`): no host tools, snaps only.
    public var isUbuntuCore: Bool { id == "ubuntu-core" }

    /// True when `ID` or any `ID_LIKE` is one of `ids`.
    public func isLike(_ ids: Set<String>) -> Bool { ids.contains(id) || idLike.contains { ids.contains($0) } }

    /// Debian or Ubuntu, or a derivative: where snapd re-executes from its snap (snapd's `DistroLike`).
    public var isDebianLike: Bool { isLike(["debian", "ubuntu"]) }

    /// Fedora, RHEL, CentOS and their derivatives: snaps under `/var/lib/snapd/snap`, tools in
    /// `/usr/libexec/snapd`.
    public var isFedoraLike: Bool { isLike(["fedora", "rhel", "centos"]) }
}
