import Testing
import TestSupport

@Test func theBuiltExecutableIsFoundNextToTheTests() throws {
    let result = try snapExport(["--help"])
    #expect(result.status == 0)
    #expect(result.stdout.contains("usage: snap-export"))
}
