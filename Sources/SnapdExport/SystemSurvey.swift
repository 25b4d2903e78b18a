import GenerationStore

/// What the system offers as tools providers, read without writing anything: every mounted revision of the
/// snapd and core snaps that could be published, the current revision of each as a provider candidate, the
/// host, and a warning (naming the file) for everything that could not be used.
public struct SystemSurvey: Sendable, Equatable {
    /// A change that snapd is about to make (or just made) to one snap, applied over what the snap mount
    /// dir says: `link` runs before snapd moves `current`, `unlink` after it moved it away.
    public enum Adjustment: Sendable, Equatable {
        /// `INSTANCE`'s current revision is taken to be `revision`.
        case linking(instance: String, revision: String)
        /// `revision` of `INSTANCE` is going away: never current, never published.
        case unlinking(instance: String, revision: String)
    }

    public var settings: SnapdSettings
    /// Every source that can be published: each usable mounted revision of snapd and core, and the host.
    public var sources: [ToolsSource]
    /// The snapd snap, core and the host as candidates (current revisions only), in that order.
    public var candidates: [ProviderCandidate]
    /// Everything that could not be used, each naming its file.
    public var warnings: [SnapdWarning]

    /// The candidate of one kind.
    public func candidate(_ kind: ToolsSource.Kind) -> ProviderCandidate {
        candidates.first { $0.kind == kind } ?? ProviderCandidate(kind: kind, unavailable: "not read")
    }

    /// Reads the snap mount dir and the host's tools.
    public static func read(
        _ settings: SnapdSettings, system: any SystemCalls, adjustment: Adjustment? = nil
    ) -> SystemSurvey {
        var reader = Reader(settings: settings, files: SystemFiles(system: system), adjustment: adjustment)
        let snaps = ProviderSnap.all.map { reader.snap($0) }
        let host = reader.host()
        var sources = reader.sources
        if let source = host.source { sources.append(source) }
        var seen = Set<SnapdWarning>()
        let warnings = reader.warnings.filter { seen.insert($0).inserted }
        return SystemSurvey(
            settings: settings, sources: sources, candidates: snaps + [host], warnings: warnings)
    }

    /// Reads one snap revision (mounted, of the right type, with an info file with a valid VERSION): its
    /// source, or why it is none (the warnings name the files).
    static func readRevision(
        _ settings: SnapdSettings, system: any SystemCalls, _ provider: ProviderSnap, revision: String
    ) -> (source: ToolsSource?, reason: String?, warnings: [SnapdWarning]) {
        var reader = Reader(settings: settings, files: SystemFiles(system: system), adjustment: nil)
        switch reader.revision(
            kind: provider.kind, instance: provider.instance, type: provider.type, revision: revision)
        {
        case .success(let source): return (source, nil, reader.warnings)
        case .failure(let problem): return (nil, problem.reason, reader.warnings)
        }
    }

    struct Problem: Error {
        var reason: String
    }

    struct Reader {
        let settings: SnapdSettings
        let files: SystemFiles
        let adjustment: Adjustment?
        var warnings: [SnapdWarning] = []
        var sources: [ToolsSource] = []

        mutating func warn(_ path: String, _ message: String) -> Problem {
            warnings.append(SnapdWarning(path: path, message: message))
            return Problem(reason: message + " (" + path + ")")
        }

        /// Every usable mounted revision of `instance` goes to `sources`; its current one is the candidate.
        mutating func snap(_ provider: ProviderSnap) -> ProviderCandidate {
            let (kind, instance, type) = (provider.kind, provider.instance, provider.type)
            let directory = settings.snapMountDir + "/" + instance
            let names: [String]
            do {
                guard let listed = try files.list(directory) else {
                    return ProviderCandidate(kind: kind, unavailable: "the \(instance) snap is not installed")
                }
                names = listed
            } catch {
                let problem = warn(directory, "cannot read the \(instance) snap's directory: \(error)")
                return ProviderCandidate(kind: kind, unavailable: problem.reason)
            }
            var revisions: [String] = []
            let link = directory + "/" + SnapdSettings.currentRevisionLink
            for name in names.sorted() where name != SnapdSettings.currentRevisionLink && !name.hasPrefix(".") {
                if (try? files.lstat(directory + "/" + name))??.kind == .directory { revisions.append(name) }
            }
            var excluded: String?
            var current: String?
            var currentProblem: String?
            switch adjustment {
            case .linking(instance, let revision):
                current = revision
            case .unlinking(instance, let revision):
                excluded = revision
            default:
                break
            }
            if current == nil {
                do {
                    if let target = try files.readlink(link) {
                        let name = String(target.split(separator: "/").last ?? "")
                        if revisions.contains(name) {
                            current = name
                        } else {
                            currentProblem =
                                warn(link, "dangling: names revision '\(target)', which does not exist")
                                .reason
                        }
                    } else {
                        currentProblem = "the \(instance) snap has no current revision (\(link) does not exist)"
                    }
                } catch {
                    currentProblem = warn(link, "cannot read the current link: \(error)").reason
                }
            }
            if let excluded, current == excluded {
                current = nil
                currentProblem = "its current revision \(excluded) is being unlinked"
            }
            var candidate: ProviderCandidate?
            for revision in revisions where revision != excluded {
                switch self.revision(kind: kind, instance: instance, type: type, revision: revision) {
                case .success(let source):
                    sources.append(source)
                    if revision == current { candidate = ProviderCandidate(kind: kind, source: source) }
                case .failure(let problem):
                    if revision == current { candidate = ProviderCandidate(kind: kind, unavailable: problem.reason) }
                }
            }
            if let candidate { return candidate }
            if let current, !revisions.contains(current) {
                let path = directory + "/" + current
                return ProviderCandidate(
                    kind: kind, unavailable: warn(path, "revision \(current) does not exist").reason)
            }
            return ProviderCandidate(
                kind: kind, unavailable: currentProblem ?? "the \(instance) snap has no current revision")
        }

        /// One revision: mounted (holds `meta/snap.yaml`), of the expected type, with `usr/lib/snapd/info`.
        mutating func revision(kind: ToolsSource.Kind, instance: String, type: String, revision: String)
            -> Result<ToolsSource, Problem>
        {
            let root = settings.snapMountDir + "/" + instance + "/" + revision
            let yamlPath = root + "/meta/snap.yaml"
            do {
                guard try files.lstat(yamlPath) != nil else {
                    return .failure(warn(root, "revision \(revision) is not mounted (no meta/snap.yaml)"))
                }
            } catch {
                return .failure(warn(root, "cannot read the revision directory: \(error)"))
            }
            let yaml: SnapYaml
            do {
                yaml = SnapYaml(parsing: try files.read(yamlPath))
            } catch {
                return .failure(warn(yamlPath, "cannot read: \(error)"))
            }
            guard let actual = yaml.type else {
                return .failure(
                    warn(yamlPath, "has no 'type' (snapd reads it as an app snap), so it provides no tools"))
            }
            guard actual == type else {
                return .failure(warn(yamlPath, "has type '\(actual)', not '\(type)', so it provides no tools"))
            }
            let infoPath = root + "/usr/lib/snapd/info"
            let version: DebianVersion
            switch readVersion(infoPath) {
            case .success(let value): version = value
            case .failure(let problem): return .failure(problem)
            }
            let toolsDirectory = root + "/usr/lib/snapd"
            guard let tools = presentTools(toolsDirectory) else {
                return .failure(Problem(reason: "cannot read \(toolsDirectory)"))
            }
            guard !tools.isEmpty else {
                return .failure(warn(toolsDirectory, "has none of the tools, so it provides none"))
            }
            return .success(.snap(kind: kind, instance: instance, revision: revision, version: version, tools: tools))
        }

        /// The host's tools in the libexec dir, except on Ubuntu Core.
        mutating func host() -> ProviderCandidate {
            if settings.isUbuntuCore {
                return ProviderCandidate(kind: .host, unavailable: "Ubuntu Core has no host tools")
            }
            guard settings.libexecDir.hasPrefix("/") else {
                let problem = warn(settings.libexecDir, "the host's tools directory must be an absolute path")
                return ProviderCandidate(kind: .host, unavailable: problem.reason)
            }
            let infoPath = settings.libexecDir + "/info"
            switch readVersion(infoPath) {
            case .failure(let problem):
                return ProviderCandidate(kind: .host, unavailable: problem.reason)
            case .success(let version):
                guard let tools = presentTools(settings.libexecDir) else {
                    return ProviderCandidate(kind: .host, unavailable: "cannot read \(settings.libexecDir)")
                }
                guard !tools.isEmpty else {
                    let problem = warn(settings.libexecDir, "has none of the tools, so it provides none")
                    return ProviderCandidate(kind: .host, unavailable: problem.reason)
                }
                return ProviderCandidate(kind: .host, source: .host(version: version, tools: tools))
            }
        }

        /// The `VERSION=` of an info file, as a valid Debian version.
        mutating func readVersion(_ path: String) -> Result<DebianVersion, Problem> {
            let bytes: [UInt8]
            do {
                bytes = try files.read(path)
            } catch .noSuchFileOrDirectory {
                return .failure(warn(path, "missing: no info file, so no tools version and no candidate"))
            } catch {
                return .failure(warn(path, "cannot read: \(error)"))
            }
            guard let text = KeyValueFile(bytes).values["VERSION"], !text.isEmpty else {
                return .failure(warn(path, "has no VERSION= line, so no tools version and no candidate"))
            }
            guard let version = DebianVersion(text) else {
                return .failure(warn(path, "VERSION '\(text)' is not a valid Debian version, so no candidate"))
            }
            return .success(version)
        }

        /// Which of the nine tools exist in `directory` (as any kind of file; never followed).
        mutating func presentTools(_ directory: String) -> [String]? {
            var present: [String] = []
            for tool in SnapdSettings.tools {
                do {
                    if try files.lstat(directory + "/" + tool) != nil { present.append(tool) }
                } catch {
                    _ = warn(directory + "/" + tool, "cannot read: \(error)")
                    return nil
                }
            }
            return present
        }
    }
}
