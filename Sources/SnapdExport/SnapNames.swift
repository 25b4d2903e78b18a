import GenerationStore

/// The forms of snap instance names and revisions that `link` and `unlink` accept.
public enum SnapNames {
    /// Checks `instance` (`name` or `name_key`: lower-case letters, digits, `-`; a key of lower-case letters
    /// and digits) and `revision` (digits, or `x` and digits for local installs).
    public static func validate(instance: String, revision: String, context: String) throws(StoreError) {
        let parts = instance.split(separator: "_", omittingEmptySubsequences: false)
        let nameOK =
            parts.count <= 2 && !parts[0].isEmpty && parts[0].first != "-" && parts[0].last != "-"
            && parts[0].utf8.allSatisfy { isLower($0) || isDigit($0) || $0 == UInt8(ascii: "-") }
            && (parts.count == 1
                || (!parts[1].isEmpty && parts[1].count <= 10
                    && parts[1].utf8.allSatisfy { isLower($0) || isDigit($0) }))
        guard nameOK, instance.utf8.count <= 52 else {
            throw StoreError(.badData, context, "'\(instance)' is not a snap instance name")
        }
        let digits = revision.hasPrefix("x") ? revision.dropFirst() : Substring(revision)
        guard !digits.isEmpty, digits.count <= 18, digits.utf8.allSatisfy(isDigit) else {
            throw StoreError(.badData, context, "'\(revision)' is not a snap revision (digits, or x and digits)")
        }
    }

    private static func isLower(_ c: UInt8) -> Bool { c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z") }
    private static func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }
}
