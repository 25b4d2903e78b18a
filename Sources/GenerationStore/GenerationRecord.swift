/// A published generation as the policy sees it: where it is and what its manifest says.
public struct GenerationRecord: Sendable, Equatable {
    public var name: String
    public var generation: String
    public var manifest: Manifest

    public init(name: String, generation: String, manifest: Manifest) {
        self.name = name
        self.generation = generation
        self.manifest = manifest
    }
}
