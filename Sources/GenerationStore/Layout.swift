/// The names the store gives its own files under the export root (docs/format.md).
public enum Layout {
    /// The writers' lock file at the root.
    public static let lock = ".lock"
    /// The root marker (format 2): a regular file that makes a directory an export root. Written once, by the
    /// writer that creates the root or adopts a format-1 root, under the lock; holds `markerContent`.
    public static let marker = ".snap-export"
    /// What the root marker holds: one line naming the format.
    public static let markerContent = "snap-export root, format 2\n"
    /// Where generations are built before they become visible.
    public static let staging = ".staging"
    /// Where generations go to be deleted, after they disappeared in one rename.
    public static let trash = ".trash"
    /// The link consumers follow: `<name>/current -> <generation>`.
    public static let current = "current"
    /// The generation `current` replaced: `<name>/previous -> <generation>`.
    public static let previous = "previous"
    /// A name's header cache: `<name>/.headers`, one line per published generation with the identity of its
    /// directory and its manifest's header (`HeaderCache`; docs/format.md, "The header cache"). A cache, never an
    /// authority: what does not match the generation as it is now is ignored.
    public static let headers = ".headers"
    /// A deriving layer's stamp at the root (format 2): opaque bytes, at most `stampCap`, that the layer writes
    /// under the lock once it has found the root in agreement with what it derives the root from. Every writer
    /// removes it before its first change (`StoreWriter.dropStamp`), so a stamp that reads as the layer wrote it
    /// says that nothing in the root has changed since. A hint, never an authority: written
    /// without `fsync`, and what it holds is the layer's to judge (docs/format.md, "The stamp").
    public static let stamp = ".stamp"
    /// The most a stamp may hold.
    public static let stampCap = 4096
    /// Prefix of the temporary links a switch makes (a leftover only after a crash).
    public static let nextPrefix = ".next-"
    /// Prefix of the retirement markers: `<name>/.retired-<nanoseconds>-<random> -> <generation>`
    /// records that the generation stopped being current at that time (read by gc's grace period).
    public static let retiredPrefix = ".retired-"

    /// The name of the switch's pending link for a switch to `generation`: `.next-<16 hex digits>`, the 64-bit
    /// FNV-1a hash of the generation's name. The link is made naming `generation` and exchanged with `current`,
    /// and it keeps its name: so a link `.next-<hash of what current names>` that names another generation is
    /// the displaced `current` of a switch interrupted after its exchange, which `repair` and the next writer
    /// complete (rename it over `previous`); any other `.next-*` is the leftover of a switch that had not
    /// exchanged (docs/format.md, "switch").
    public static func pendingLink(switchingTo generation: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in generation.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        return nextPrefix + hexDigits(hash)
    }

    /// `value` as 16 lower-case hex digits, leading zeros kept: the form of every hash and random suffix in the
    /// layout's names. Written by hand: `String(_:radix:)` is generic, and its first use costs a switch more than
    /// the loop (docs/benchmarks.md, item 5).
    public static func hexDigits(_ value: UInt64) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var hex = [UInt8](repeating: 0, count: 16)
        for index in 0..<16 { hex[index] = digits[Int((value >> UInt64(60 - 4 * index)) & 0xf)] }
        return String(decoding: hex, as: UTF8.self)
    }

    /// True when the link `entry` naming `target` is the displaced `current` of a switch to `current` interrupted
    /// after its exchange: `repair` and the next writer rename it over `previous`.
    public static func isDisplacedCurrent(_ entry: String, target: String?, current: String?) -> Bool {
        guard let current, let target, target != current else { return false }
        return entry == pendingLink(switchingTo: current)
    }

    /// The names the layout gives links inside every name directory, which no generation may take: a generation
    /// directory named `current` or `previous` would stand where the link must be.
    public static func isReservedGenerationName(_ name: String) -> Bool { name == current || name == previous }

    /// True for names that can be generations: not a dot-name and not `current`/`previous`.
    static func isGenerationName(_ name: String) -> Bool {
        !name.hasPrefix(".") && !isReservedGenerationName(name)
    }
}
