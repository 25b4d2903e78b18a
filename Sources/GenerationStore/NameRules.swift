/// The rules every name in the store obeys, so that no name can leave its directory or hide from readers.
///
/// A name (exported name, generation, entry, each part of a set path) is non-empty, at most 255 bytes,
/// has no `/`, NUL or newline, is not `.` or `..`, and does not start with `.` (dot-names are the store's
/// own: `.staging`, `.trash`, `.lock`, `.next-*`, manifests). A link target is an absolute, normalized path.
public enum NameRules {
    /// Checks one path component; `what` names it in the error (`exported name`, `entry name`, …).
    public static func validateComponent(_ value: String, what: String, context: String) throws(StoreError) {
        if isValidASCIIComponent(value) { return }
        func reject(_ rule: String) -> StoreError {
            StoreError(.badData, context, "\(what) '\(printable(value))' \(rule)")
        }
        if value.isEmpty { throw reject("must not be empty") }
        if value.utf8.count > 255 { throw reject("is longer than 255 bytes") }
        if value == "." || value == ".." { throw reject("must not be '\(value)'") }
        if value.utf8.contains(0) { throw reject("must not contain NUL") }
        if value.utf8.contains(UInt8(ascii: "\n")) { throw reject("must not contain a newline") }
        if value.utf8.contains(UInt8(ascii: "/")) { throw reject("must not contain '/'") }
        if value.hasPrefix(".") { throw reject("must not start with '.'") }
    }

    /// Checks a generation's name: a valid component that is not one of the names the layout gives its own
    /// entries in a name's directory (`current`, `previous`: `Layout.isGenerationName`).
    public static func validateGeneration(_ value: String, what: String = "generation", context: String)
        throws(StoreError)
    {
        try validateComponent(value, what: what, context: context)
        if !Layout.isGenerationName(value) {
            throw StoreError(
                .badData, context, "\(what) '\(value)' is a name the store's layout uses (current, previous)")
        }
    }

    /// Checks a set path such as `tools` or `man/man1`: one or more valid components joined by `/`.
    public static func validateSetPath(_ value: String, context: String) throws(StoreError) {
        if value.isEmpty { throw StoreError(.badData, context, "set name must not be empty") }
        for part in value.split(separator: "/", omittingEmptySubsequences: false) {
            try validateComponent(
                String(part), what: "set path part", context: context + " (set '\(printable(value))')")
        }
    }

    /// Checks a link target: absolute, normalized (no `//`, `.` or `..` parts, no trailing `/`), no NUL or newline.
    public static func validateTarget(_ value: String, entry: String, context: String) throws(StoreError) {
        if isValidASCIITarget(value) { return }
        func reject(_ rule: String) -> StoreError {
            StoreError(.badData, context, "target '\(printable(value))' of entry '\(entry)' \(rule)")
        }
        if !value.hasPrefix("/") { throw reject("must be an absolute path") }
        if value.utf8.contains(0) { throw reject("must not contain NUL") }
        if value.utf8.contains(UInt8(ascii: "\n")) { throw reject("must not contain a newline") }
        if value.utf8.count > 4095 { throw reject("is longer than 4095 bytes") }
        if value == "/" { return }
        if value.hasSuffix("/") { throw reject("must not end with '/'") }
        for part in value.dropFirst().split(separator: "/", omittingEmptySubsequences: false) {
            if part.isEmpty { throw reject("must not contain '//'") }
            if part == "." || part == ".." { throw reject("must be normalized (no '\(part)' parts)") }
        }
    }

    /// One pass over the bytes of an all-ASCII component that obeys every rule of `validateComponent` (where bytes
    /// and characters coincide); false for anything else, which the checks that name the broken rule then judge.
    /// A publish validates every entry name, so this is the common path.
    static func isValidASCIIComponent(_ value: String) -> Bool {
        var value = value
        return value.withUTF8 { bytes in
            guard !bytes.isEmpty, bytes.count <= 255, bytes[0] != UInt8(ascii: ".") else { return false }
            for byte in bytes where byte >= 0x80 || byte == 0 || byte == 0x0A || byte == UInt8(ascii: "/") {
                return false
            }
            return true
        }
    }

    /// One pass over the bytes of an all-ASCII target that obeys every rule of `validateTarget`: absolute, at most
    /// 4095 bytes, no NUL or newline, no empty, `.` or `..` part, no trailing `/`. False for anything else, which
    /// the checks that name the broken rule then judge.
    static func isValidASCIITarget(_ value: String) -> Bool {
        var value = value
        return value.withUTF8 { bytes in
            let count = bytes.count
            guard count > 0, count <= 4095, bytes[0] == UInt8(ascii: "/") else { return false }
            if count == 1 { return true }
            var partStart = 1
            var index = 1
            while index <= count {
                if index < count {
                    let byte = bytes[index]
                    if byte >= 0x80 || byte == 0 || byte == 0x0A { return false }
                    if byte != UInt8(ascii: "/") {
                        index += 1
                        continue
                    }
                }
                let length = index - partStart
                if length == 0 { return false }  // `//` or a trailing `/`
                if bytes[partStart] == UInt8(ascii: ".") {
                    if length == 1 || (length == 2 && bytes[partStart + 1] == UInt8(ascii: ".")) { return false }
                }
                partStart = index + 1
                index += 1
            }
            return true
        }
    }

    /// The value with control characters escaped, for error messages.
    /// A name read from disk as bytes, printable: valid UTF-8 as `printable(_:)`, every byte of an invalid
    /// sequence as `\xNN`.
    public static func printable(bytes: [UInt8]) -> String {
        if let valid = String(validating: bytes, as: UTF8.self) { return printable(valid) }
        var result = ""
        var index = 0
        while index < bytes.count {
            // The longest valid UTF-8 sequence starting here (1 to 4 bytes), else one escaped byte.
            var taken = 0
            for length in stride(from: min(4, bytes.count - index), through: 1, by: -1) {
                if let scalar = String(validating: bytes[index..<(index + length)], as: UTF8.self),
                    scalar.unicodeScalars.count == 1
                {
                    result += printable(scalar)
                    taken = length
                    break
                }
            }
            if taken == 0 {
                let hex = String(bytes[index], radix: 16)
                result += "\\x" + (hex.count == 1 ? "0" : "") + hex
                taken = 1
            }
            index += taken
        }
        return result
    }

    static func printable(_ value: String) -> String {
        var result = ""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\0": result += "\\0"
            case "\n": result += "\\n"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }
}
