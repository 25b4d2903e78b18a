/// One exported name's history as gc reads it under the lock.
public struct NameHistory: Sendable {
    public var name: String
    public var current: String?
    public var previous: String?
    /// Every generation directory with its manifest's header (nil when unreadable).
    public var generations: [(generation: String, header: ManifestHeader?)]
    /// Generation → when it last stopped being current (retirement markers).
    public var retired: [String: Int64]

    public init(
        name: String, current: String?, previous: String?,
        generations: [(generation: String, header: ManifestHeader?)],
        retired: [String: Int64]
    ) {
        self.name = name
        self.current = current
        self.previous = previous
        self.generations = generations
        self.retired = retired
    }

    /// True when `current` or `previous` names `generation`: gc never removes it.
    func pins(_ generation: String) -> Bool { generation == current || generation == previous }
}
