import GenerationStore

/// What a refresh would do, worked out by reading only (no lock, no write): which generations are missing,
/// which provider the rule chooses, and whether `snapd/current` must move.
public struct ToolsPlan: Sendable, Equatable {
    /// The system as read.
    public var survey: SystemSurvey
    /// The provider rule's decision, with generation names resolved against the store.
    public var decision: ProviderDecision
    /// What would be published: the chosen provider's generation when it does not exist yet, else nothing.
    ///
    /// Only the generation `current` is to name is ever published (a revert to a revision whose generation gc
    /// removed is a publish and a switch). Other mounted revisions are not: gc may remove what is not current
    /// or previous, and publishing it again on the next refresh would churn forever (docs/snapd.md, "refresh").
    public var publications: [ToolsSource]
    /// What `snapd/current` names now.
    public var current: String?
    /// The generation `snapd/current` should name; nil when there is no provider.
    public var target: String?
    /// The survey's warnings and those about the store (a generation with unexpected content).
    public var warnings: [SnapdWarning]

    /// True when nothing is to be published and `current` already names the target (or there is none).
    public var isNoop: Bool { publications.isEmpty && (target == nil || target == current) }

    /// Resolves the survey against the store: existing generations with the same content are reused, the
    /// host's generation is named (`host`, else the first free `host-<n>`), conflicts become warnings.
    static func make(_ survey: SystemSurvey, store: ExportStore) throws(StoreError) -> ToolsPlan {
        let name = SnapdSettings.exportName
        var existing: [String: GenerationSummary] = [:]
        var current: String?
        do {
            if let status = try store.status(only: name).first {
                current = status.current
                for generation in status.generations { existing[generation.name] = generation }
            }
        } catch  where error.kind == .missingInput {
            // No export root or no snapd name yet: everything is missing.
        }
        // Each stored manifest read once (the host's current one is asked for twice: to find it, then to check it).
        var storedManifests: [String: Manifest?] = [:]
        func stored(_ generation: String) -> Manifest? {
            if let known = storedManifests[generation] { return known }
            let read = try? store.manifest(name: name, generation: generation)
            storedManifests[generation] = read
            return read
        }
        var warnings = survey.warnings
        var candidates = survey.candidates
        var sources: [ToolsSource] = []
        var publications: [ToolsSource] = []
        for var source in survey.sources {
            let libexec = survey.settings.hostLibexecDir
            let manifest = source.manifest(libexecDir: libexec)
            if source.kind == .host {
                let hostGenerations = existing.values
                    .filter { $0.source.flatMap(SnapSource.init(manifestSource:)) == .host }.map(\.name).sorted()
                if let same = hostGenerations.first(where: { stored($0)?.hasSameContent(as: manifest) == true }) {
                    source.generation = same
                } else if existing[ToolsSource.hostGeneration] != nil {
                    var number = 2
                    while existing["\(ToolsSource.hostGeneration)-\(number)"] != nil { number += 1 }
                    source.generation = "\(ToolsSource.hostGeneration)-\(number)"
                }
            }
            var usable = true
            if existing[source.generation] != nil {
                if stored(source.generation)?.hasSameContent(as: manifest) != true {
                    usable = false
                    warnings.append(
                        SnapdWarning(
                            path: store.path(name, source.generation),
                            message: "generation exists with other content than the \(source.label) "
                                + "(published generations never change), so the \(source.label) is no candidate"))
                }
            } else {
                publications.append(source)
            }
            for index in candidates.indices where candidates[index].source?.source == source.source {
                if usable {
                    candidates[index].source = source
                } else {
                    candidates[index].source = nil
                    candidates[index].unavailable = "generation \(name)/\(source.generation) exists with other content"
                }
            }
            if usable { sources.append(source) } else { publications.removeAll { $0 == source } }
        }
        var resolved = survey
        resolved.sources = sources
        resolved.candidates = candidates
        resolved.warnings = warnings
        let settings = survey.settings
        let decision = ProviderRule.decide(
            settings.reexecSystem, snapd: resolved.candidate(.snapd), core: resolved.candidate(.core),
            host: resolved.candidate(.host))
        publications.removeAll { $0.generation != decision.chosen?.generation }
        return ToolsPlan(
            survey: resolved, decision: decision, publications: publications, current: current,
            target: decision.chosen?.generation, warnings: warnings)
    }
}
