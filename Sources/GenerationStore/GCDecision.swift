/// What gc decided for one generation.
public struct GCDecision: Sendable, Equatable {
    public var name: String
    public var generation: String
    /// Publication time from the manifest, if readable.
    public var published: Int64?
    /// Why it would be removed (empty: it is not a candidate).
    public var candidateBecause: [GCReason]
    /// What protects it (empty: nothing).
    public var protectedBy: [GCReason]

    /// Removed when it is a candidate and nothing protects it.
    public var remove: Bool { !candidateBecause.isEmpty && protectedBy.isEmpty }

    /// The reasons to print: why it goes, or why it stays.
    public var reasons: [GCReason] { remove ? candidateBecause : protectedBy + candidateBecause }
}
