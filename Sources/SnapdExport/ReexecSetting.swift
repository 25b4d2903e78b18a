/// `SNAP_REEXEC` as snapd reads it (`snapdtool/tool_linux.go`: `IsReexecEnabled`,
/// `IsReexecExplicitlyEnabled`; `osutil/env.go`: `GetenvBool`).
///
/// Two checks look at it, differently:
/// - **enabled** (`GetenvBool(SNAP_REEXEC, true)`): the value with white space trimmed; empty means
///   true; `strconv.ParseBool` decides otherwise (`1 t T TRUE true True`, `0 f F FALSE false False`);
///   anything else (`yes`, `2`, `on`) falls back to the default, true. Only a false value turns re-exec
///   off, everywhere.
/// - **explicitly enabled**, asked only on distributions that do not re-exec by default: the **raw**
///   value is not empty, and the value is enabled. So ` ` (a blank), `yes` or `1` make a Fedora or Arch
///   host re-exec; unset or empty do not.
///
/// Go's `os.Getenv` cannot tell unset from empty, so neither can this.
public struct ReexecSetting: Sendable, Equatable, CustomStringConvertible {
    /// The value as given, nil when unset.
    public var raw: String?

    public init(_ raw: String?) { self.raw = raw }

    /// Unset.
    public static let unset = ReexecSetting(nil)

    /// `IsReexecEnabled`.
    public var isEnabled: Bool {
        let trimmed = GoText.trimSpace(raw ?? "")
        guard !trimmed.isEmpty else { return true }
        return GoText.parseBool(trimmed) ?? true
    }

    /// `IsReexecExplicitlyEnabled`.
    public var isExplicitlyEnabled: Bool { !(raw ?? "").isEmpty && isEnabled }

    /// `SNAP_REEXEC unset`, `SNAP_REEXEC="0" (disables re-exec)`, `SNAP_REEXEC="yes" (not a boolean: ...)`.
    public var description: String {
        guard let raw, !raw.isEmpty else { return "SNAP_REEXEC unset" }
        let shown = "SNAP_REEXEC=\"\(raw)\""
        let trimmed = GoText.trimSpace(raw)
        if trimmed.isEmpty { return shown + " (blank: enabled, and explicitly so)" }
        switch GoText.parseBool(trimmed) {
        case true?: return shown + " (enabled explicitly)"
        case false?: return shown + " (disables re-exec)"
        case nil: return shown + " (not a boolean: counts as enabled, and explicitly so)"
        }
    }
}
