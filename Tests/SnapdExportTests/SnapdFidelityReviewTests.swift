import GenerationStore
@testable import SnapdExport
import Testing
import TestSupport

/// Cases found by reading snapd's readers against ours, each naming the snapd code its answer comes from.
@Suite("snapd fidelity: edge cases of the readers")
struct SnapdFidelityReviewTests {
    /// Go's `bufio.Scanner` (what `ParseInfoFile` and `readOSRelease` read with) holds at most 64 KiB: a
    /// last line of exactly 65536 bytes without a newline fills the buffer before EOF is seen, so the scan
    /// ends with "token too long", as a 65536-byte line followed by a newline does; 65535 bytes fit.
    @Test("bufio.Scanner: a 64 KiB last line without a newline is too long")
    func scannerBoundary() {
        let full = [UInt8](repeating: UInt8(ascii: "a"), count: GoText.maxScanTokenSize)
        let newline = UInt8(ascii: "\n")
        let complete = [full, full + [newline], Array(full.dropLast()), Array(full.dropLast()) + [newline]].map {
            GoText.scanLines($0).complete
        }
        #expect(complete == [false, false, true, true])
        let info = Array("VERSION=2.61\n".utf8) + full
        #expect(throws: SnapdInfoFile.Problem.self) { try SnapdInfoFile.version(info).get() }
    }

    /// `release.go` lower-cases `ID` with Go's `strings.ToLower`, which maps rune by rune with the simple
    /// case mapping: `İ` (U+0130) becomes `i`, so `ID=DEBİAN` is `debian` (Debian-like, re-exec on).
    @Test("strings.ToLower: U+0130 lower-cases to i, as unicode.ToLower does")
    func dottedCapitalI() {
        let release = OSRelease(parsing: Array("ID=DEB\u{130}AN\nID_LIKE=\u{130}UBUNTU\n".utf8))
        #expect(release.id == "debian")
        #expect(release.idLike == ["iubuntu"])
        #expect(release.isDebianLike)
    }
}
