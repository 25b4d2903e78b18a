/// A possible provider of the tools as the system offers it: what it would export, and what snapd's re-exec
/// check sees of it.
public struct ProviderCandidate: Sendable, Equatable {
    public var kind: ToolsSource.Kind
    /// The current revision's source (snaps) or the host's: what would be exported; nil when nothing can be.
    public var source: ToolsSource?
    /// Why nothing can be exported from it (not installed, not mounted, no tools, …); nil when `source` is set.
    public var unavailable: String?
    /// Snaps: whether the binary snapd would run exists in the current revision (`<root>/snap/<name>/current/
    /// usr/bin/snap`, followed like `os.Stat`), which is what `tool_linux.go` checks. Always true for the host.
    public var hasBinary: Bool
    /// What was found at that path, for people (`/snap/snapd/current/usr/bin/snap does not exist`).
    public var binaryNote: String
    /// The `info` file's `VERSION=` as written, or nil with `versionProblem` saying why there is none.
    public var version: String?
    public var versionProblem: String?
    /// True when there is no `version` because snap-export could not read the info file as snapd does (over
    /// the size cap, not a regular file, a VERSION that is not UTF-8): snapd may well find one.
    public var versionUncertain: Bool
    /// Why what this candidate offers is not known: a read of one of its deciding files failed (`EIO`,
    /// `EACCES`, … — anything but "not there"), so its other fields may be wrong. The rule never decides on
    /// such a candidate: it gives no provider and `current` stays (docs/snapd.md, "Unreadable sources").
    public var readFailure: String?

    public init(
        kind: ToolsSource.Kind, source: ToolsSource?, unavailable: String? = nil, hasBinary: Bool = true,
        binaryNote: String = "", version: String? = nil, versionProblem: String? = nil, versionUncertain: Bool = false,
        readFailure: String? = nil
    ) {
        self.kind = kind
        self.source = source
        self.unavailable = source == nil ? (unavailable ?? "no tools") : nil
        self.hasBinary = hasBinary
        self.binaryNote = binaryNote
        self.version = version ?? source?.version
        self.versionProblem = self.version == nil ? (versionProblem ?? "no info file read") : nil
        self.versionUncertain = self.version == nil && versionUncertain
        self.readFailure = readFailure
    }

    /// A candidate that offers nothing at all (not installed, not readable: then `readFailure` says why).
    public init(kind: ToolsSource.Kind, unavailable: String, readFailure: String? = nil) {
        self.init(
            kind: kind, source: nil, unavailable: unavailable, hasBinary: false, binaryNote: unavailable,
            versionProblem: unavailable, readFailure: readFailure)
    }

    /// The tools of the nine this candidate lacks (all of them when it has no source).
    public var missingTools: [String] {
        let present = Set(source?.tools ?? [])
        return SnapdSettings.tools.filter { !present.contains($0) }
    }
}

/// The outcome of the provider rule: the chosen source (if any), why, and a verdict on every candidate.
public struct ProviderDecision: Sendable, Equatable {
    /// What the rule says about one candidate.
    public struct Verdict: Sendable, Equatable {
        public var kind: ToolsSource.Kind
        /// Its source, when it has one.
        public var source: ToolsSource?
        /// True for the chosen provider.
        public var chosen: Bool
        /// Why it was chosen, or why not.
        public var reason: String
        /// The tools of the nine it lacks.
        public var missingTools: [String]
    }

    /// The provider snapd itself would run the tools from; nil when there is none or it cannot be exported.
    public var chosen: ToolsSource?
    /// Which kind snapd would run the tools from, even when nothing of it can be exported (then `chosen` is
    /// nil); nil when snapd would run none.
    public var provider: ToolsSource.Kind?
    /// Why (or why there is none).
    public var reason: String
    /// Whether the rule compared a snap's `info` VERSION with the host's (it does only when re-exec is on).
    public var comparedVersions: Bool
    /// One verdict per provider kind, in the order snapd, core, host.
    public var verdicts: [Verdict]
    /// Why there is no provider when the reason is a failed read of an input the rule needed (os-release, a
    /// candidate the rule looked at): `current` stays, and `refresh` and `explain` exit 74. Nil otherwise.
    public var readFailure: String?
}

/// The system as the re-exec rule needs it.
public struct ReexecSystem: Sendable, Equatable {
    /// `release.OnClassic`.
    public var onClassic: Bool
    /// `release.DistroLike("debian", "ubuntu")`.
    public var debianLike: Bool
    /// The os-release `ID`, for reasons.
    public var distribution: String
    /// `SNAP_REEXEC`.
    public var reexec: ReexecSetting
    /// The binary whose presence in a snap decides (`usr/bin/snap`), for reasons.
    public var binary: String
    /// Why snapd runs no tool at all here (it would crash on this os-release, or has no snap mount dir);
    /// nil normally.
    public var broken: String?
    /// True when `broken` is a read that failed (os-release could not be read), not a fact of the system.
    public var brokenByReadFailure: Bool

    public init(
        onClassic: Bool, debianLike: Bool, distribution: String, reexec: ReexecSetting, binary: String,
        broken: String? = nil, brokenByReadFailure: Bool = false
    ) {
        self.onClassic = onClassic
        self.debianLike = debianLike
        self.distribution = distribution
        self.reexec = reexec
        self.binary = binary
        self.broken = broken
        self.brokenByReadFailure = broken != nil && brokenByReadFailure
    }
}

/// snapd's re-exec rule: which provider's tools snapd runs on this system. It follows
/// `snapdtool/tool_linux.go`, `ExecInSnapdOrCoreSnap` (with `DistroSupportsReExec`, `IsReexecEnabled`,
/// `IsReexecExplicitlyEnabled` and `systemSnapSupportsReExec`), step by step; docs/snapd.md has the table.
///
/// On classic:
/// 1. `SNAP_REEXEC` false (trimmed, `strconv.ParseBool`) → the host, whatever its `info` says.
/// 2. Not Debian/Ubuntu-like → the host, unless `SNAP_REEXEC` is explicitly enabled (raw value not empty).
/// 3. The snapd snap if its current revision has the binary, else core if its current revision has it,
///    else the host. The fallback to core happens **only** there: never because of the snapd snap's
///    `info`, type or tools.
/// 4. That snap's `info` VERSION: unreadable or missing → the host (but no provider when snap-export could
///    not read it as snapd does: `versionUncertain`). Compared with the host's
///    (`SnapdVersion.compare(host, snap)`): either invalid → the host; the host's newer → the host; else
///    the snap.
///
/// Where snapd cannot run at all (`ReexecSystem.broken`), there is no provider. On Ubuntu Core snapd does
/// not re-exec: the snapd snap's current revision runs (core's without a snapd
/// snap), with no version comparison. When the provider snapd would run cannot be exported (no tools,
/// a conflicting generation) or the host's version needed for step 4 is unknown, there is no provider:
/// nothing is switched, since the tools snapd runs are not certain. The same holds when a read of what the rule
/// looks at failed (a candidate's `readFailure`, an unreadable os-release): an unreadable source never changes
/// the provider; the decision's `readFailure` says which read.
public enum ProviderRule {
    /// Applies the rule.
    public static func decide(
        _ system: ReexecSystem, snapd: ProviderCandidate, core: ProviderCandidate, host: ProviderCandidate
    ) -> ProviderDecision {
        var notes: [ToolsSource.Kind: String] = [:]
        var provider: ToolsSource.Kind?
        var reason: String
        var compared = false
        let candidates = [snapd, core, host]

        func notRun(_ why: String) -> String { "not used: " + why }

        func undecided(_ why: String, readFailure: String?) -> ProviderDecision {
            ProviderDecision(
                chosen: nil, provider: nil, reason: why, comparedVersions: false,
                verdicts: candidates.map {
                    ProviderDecision.Verdict(
                        kind: $0.kind, source: $0.source, chosen: false, reason: notRun(why),
                        missingTools: $0.missingTools)
                },
                readFailure: readFailure)
        }

        if let broken = system.broken {
            return undecided(broken, readFailure: system.brokenByReadFailure ? broken : nil)
        }
        // The candidates the rule looks at on this system; a failed read of any of them leaves no provider.
        var consulted: [ProviderCandidate] = [snapd]

        if !system.onClassic {
            notes[.host] = "no candidate: Ubuntu Core has no host tools"
            if snapd.hasBinary {
                provider = .snapd
                reason = "on Ubuntu Core the snapd snap runs (\(snapd.binaryNote)), with no version comparison"
                notes[.core] = notRun("the snapd snap takes precedence")
            } else if core.hasBinary {
                consulted.append(core)
                provider = .core
                reason =
                    "on Ubuntu Core without a snapd snap that has \(system.binary) (\(snapd.binaryNote)), core runs"
                notes[.snapd] = notRun(snapd.binaryNote)
            } else {
                consulted.append(core)
                reason = "on Ubuntu Core neither the snapd snap nor core has \(system.binary)"
                notes[.snapd] = notRun(snapd.binaryNote)
                notes[.core] = notRun(core.binaryNote)
            }
        } else if !system.reexec.isEnabled {
            consulted = [host]
            provider = .host
            reason = "\(system.reexec) turns re-exec off, so snapd runs the host's tools whatever its info says"
            for snap in [snapd, core] { notes[snap.kind] = notRun("re-exec is off") }
        } else if !system.debianLike && !system.reexec.isExplicitlyEnabled {
            consulted = [host]
            provider = .host
            reason =
                "'\(system.distribution)' is not Debian/Ubuntu-like, where snapd does not re-exec unless "
                + "SNAP_REEXEC is set (it is unset or empty), so snapd runs the host's tools"
            for snap in [snapd, core] { notes[snap.kind] = notRun("re-exec is off on this distribution") }
        } else {
            let why =
                system.debianLike
                ? "re-exec is on (\(system.reexec))"
                : "'\(system.distribution)' does not re-exec by default, but \(system.reexec)"
            var target: ProviderCandidate?
            consulted.append(host)
            if snapd.hasBinary {
                target = snapd
                notes[.core] = notRun("the snapd snap has \(system.binary), so core is not looked at")
            } else {
                notes[.snapd] = notRun(snapd.binaryNote + ", so snapd does not re-exec into it")
                consulted.append(core)
                if core.hasBinary {
                    target = core
                } else {
                    notes[.core] = notRun(core.binaryNote)
                }
            }
            if let target {
                let label = target.kind == .snapd ? "the snapd snap" : "core"
                if let snapVersion = target.version {
                    if let hostVersion = host.version {
                        compared = true
                        switch SnapdVersion.compare(hostVersion, snapVersion) {
                        case nil:
                            let invalid = SnapdVersion.isValid(hostVersion) ? snapVersion : hostVersion
                            provider = .host
                            reason =
                                "\(why), but snapd cannot compare the versions ('\(invalid)' is invalid: it has an "
                                + "epoch), so it does not re-exec"
                            notes[target.kind] = notRun("version '\(invalid)' is invalid to snapd")
                        case 1?:
                            provider = .host
                            reason =
                                "\(why), but \(label)'s tools (\(snapVersion)) are older than the host's "
                                + "(\(hostVersion))"
                            notes[target.kind] = notRun(
                                "its tools (\(snapVersion)) are older than the host's (\(hostVersion))")
                        default:
                            provider = target.kind
                            reason =
                                "\(why), \(label) has \(system.binary) and its tools (\(snapVersion)) are not older "
                                + "than the host's (\(hostVersion))"
                            notes[.host] = notRun("\(label)'s tools (\(snapVersion)) are not older")
                        }
                    } else {
                        reason =
                            "\(why) and \(label) has \(system.binary), but the host's version is unknown "
                            + "(\(host.versionProblem ?? "?")), so it is not certain whether snapd re-execs"
                        notes[target.kind] = notRun("the host's version to compare with is unknown")
                        notes[.host] = notRun("its version is unknown (\(host.versionProblem ?? "?"))")
                    }
                } else if target.versionUncertain {
                    reason =
                        "\(why) and \(label) has \(system.binary), but its info cannot be read as snapd reads it "
                        + "(\(target.versionProblem ?? "?")), so it is not certain whether snapd re-execs"
                    notes[target.kind] = notRun("its version cannot be read as snapd reads it")
                    notes[.host] = notRun("\(label)'s version is unknown")
                } else {
                    provider = .host
                    reason =
                        "\(why), but \(label)'s info gives no version (\(target.versionProblem ?? "?")), so snapd "
                        + "does not re-exec" + (target.kind == .snapd ? " (and does not fall back to core)" : "")
                    notes[target.kind] = notRun("no version (\(target.versionProblem ?? "?"))")
                }
            } else {
                provider = .host
                reason =
                    "\(why), but neither the snapd snap nor core has \(system.binary), so snapd runs the host's tools"
            }
        }

        if let unreadable = consulted.first(where: { $0.readFailure != nil }), let failure = unreadable.readFailure {
            return undecided(
                "\(failure), so it is not certain which provider snapd runs (an unreadable source never changes the "
                    + "provider)",
                readFailure: failure)
        }

        var chosen: ToolsSource?
        if let provider, let candidate = candidates.first(where: { $0.kind == provider }) {
            if let source = candidate.source {
                chosen = source
            } else {
                reason +=
                    "; but nothing of it can be exported (\(candidate.unavailable ?? "?")), so no provider is certain"
            }
        }
        let verdicts = candidates.map { candidate in
            let isChosen = chosen != nil && candidate.kind == provider
            var text = isChosen ? "chosen: " + reason : notes[candidate.kind] ?? "not used"
            if candidate.kind == provider && chosen == nil {
                text = "would run, but cannot be exported: " + (candidate.unavailable ?? "?")
            } else if candidate.source == nil, !text.hasPrefix("no candidate"), let unavailable = candidate.unavailable
            {
                text = "no candidate: \(unavailable); \(text)"
            }
            return ProviderDecision.Verdict(
                kind: candidate.kind, source: candidate.source, chosen: isChosen, reason: text,
                missingTools: candidate.missingTools)
        }
        return ProviderDecision(
            chosen: chosen, provider: provider, reason: reason, comparedVersions: compared, verdicts: verdicts,
            readFailure: nil)
    }
}
