/// A published generation as the policy sees it: where it is and what its manifest's header says.
public struct GenerationRecord: Sendable, Equatable {
    public var name: String
    public var generation: String
    public var header: ManifestHeader

    public init(name: String, generation: String, header: ManifestHeader) {
        self.name = name
        self.generation = generation
        self.header = header
    }
}
