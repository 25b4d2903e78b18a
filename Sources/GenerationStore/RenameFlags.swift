import CExportShims

/// The `renameat2` flags the store uses, from the C target so their values never drift.
public enum RenameFlags {
    /// Fail with `EEXIST` instead of replacing the destination.
    public static var noReplace: UInt32 { CX_RENAME_NOREPLACE }
    /// Swap source and destination atomically; both must exist.
    public static var exchange: UInt32 { CX_RENAME_EXCHANGE }

    /// `NOREPLACE`, `EXCHANGE` or the number, for logs and recorded calls.
    public static func describe(_ flags: UInt32) -> String {
        switch flags {
        case noReplace: return "NOREPLACE"
        case exchange: return "EXCHANGE"
        default: return String(flags)
        }
    }
}
