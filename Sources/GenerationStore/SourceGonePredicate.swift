/// Decides whether the source of a generation is gone (a removed snap revision, a superseded host export).
///
/// Given the generation and every readable generation of the same name in publication order. The store
/// knows nothing of sources; the layer above supplies this. Must not fail: when in doubt, return false.
public typealias SourceGonePredicate =
    @Sendable (_ generation: GenerationRecord, _ siblings: [GenerationRecord]) -> Bool
