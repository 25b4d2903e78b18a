/// A possible provider of the tools as the system offers it: usable (with its source) or not, and why not.
public struct ProviderCandidate: Sendable, Equatable {
    public var kind: ToolsSource.Kind
    /// The current revision's source (snaps) or the host's; nil when this provider is no candidate.
    public var source: ToolsSource?
    /// Why it is no candidate (not installed, not mounted, no info file, …); nil when it is one.
    public var unavailable: String?

    public init(kind: ToolsSource.Kind, source: ToolsSource) {
        self.kind = kind
        self.source = source
        self.unavailable = nil
    }

    public init(kind: ToolsSource.Kind, unavailable: String) {
        self.kind = kind
        self.source = nil
        self.unavailable = unavailable
    }
}

/// The outcome of the provider rule: the chosen source (if any), why, and a verdict on every candidate.
public struct ProviderDecision: Sendable, Equatable {
    /// What the rule says about one candidate.
    public struct Verdict: Sendable, Equatable {
        public var kind: ToolsSource.Kind
        /// Its source, when it is a candidate.
        public var source: ToolsSource?
        /// True for the chosen provider.
        public var chosen: Bool
        /// Why it was chosen, or why not.
        public var reason: String
    }

    /// The provider snapd itself would run the tools from; nil when there is none.
    public var chosen: ToolsSource?
    /// Why (or why there is none).
    public var reason: String
    /// One verdict per provider kind, in the order snapd, core, host.
    public var verdicts: [Verdict]
}

/// snapd's re-exec rule: which provider's tools snapd runs on this system.
///
/// On Ubuntu Core: the snapd snap's current revision, else core's, else none. On classic: the host when
/// re-exec is off (`SNAP_REEXEC=0`, or a distribution that is not Debian/Ubuntu-like unless
/// `SNAP_REEXEC=1`); otherwise the snapd snap (else core) only if its `info` VERSION is not older than the
/// host's, compared as Debian versions; otherwise the host. snapd checks only the snap it would re-exec
/// into: when the snapd snap is usable but older than the host, the host wins even over a newer core.
public enum ProviderRule {
    /// Applies the rule. `distribution` names the os-release `ID` in reasons.
    public static func decide(
        ubuntuCore: Bool, debianLike: Bool, distribution: String, reexec: ReexecSetting,
        snapd: ProviderCandidate, core: ProviderCandidate, host: ProviderCandidate
    ) -> ProviderDecision {
        var reasons: [ToolsSource.Kind: String] = [:]
        var chosen: ToolsSource?
        var reason: String
        func unusable(_ candidate: ProviderCandidate) -> String { "no candidate: " + (candidate.unavailable ?? "?") }

        if ubuntuCore {
            reasons[.host] = "no candidate: Ubuntu Core has no host tools"
            if let source = snapd.source {
                chosen = source
                reason = "on Ubuntu Core the snapd snap provides the tools"
                reasons[.core] = core.source == nil ? unusable(core) : "not used: the snapd snap takes precedence"
            } else if let source = core.source {
                chosen = source
                reason = "on Ubuntu Core without a usable snapd snap, core provides the tools"
                reasons[.snapd] = unusable(snapd)
            } else {
                reason = "on Ubuntu Core neither the snapd snap nor core is usable"
                reasons[.snapd] = unusable(snapd)
                reasons[.core] = unusable(core)
            }
        } else {
            var off: String?
            if reexec == .disabled {
                off = "SNAP_REEXEC=0 turns re-exec off"
            } else if !debianLike && reexec != .enabled {
                off =
                    "'\(distribution)' is not Debian/Ubuntu-like, where snapd does not re-exec "
                    + "(SNAP_REEXEC=1 forces it)"
            }
            if let off {
                for candidate in [snapd, core] {
                    reasons[candidate.kind] = candidate.source == nil ? unusable(candidate) : "not used: " + off
                }
                if let source = host.source {
                    chosen = source
                    reason = off + ", so snapd runs the host's tools"
                } else {
                    reason = off + ", and the host's tools are unusable (\(host.unavailable ?? "?"))"
                    reasons[.host] = unusable(host)
                }
            } else {
                let on = reexec == .enabled ? "SNAP_REEXEC=1 forces re-exec" : "re-exec is on"
                var snap: ToolsSource?
                if let source = snapd.source {
                    snap = source
                    reasons[.core] = core.source == nil ? unusable(core) : "not used: the snapd snap takes precedence"
                } else {
                    reasons[.snapd] = unusable(snapd)
                    snap = core.source
                    if core.source == nil { reasons[.core] = unusable(core) }
                }
                if let snap {
                    if let hostSource = host.source {
                        if snap.version < hostSource.version {
                            chosen = hostSource
                            reason =
                                "\(on), but the \(snap.label)'s tools (\(snap.version)) are older than the "
                                + "host's (\(hostSource.version))"
                            reasons[snap.kind] =
                                "not used: its tools (\(snap.version)) are older than the host's "
                                + "(\(hostSource.version))"
                        } else {
                            chosen = snap
                            reason =
                                "\(on) and its tools (\(snap.version)) are not older than the host's "
                                + "(\(hostSource.version))"
                            reasons[.host] = "not used: the \(snap.label)'s tools (\(snap.version)) are not older"
                        }
                    } else {
                        chosen = snap
                        reason = "\(on) and the host's tools are unusable (\(host.unavailable ?? "?"))"
                        reasons[.host] = unusable(host)
                    }
                } else if let hostSource = host.source {
                    chosen = hostSource
                    reason = "\(on), but neither the snapd snap nor core is usable"
                } else {
                    reason = "neither the snapd snap, core nor the host has usable tools"
                    reasons[.host] = unusable(host)
                }
            }
        }
        let verdicts = [snapd, core, host].map { candidate in
            let isChosen = chosen != nil && candidate.source == chosen
            return ProviderDecision.Verdict(
                kind: candidate.kind, source: candidate.source, chosen: isChosen,
                reason: isChosen ? "chosen: " + reason : reasons[candidate.kind] ?? "not used")
        }
        return ProviderDecision(chosen: chosen, reason: reason, verdicts: verdicts)
    }
}
