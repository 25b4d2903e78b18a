/// What `refresh`, `link` or `unlink` of a tools provider did (or, for a dry run, would do).
public struct RefreshReport: Sendable, Equatable {
    /// True when nothing was written because the caller asked only for the plan.
    public var dryRun: Bool
    /// The generations published (or to be published), in order.
    public var published: [ToolsSource]
    /// What `snapd/current` named before.
    public var previousCurrent: String?
    /// What `snapd/current` names after (or would name).
    public var current: String?
    /// The provider rule's decision; `decision.chosen` is nil when no provider exists (current unchanged).
    public var decision: ProviderDecision
    /// Everything that could not be used, each naming its file.
    public var warnings: [SnapdWarning]
    /// The system as read (candidates, with what the re-exec check saw of each).
    public var survey: SystemSurvey

    /// True when a generation was published or `current` moved.
    public var changed: Bool { !published.isEmpty || previousCurrent != current }

    init(_ plan: ToolsPlan, dryRun: Bool, published: [ToolsSource], current: String?) {
        self.dryRun = dryRun
        self.published = published
        self.previousCurrent = plan.current
        self.current = current
        self.decision = plan.decision
        self.warnings = plan.warnings
        self.survey = plan.survey
    }
}
