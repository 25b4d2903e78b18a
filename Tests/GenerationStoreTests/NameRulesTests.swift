import GenerationStore
import Testing

/// A value that breaks one naming rule, and the words the error must use for that rule.
struct Rejection: Sendable, CustomTestStringConvertible {
    var value: String
    var rule: String
    var testDescription: String { "'\(shown)' (\(rule))" }
    /// The value as error messages print it: NUL and newline escaped.
    var shown: String { value.replacingOccurrences(of: "\0", with: "\\0").replacingOccurrences(of: "\n", with: "\\n") }
}

/// Every rule of a path component (exported name, generation, set path part, entry name), one value each.
let componentRejections: [Rejection] = [
    Rejection(value: "", rule: "must not be empty"),
    Rejection(value: String(repeating: "a", count: 256), rule: "longer than 255 bytes"),
    // 128 characters but 256 bytes: the limit counts bytes, as the kernel does.
    Rejection(value: String(repeating: "é", count: 128), rule: "longer than 255 bytes"),
    Rejection(value: "a/b", rule: "must not contain '/'"),
    Rejection(value: ".", rule: "must not be '.'"),
    Rejection(value: "..", rule: "must not be '..'"),
    Rejection(value: "a\0b", rule: "must not contain NUL"),
    Rejection(value: "a\nb", rule: "must not contain a newline"),
    Rejection(value: ".hidden", rule: "must not start with '.'"),
    Rejection(value: "...", rule: "must not start with '.'"),
]

/// Components that obey every rule, including the limits themselves.
let componentAcceptances: [String] = [
    "a", String(repeating: "a", count: 255), String(repeating: "é", count: 127) + "a", "snap-exec", "core_16928",
    "a.b", "a..", "a b", "-x", "21759",
]

/// Targets that are not absolute, normalized paths (or hold NUL or newline).
let targetRejections: [Rejection] = [
    Rejection(value: "", rule: "must be an absolute path"),
    Rejection(value: "usr/lib/snapd/snap-exec", rule: "must be an absolute path"),
    Rejection(value: "./snap-exec", rule: "must be an absolute path"),
    Rejection(value: "//usr/lib", rule: "must not contain '//'"),
    Rejection(value: "/usr//lib", rule: "must not contain '//'"),
    Rejection(value: "/usr/./lib", rule: "no '.' parts"),
    Rejection(value: "/usr/lib/.", rule: "no '.' parts"),
    Rejection(value: "/usr/../lib", rule: "no '..' parts"),
    Rejection(value: "/..", rule: "no '..' parts"),
    Rejection(value: "/usr/lib/", rule: "must not end with '/'"),
    Rejection(value: "/usr/li\nb", rule: "must not contain a newline"),
    Rejection(value: "/usr/li\0b", rule: "must not contain NUL"),
]

/// Absolute, normalized targets, including names that merely contain dots.
let targetAcceptances: [String] = [
    "/", "/snap/snapd/21759/usr/lib/snapd/snap-exec", "/a", "/a/.b", "/a/..b", "/a/b.", "/a/b..", "/a b/c",
    "/var/lib/snapd/hostfs/usr/lib/snapd/info",
]

@Suite("Name rules")
struct NameRulesTests {
    @Test("a path component breaking a rule is rejected with the value and the rule", arguments: componentRejections)
    func componentIsRejected(_ rejection: Rejection) throws {
        let error = #expect(throws: StoreError.self) {
            try NameRules.validateComponent(rejection.value, what: "entry name", context: "cannot publish x/y")
        }
        #expect(error?.kind == .badData)
        #expect(error?.reason.contains("'\(rejection.shown)'") == true)
        #expect(error?.reason.contains(rejection.rule) == true)
        #expect(error?.description.hasPrefix("cannot publish x/y") == true)
    }

    @Test("a path component obeying every rule is accepted", arguments: componentAcceptances)
    func componentIsAccepted(_ value: String) throws {
        try NameRules.validateComponent(value, what: "entry name", context: "test")
    }

    @Test(
        "a set path with an empty, dot or dot-dot part is rejected",
        arguments: ["a//b", "/a", "a/", "a/./b", "a/../b", "man/.man1", "man/man\n1", "/"])
    func setPathIsRejected(_ value: String) throws {
        let error = #expect(throws: StoreError.self) { try NameRules.validateSetPath(value, context: "test") }
        #expect(error?.kind == .badData)
        #expect(error?.description.contains(value.replacingOccurrences(of: "\n", with: "\\n")) == true)
    }

    @Test("a set path of valid parts joined by '/' is accepted", arguments: ["tools", "man/man1", "a/b/c/d", "fonts"])
    func setPathIsAccepted(_ value: String) throws {
        try NameRules.validateSetPath(value, context: "test")
    }

    @Test("a target that is not an absolute, normalized path is rejected by the manifest", arguments: targetRejections)
    func targetIsRejected(_ rejection: Rejection) throws {
        let manifest = Manifest(source: "test", sets: ["tools": ["snap-exec": rejection.value]])
        let error = #expect(throws: StoreError.self) { try manifest.validate(context: "cannot publish x/y") }
        #expect(error?.kind == .badData)
        #expect(error?.reason.contains("target '\(rejection.shown)'") == true)
        #expect(error?.reason.contains("'snap-exec'") == true)
        #expect(error?.reason.contains(rejection.rule) == true)
    }

    @Test("an absolute, normalized target is accepted by the manifest", arguments: targetAcceptances)
    func targetIsAccepted(_ value: String) throws {
        try Manifest(source: "test", sets: ["tools": ["snap-exec": value]]).validate(context: "test")
    }

    @Test("an entry name breaking a rule is rejected by the manifest", arguments: componentRejections)
    func entryIsRejectedByManifest(_ rejection: Rejection) throws {
        let manifest = Manifest(source: "test", sets: ["tools": [rejection.value: "/usr/bin/true"]])
        let error = #expect(throws: StoreError.self) { try manifest.validate(context: "test") }
        #expect(error?.kind == .badData)
        #expect(error?.reason.contains(rejection.rule) == true)
        #expect(error?.description.contains("set 'tools'") == true)
    }

    @Test("a set path part breaking a rule is rejected by the manifest", arguments: componentRejections)
    func setPartIsRejectedByManifest(_ rejection: Rejection) throws {
        // '/' separates set path parts, so a part cannot contain one: "a/b" as a set is two valid parts.
        let set = rejection.value == "a/b" ? "a//b" : "man/" + rejection.value
        let manifest = Manifest(source: "test", sets: [set: ["ls.1": "/usr/share/man/man1/ls.1"]])
        let error = #expect(throws: StoreError.self) { try manifest.validate(context: "test") }
        #expect(error?.kind == .badData)
    }

    @Test("a set inside another set, or colliding with one of its entries, is rejected")
    func nestedSetsAreRejected() throws {
        let nested = Manifest(source: "t", sets: ["man": ["a": "/a"], "man/man1": ["b": "/b"]])
        let inside = #expect(throws: StoreError.self) { try nested.validate(context: "test") }
        #expect(inside?.reason.contains("set 'man/man1' lies inside set 'man'") == true)
        let colliding = Manifest(source: "t", sets: ["man": ["man1": "/a"], "man/man1/x": ["b": "/b"]])
        #expect(throws: StoreError.self) { try colliding.validate(context: "test") }
    }

    @Test("sibling sets under a common parent are accepted")
    func siblingSetsAreAccepted() throws {
        try Manifest(
            source: "t", sets: ["man/man1": ["ls.1": "/a"], "man/man8": ["mount.8": "/b"], "tools": ["x": "/c"]]
        )
        .validate(context: "test")
    }

    @Test("a manifest without sets or of an unknown format is rejected")
    func emptyOrFutureManifestIsRejected() throws {
        #expect(throws: StoreError.self) { try Manifest(source: "t", sets: [:]).validate(context: "test") }
        var future = Manifest(source: "t", sets: ["tools": ["a": "/a"]])
        future.format = 3
        let error = #expect(throws: StoreError.self) { try future.validate(context: "test") }
        #expect(error?.reason.contains("format 3") == true)
    }

    /// Every string of up to `length` characters from `alphabet`.
    static func strings(of alphabet: [String], upTo length: Int) -> [String] {
        var all: [String] = [""]
        var last: [String] = [""]
        for _ in 0..<length {
            last = last.flatMap { prefix in alphabet.map { prefix + $0 } }
            all += last
        }
        return all
    }

    @Test("the rules judge every short name and target as the character-based rules do (the byte-scan fast path agrees)")
    func fastPathAgreesWithTheRules() {
        // The rules as first written, on characters (NameRules checks all-ASCII values in one pass over the bytes).
        func componentOK(_ value: String) -> Bool {
            !value.isEmpty && value.utf8.count <= 255 && value != "." && value != ".." && !value.utf8.contains(0)
                && !value.utf8.contains(UInt8(ascii: "\n")) && !value.utf8.contains(UInt8(ascii: "/"))
                && !value.hasPrefix(".")
        }
        func targetOK(_ value: String) -> Bool {
            guard value.hasPrefix("/"), !value.utf8.contains(0), !value.utf8.contains(UInt8(ascii: "\n")),
                value.utf8.count <= 4095
            else { return false }
            if value == "/" { return true }
            if value.hasSuffix("/") { return false }
            return value.dropFirst().split(separator: "/", omittingEmptySubsequences: false).allSatisfy {
                !$0.isEmpty && $0 != "." && $0 != ".."
            }
        }
        let alphabet = ["/", ".", "a", "\n", "\0", "\r", "é", "\u{301}"]
        var checked = 0
        for value in Self.strings(of: alphabet, upTo: 5) {
            let component = (try? NameRules.validateComponent(value, what: "entry name", context: "t")) != nil
            let target = (try? NameRules.validateTarget(value, entry: "e", context: "t")) != nil
            #expect(component == componentOK(value), "component \(Array(value.utf8))")
            #expect(target == targetOK(value), "target \(Array(value.utf8))")
            checked += 1
        }
        for value in [String(repeating: "a", count: 255), String(repeating: "a", count: 256)] {
            #expect(((try? NameRules.validateComponent(value, what: "e", context: "t")) != nil) == componentOK(value))
        }
        for value in ["/" + String(repeating: "a", count: 4094), "/" + String(repeating: "a", count: 4095)] {
            #expect(((try? NameRules.validateTarget(value, entry: "e", context: "t")) != nil) == targetOK(value))
        }
        #expect(checked == 37_449)
    }
}
