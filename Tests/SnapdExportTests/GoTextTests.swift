@testable import SnapdExport
import Testing

/// Go's string helpers as the readers use them, rune by rune (not Character by Character), the path
/// normalization of the settings and the PATH split of the consumer caches: the loops that replaced the stdlib's
/// generic calls on the start-up path.
@Suite("Go text helpers and path normalization")
struct GoTextTests {
    @Test(arguments: [
        (" \u{301}x ", "\u{301}x"),  // a combining mark after a space: the space goes, the mark stays (runes)
        ("\u{85}\u{A0}a b\u{2009}\t\n", "a b"),  // unicode.IsSpace: NEL, NBSP, thin space
        ("   ", ""),
        ("", ""),
        ("x", "x"),
        ("\u{1F600} ", "\u{1F600}"),
        ("e\u{301} ", "e\u{301}"),
    ])
    func trimSpaceWorksOnRunes(input: String, expected: String) {
        #expect(Array(GoText.trimSpace(input).unicodeScalars) == Array(expected.unicodeScalars))
    }

    @Test func toLowerMapsEachRuneToItsSingleLowercase() {
        #expect(GoText.toLower("ÀBÇ") == "àbç")
        // İ lowercases to two scalars in Unicode's full mapping; Go's unicode.ToLower gives the one rune "i".
        #expect(GoText.toLower("\u{130}X") == "ix")
        #expect(GoText.toLower("ß") == "ß")
    }

    @Test(arguments: [
        ("/", "/"), ("", "."), (".", "."), ("./", "."), ("//a/./b//", "/a/b"), ("a//b/", "a/b"),
        ("/var/lib/snapd/export", "/var/lib/snapd/export"), ("/./snap/.", "/snap"), ("a/../b", "a/../b"),
    ])
    func normalizedDropsRepeatedAndTrailingSlashesAndDots(input: String, expected: String) {
        #expect(SnapdSettings.normalized(input) == expected)
    }

    @Test func theCachesSearchTheAbsoluteEntriesOfPATHInOrder() {
        #expect(
            ConsumerCaches.installed(path: "/usr/bin::relative:/bin:/sbin/").searchPath == [
                "/usr/bin", "/bin", "/sbin/",
            ])
        #expect(ConsumerCaches.installed(path: "").searchPath == [])
        #expect(ConsumerCaches.installed(path: "/ä/bin").searchPath == ["/ä/bin"])
        #expect(
            ConsumerCaches.installed(path: nil).searchPath
                == ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"])
    }
}
