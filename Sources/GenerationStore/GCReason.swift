/// Why a generation is kept or removed.
public enum GCReason: Sendable, Equatable, CustomStringConvertible {
    /// `current` names it.
    case current
    /// `previous` names it.
    case previous
    /// It stopped being current less than the grace period ago (nanoseconds ago).
    case retiredRecently(agoNanoseconds: Int64)
    /// It was published less than the grace period ago and may be about to become current.
    case publishedRecently(agoNanoseconds: Int64)
    /// A live mount namespace has it mounted.
    case inUse([MountNamespaceScan.Holder])
    /// Some processes could not be read, so whether it is in use is unknown.
    case inUseUnknown(unreadablePids: [Int32])
    /// Its manifest cannot be read, so neither its source nor its publication order is known.
    case unreadableManifest
    /// gc decided to remove it but its directory cannot be renamed into `.trash` (the failure, e.g.
    /// `renameat: Invalid cross-device link` on an overlayfs lower layer): it stays whole.
    case cannotMove(String)
    /// Among the `keep` newest of the rest (rank 1 is the newest).
    case withinKeep(rank: Int, keep: Int)
    /// A candidate: its source is gone.
    case sourceGone
    /// A candidate: older than the `keep` newest of the rest.
    case beyondKeep(rank: Int, keep: Int)

    /// A stable word for JSON output.
    public var code: String {
        switch self {
        case .current: "current"
        case .previous: "previous"
        case .retiredRecently: "grace"
        case .publishedRecently: "grace"
        case .inUse: "in-use"
        case .inUseUnknown: "in-use-unknown"
        case .unreadableManifest: "unreadable-manifest"
        case .cannotMove: "cannot-move"
        case .withinKeep: "keep-n"
        case .sourceGone: "source-gone"
        case .beyondKeep: "beyond-keep-n"
        }
    }

    public var description: String {
        var text = ""
        write(to: &text)
        return text
    }

    /// Appends `description` to `text`: what a listing of thousands of decisions is built with, with no string of
    /// its own per reason.
    public func write(to text: inout String) {
        switch self {
        case .current: text += "current"
        case .previous: text += "previous"
        case .retiredRecently(let ago):
            text += "grace: stopped being current "
            Self.writeDuration(ago, to: &text)
            text += " ago"
        case .publishedRecently(let ago):
            text += "grace: published "
            Self.writeDuration(ago, to: &text)
            text += " ago"
        case .inUse(let holders): text += "in use by " + holders.map(\.description).joined(separator: "; ")
        case .inUseUnknown(let pids): text += "in-use check incomplete: \(pids.count) process(es) unreadable"
        case .unreadableManifest: text += "manifest unreadable (run verify)"
        case .cannotMove(let failure):
            text +=
                "cannot be moved into .trash (\(failure); an overlayfs lower layer without redirect_dir?), left whole"
        case .withinKeep(let rank, let keep):
            text += "keep-n: #"
            text += String(rank)
            text += " newest of the rest, keeping "
            text += String(keep)
        case .sourceGone: text += "source gone"
        case .beyondKeep(let rank, let keep):
            text += "beyond keep-n: #"
            text += String(rank)
            text += " newest of the rest, keeping "
            text += String(keep)
        }
    }

    /// `90s`, `12m30s`, `3h5m`, `2d4h`.
    static func duration(_ nanoseconds: Int64) -> String {
        var text = ""
        writeDuration(nanoseconds, to: &text)
        return text
    }

    static func writeDuration(_ nanoseconds: Int64, to text: inout String) {
        let seconds = max(0, nanoseconds / 1_000_000_000)
        let (first, firstUnit, second, secondUnit): (Int64, String, Int64, String)
        if seconds < 60 {
            text += String(seconds)
            text += "s"
            return
        } else if seconds < 3600 {
            (first, firstUnit, second, secondUnit) = (seconds / 60, "m", seconds % 60, "s")
        } else if seconds < 86400 {
            (first, firstUnit, second, secondUnit) = (seconds / 3600, "h", seconds % 3600 / 60, "m")
        } else {
            (first, firstUnit, second, secondUnit) = (seconds / 86400, "d", seconds % 86400 / 3600, "h")
        }
        text += String(first)
        text += firstUnit
        text += String(second)
        text += secondUnit
    }
}
