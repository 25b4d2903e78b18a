/// The garbage collector's options: how many generations to keep beyond `current` and `previous`, and the
/// grace period during which a generation that stopped being current (or was just published) stays.
public struct GCOptions: Sendable, Equatable {
    /// Generations kept per name among those that are neither current, previous nor gone (newest first).
    public var keep: Int
    /// The grace period in nanoseconds; 0 disables it.
    public var graceNanoseconds: Int64
    /// Decide and report, change nothing.
    public var dryRun: Bool
    /// The time decisions are made at (nanoseconds since the epoch); nil means now.
    public var now: Int64?
    /// Also rewrite the header cache (`<name>/.headers`) of a name where it lacks a record of a generation or holds
    /// records that serve none, though no generation of it was removed: what the gc command does, and a root from
    /// before the cache gets one at its first gc. Off for the gc pass of `refresh`, so a no-op refresh writes
    /// nothing. A pass that removes generations of a name rewrites its cache either way (not in a dry run).
    public var healHeaderCaches: Bool

    /// The defaults `refresh` uses: keep 2, grace 10 minutes.
    public static let defaultKeep = 2
    public static let defaultGraceNanoseconds: Int64 = 10 * 60 * 1_000_000_000

    public init(
        keep: Int = GCOptions.defaultKeep, graceNanoseconds: Int64 = GCOptions.defaultGraceNanoseconds,
        dryRun: Bool = false, now: Int64? = nil, healHeaderCaches: Bool = false
    ) {
        self.keep = keep
        self.graceNanoseconds = graceNanoseconds
        self.dryRun = dryRun
        self.now = now
        self.healHeaderCaches = healHeaderCaches
    }
}
