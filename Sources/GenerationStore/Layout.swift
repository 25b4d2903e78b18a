/// The names the store gives its own files under the export root (docs/format.md).
public enum Layout {
    /// The writers' lock file at the root.
    public static let lock = ".lock"
    /// Where generations are built before they become visible.
    public static let staging = ".staging"
    /// Where generations go to be deleted, after they disappeared in one rename.
    public static let trash = ".trash"
    /// The link consumers follow: `<name>/current -> <generation>`.
    public static let current = "current"
    /// The generation `current` replaced: `<name>/previous -> <generation>`.
    public static let previous = "previous"
    /// Prefix of the temporary link a switch makes before renaming it over `current`.
    public static let nextPrefix = ".next-"
    /// Prefix of the retirement markers: `<name>/.retired-<nanoseconds>-<random> -> <generation>`
    /// records that the generation stopped being current at that time (read by gc's grace period).
    public static let retiredPrefix = ".retired-"

    /// True for names that can be generations: not a dot-name and not `current`/`previous`.
    static func isGenerationName(_ name: String) -> Bool {
        !name.hasPrefix(".") && name != current && name != previous
    }
}
