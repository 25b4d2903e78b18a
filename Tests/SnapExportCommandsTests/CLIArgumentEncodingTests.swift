import Foundation
import Testing
import TestSupport

/// Issue 9, item 10: an argument that is not UTF-8 is refused, never decoded into another name.
@Suite("Arguments that are not valid UTF-8 exit 64 and change nothing")
struct CLIArgumentEncodingTests {
    @Test("publish/switch with a name holding byte 0xff: exit 64 naming the argument, the root untouched")
    func invalidUTF8Argument() throws {
        let fixture = try CLIFixture()
        defer { fixture.remove() }
        try fixture.populate()
        let before = fixture.snapshot()
        // The shell passes the raw byte (Foundation's Process cannot): $2 is 'demo' followed by byte 0xff.
        let bad = "\"$2\"\"$(printf '\\377')\""
        for command in ["switch \(bad) g1", "publish \(bad) g1 --entry tools/a=/bin/true", "status \(bad)"] {
            let line = "exec \"$0\" --root \"$1\" " + command
            let result = try run(["/bin/sh", "-c", line, TestEnvironment.snapExport, fixture.root, "demo"])
            #expect(result.status == 64, "\(command): \(result.stderr)")
            #expect(result.stderr.contains("is not valid UTF-8: 'demo\\xff'"), "\(result.stderr)")
        }
        #expect(fixture.snapshot() == before)
    }
}
