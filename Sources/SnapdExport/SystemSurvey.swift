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

    /// Reads one snap revision (mounted, with at least one tool): its source, or why it is none (the
    /// warnings name the files).
    static func readRevision(
        _ settings: SnapdSettings, system: any SystemCalls, _ provider: ProviderSnap, revision: String
    ) -> (source: ToolsSource?, reason: String?, unreadable: Bool, warnings: [SnapdWarning]) {
        var reader = Reader(settings: settings, files: SystemFiles(system: system), adjustment: nil)
        switch reader.revision(kind: provider.kind, instance: provider.instance, revision: revision) {
        case .success(let source): return (source, nil, false, reader.warnings)
        case .failure(let problem): return (nil, problem.reason, problem.unreadable, reader.warnings)
        }
    }

    struct Problem: Error {
        var reason: String
        /// True when a call failed (`EIO`, `EACCES`, …: anything but "not there"): what is there is not known.
        var unreadable = false
    }

    struct Reader {
        let settings: SnapdSettings
        let files: SystemFiles
        let adjustment: Adjustment?
        var warnings: [SnapdWarning] = []
        var sources: [ToolsSource] = []
        /// Why an info file gave no version, by path.
        var versionProblems: [String: String] = [:]
        /// The info files that snap-export could not read as snapd reads them (snapd may find a version).
        var uncertainVersions: Set<String> = []
        /// The info files whose read failed (`EIO`, …), with the reason: the version is not known.
        var unreadableVersions: [String: String] = [:]

        mutating func warn(_ path: String, _ message: String) -> Problem {
            warnings.append(SnapdWarning(path: path, message: message))
            return Problem(reason: message + " (" + path + ")")
        }

        /// A call that failed on `path`: a warning, and a problem marked `unreadable` (what is there is not known,
        /// so it must not decide anything).
        mutating func unreadable(_ path: String, _ message: String) -> Problem {
            var problem = warn(path, message)
            problem.unreadable = true
            return problem
        }

        /// Every usable mounted revision of `instance` goes to `sources`; its current one is the candidate,
        /// with what the re-exec check sees of it (the binary, the info VERSION).
        mutating func snap(_ provider: ProviderSnap) -> ProviderCandidate {
            let (kind, instance) = (provider.kind, provider.instance)
            if let problem = settings.snapMountDirProblem {
                return ProviderCandidate(kind: kind, unavailable: "no snap mount dir: " + problem)
            }
            let directory = settings.snapMountDir + "/" + instance
            let names: [String]
            do {
                guard let listed = try files.list(directory) else {
                    return ProviderCandidate(kind: kind, unavailable: "the \(instance) snap is not installed")
                }
                names = listed
            } catch {
                let problem = unreadable(directory, "cannot read the \(instance) snap's directory: \(error)")
                return ProviderCandidate(kind: kind, unavailable: problem.reason, readFailure: problem.reason)
            }
            var revisions: [String] = []
            /// Entries whose `lstat` failed: whether they are revisions is not known.
            var unreadableEntries: [String: String] = [:]
            let link = directory + "/" + SnapdSettings.currentRevisionLink
            for name in names.sorted() where name != SnapdSettings.currentRevisionLink && !name.hasPrefix(".") {
                let status: FileStatus?
                do {
                    status = try files.lstat(directory + "/" + name)
                } catch {
                    unreadableEntries[name] = unreadable(directory + "/" + name, "cannot lstat: \(error)").reason
                    continue
                }
                guard status?.kind == .directory else { continue }
                // A directory whose name cannot be a generation (`previous`, `current`): no revision snapd
                // makes; skipped, never published.
                guard (try? NameRules.validateGeneration(name, what: "revision", context: "")) != nil else {
                    _ = warn(directory + "/" + name, "not a snap revision snap-export can export (a reserved name); skipped")
                    continue
                }
                revisions.append(name)
            }
            var excluded: String?
            var current: String?
            var currentProblem: String?
            /// Why the current revision is not known, or what of it could not be read.
            var readFailure: String?
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
                        } else if let failure = unreadableEntries[name] {
                            current = name
                            currentProblem = failure
                            readFailure = failure
                        } else {
                            currentProblem =
                                warn(link, "dangling: names revision '\(target)', which does not exist")
                                .reason
                        }
                    } else {
                        currentProblem = "the \(instance) snap has no current revision (\(link) does not exist)"
                    }
                } catch {
                    currentProblem = unreadable(link, "cannot read the current link: \(error)").reason
                    readFailure = currentProblem
                }
            }
            if case .linking(instance, let revision) = adjustment, let failure = unreadableEntries[revision] {
                readFailure = failure
            }
            if let excluded, current == excluded {
                current = nil
                currentProblem = "its current revision \(excluded) is being unlinked"
            }
            var candidate: ProviderCandidate?
            for revision in revisions where revision != excluded {
                switch self.revision(kind: kind, instance: instance, revision: revision) {
                case .success(let source):
                    sources.append(source)
                    if revision == current {
                        candidate = probe(kind: kind, instance: instance, revision: revision, source: source)
                    }
                case .failure(let problem):
                    // snapd's check reads neither snap.yaml nor the tools: it may still run this revision.
                    if revision == current {
                        if problem.unreadable { readFailure = readFailure ?? problem.reason }
                        candidate = probe(
                            kind: kind, instance: instance, revision: revision, source: nil, unavailable: problem.reason
                        )
                    }
                }
            }
            if var candidate {
                candidate.readFailure = readFailure ?? candidate.readFailure
                return candidate
            }
            if let readFailure {
                return ProviderCandidate(kind: kind, unavailable: currentProblem ?? readFailure, readFailure: readFailure)
            }
            if let current, !revisions.contains(current) {
                let path = directory + "/" + current
                return ProviderCandidate(
                    kind: kind, unavailable: warn(path, "revision \(current) does not exist").reason)
            }
            return ProviderCandidate(
                kind: kind, unavailable: currentProblem ?? "the \(instance) snap has no current revision")
        }

        /// What `tool_linux.go` sees of the current revision: whether `<root>/snap/<instance>/current/
        /// usr/bin/snap` exists (`os.Stat`, so through symlinks; for `link`, the revision being linked in
        /// place of `current`), and the VERSION of its info file.
        mutating func probe(
            kind: ToolsSource.Kind, instance: String, revision: String, source: ToolsSource?, unavailable: String? = nil
        ) -> ProviderCandidate {
            var link = SnapdSettings.currentRevisionLink
            if case .linking(instance, let revision) = adjustment { link = revision }
            let binary = settings.reexecSnapDir + "/" + instance + "/" + link + "/" + SnapdSettings.reexecBinary
            var hasBinary = false
            var note: String
            var readFailure: String?
            do {
                hasBinary = try files.stat(binary) != nil
                note = binary + (hasBinary ? " exists" : " does not exist")
            } catch {
                note = "cannot stat \(binary): \(error)"
                // snapd's os.Stat would count it as missing; snap-export does not know what snapd sees.
                readFailure = unreadable(binary, "cannot stat: \(error), so whether snapd re-execs is not known").reason
            }
            let info =
                settings.snapMountDir + "/" + instance + "/" + revision + SnapdDirectories.coreLibexecDir + "/info"
            var version = source?.version
            if source == nil && hasBinary { version = readVersion(info) }
            return ProviderCandidate(
                kind: kind, source: source, unavailable: unavailable, hasBinary: hasBinary, binaryNote: note,
                version: version, versionProblem: version == nil ? versionProblems[info] ?? "no info file" : nil,
                versionUncertain: uncertainVersions.contains(info), readFailure: readFailure ?? unreadableVersions[info])
        }

        /// One revision: mounted (holds `meta/snap.yaml`, which must read as snapd reads it) and with at
        /// least one of the tools. Its info VERSION may be missing (the re-exec rule then says so); its type
        /// is not consulted, as `tool_linux.go` does not consult it.
        mutating func revision(kind: ToolsSource.Kind, instance: String, revision: String)
            -> Result<ToolsSource, Problem>
        {
            let root = settings.snapMountDir + "/" + instance + "/" + revision
            let yamlPath = root + "/meta/snap.yaml"
            do {
                guard try files.lstat(yamlPath) != nil else {
                    return .failure(warn(root, "revision \(revision) is not mounted (no meta/snap.yaml)"))
                }
            } catch {
                return .failure(unreadable(root, "cannot read the revision directory: \(error)"))
            }
            do {
                if case .failure(let problem) = SnapYaml.parse(try files.read(yamlPath)) {
                    return .failure(warn(yamlPath, "\(problem), so the revision provides no tools"))
                }
            } catch {
                // A FIFO or an oversized file is what is there; a failing call says nothing of what is there.
                if error.errno != nil { return .failure(unreadable(yamlPath, "cannot read: \(error)")) }
                return .failure(warn(yamlPath, "cannot read: \(error)"))
            }
            let toolsDirectory = root + SnapdDirectories.coreLibexecDir
            let tools: [String]
            switch presentTools(toolsDirectory) {
            case .failure(let problem): return .failure(problem)
            case .success(let present): tools = present
            }
            guard !tools.isEmpty else {
                return .failure(warn(toolsDirectory, "has none of the tools, so it provides none"))
            }
            let infoPath = toolsDirectory + "/info"
            let version = readVersion(infoPath)
            if let failure = unreadableVersions[infoPath] { return .failure(Problem(reason: failure, unreadable: true)) }
            return .success(.snap(kind: kind, instance: instance, revision: revision, version: version, tools: tools))
        }

        /// The host's tools in the libexec dir, except on Ubuntu Core. Its info VERSION stands for the
        /// version compiled into the host's snapd (both come from one build step); it may be missing, which
        /// matters only when a snap's version must be compared with it.
        mutating func host() -> ProviderCandidate {
            if settings.isUbuntuCore {
                return ProviderCandidate(kind: .host, unavailable: "Ubuntu Core has no host tools")
            }
            guard settings.libexecDir.hasPrefix("/") else {
                let problem = warn(settings.libexecDir, "the host's tools directory must be an absolute path")
                return ProviderCandidate(kind: .host, unavailable: problem.reason)
            }
            let infoPath = settings.libexecDir + "/info"
            let version = readVersion(infoPath)
            let tools: [String]
            switch presentTools(settings.libexecDir) {
            case .failure(let problem):
                return ProviderCandidate(kind: .host, unavailable: problem.reason, readFailure: problem.reason)
            case .success(let present):
                tools = present
            }
            let readFailure = unreadableVersions[infoPath]
            guard !tools.isEmpty else {
                let problem = warn(settings.libexecDir, "has none of the tools, so it provides none")
                return ProviderCandidate(
                    kind: .host, source: nil, unavailable: problem.reason, version: version,
                    versionProblem: versionProblems[infoPath], versionUncertain: uncertainVersions.contains(infoPath),
                    readFailure: readFailure)
            }
            return ProviderCandidate(
                kind: .host, source: .host(version: version, tools: tools), version: version,
                versionProblem: versionProblems[infoPath], versionUncertain: uncertainVersions.contains(infoPath),
                readFailure: readFailure)
        }

        /// The `VERSION=` of an info file as `SnapdVersionFromInfoFile` reads it; nil (with a warning and the
        /// reason in `versionProblems`) when there is none.
        mutating func readVersion(_ path: String) -> String? {
            let bytes: [UInt8]
            do {
                bytes = try files.read(path)
            } catch {
                let missing = error.errno == .noSuchFileOrDirectory
                var reason = missing ? "\(path) is missing" : "cannot read \(path): \(error)"
                if error.errno == nil && error.problem != .notRegular(.directory) {
                    // SystemFiles.read refuses a file over its size cap or not regular; snapd reads any.
                    reason += " (over \(SystemFiles.sizeLimit >> 20) MiB or not a regular file; snapd would read it)"
                    uncertainVersions.insert(path)
                }
                versionProblems[path] = reason
                let message = (missing ? "missing" : "cannot read: \(error)") + ", so no tools version"
                if !missing, error.errno != nil {
                    // A failing call, not an absent file: the version is not known, not missing.
                    unreadableVersions[path] = unreadable(path, message + " is known").reason
                } else {
                    _ = warn(path, message)
                }
                return nil
            }
            switch SnapdInfoFile.version(bytes) {
            case .success(let version):
                return version
            case .failure(let problem):
                versionProblems[path] = "\(path) \(problem)"
                if !problem.certain { uncertainVersions.insert(path) }
                _ = warn(path, "\(problem), so no tools version")
                return nil
            }
        }

        /// Which of the nine tools exist in `directory` (as any kind of file; never followed); a failing `lstat`
        /// is an `unreadable` problem.
        mutating func presentTools(_ directory: String) -> Result<[String], Problem> {
            var present: [String] = []
            for tool in SnapdSettings.tools {
                do {
                    if try files.lstat(directory + "/" + tool) != nil { present.append(tool) }
                } catch {
                    return .failure(unreadable(directory + "/" + tool, "cannot lstat: \(error)"))
                }
            }
            return .success(present)
        }
    }
}
