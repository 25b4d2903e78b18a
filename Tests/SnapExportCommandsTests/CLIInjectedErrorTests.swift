import GenerationStore
import GenerationStoreTesting
import SnapExportCommands
import Testing

/// A system call made to fail during a command, and the exit code the command must then get.
struct InjectedFailure: Sendable, CustomTestStringConvertible {
    var arguments: [String]
    var call: String
    var errno: Errno
    var code: Int32
    /// Only the calls whose arguments satisfy this fail (all of them when nil).
    var matching: (@Sendable ([String]) -> Bool)? = nil
    var testDescription: String { "\(arguments[0]) with \(call) failing: \(errno)" }
}

let injectedFailures: [InjectedFailure] = [
    InjectedFailure(
        arguments: ["publish", "demo", "g9", "--entry", "tools/a=/x"], call: "symlinkat", errno: .noSpace, code: 74),
    InjectedFailure(
        arguments: ["publish", "demo", "g9", "--entry", "tools/a=/x"], call: "write", errno: .quotaExceeded, code: 74),
    InjectedFailure(
        arguments: ["publish", "demo", "g9", "--entry", "tools/a=/x"], call: "fsync", errno: .ioError, code: 74),
    InjectedFailure(
        arguments: ["publish", "demo", "g9", "--entry", "tools/a=/x"], call: "renameat2", errno: .noSpace, code: 74),
    InjectedFailure(
        arguments: ["publish", "demo", "g9", "--entry", "tools/a=/x"], call: "mkdirat", errno: .readOnlyFileSystem,
        code: 73,
        // The staging directory itself: the root and .staging exist, and mkdir of an existing name says EEXIST.
        matching: { !$0[0].hasPrefix("/") && $0[0] != ".staging" }),
    InjectedFailure(arguments: ["switch", "demo", "g1"], call: "symlinkat", errno: .noSpace, code: 74),
    InjectedFailure(arguments: ["switch", "demo", "g1"], call: "renameat2", errno: .ioError, code: 74),
    InjectedFailure(arguments: ["switch", "demo", "g1"], call: "renameat2", errno: .readOnlyFileSystem, code: 73),
    InjectedFailure(arguments: ["rollback", "demo"], call: "renameat2", errno: .ioError, code: 74),
]

@Suite("A failing disk (full, read-only, I/O error) through the command line")
struct CLIInjectedErrorTests {
    @Test(
        "the command exits with the errno's code, names the path and the error, and consumers see no change",
        arguments: injectedFailures)
    func failingCallChangesNothing(_ failure: InjectedFailure) throws {
        let fixture = try CLIFixture()
        defer { fixture.remove() }
        try fixture.populate()
        let status = try fixture.statusJSON()
        let tree = fixture.snapshot()
        let recording = RecordingSystemCalls()
        if let matching = failure.matching {
            recording.inject(failure.errno, into: failure.call) { call in matching(call.arguments) }
        } else {
            recording.inject(failure.errno, into: failure.call)
        }
        let console = CapturedConsole()

        let code = SnapExportTool.run(
            ["--root", fixture.root] + failure.arguments, environment: [:], console: console,
            system: recording)

        #expect(code == failure.code, "\(console.errors)")
        #expect(recording.names.contains(failure.call))
        #expect(console.errors.contains(fixture.root), "\(console.errors)")
        #expect(console.errors.contains(failure.errno.description), "\(console.errors)")
        #expect(try fixture.statusJSON() == status)
        #expect(fixture.snapshot() == tree)
        #expect(try fixture.run(["verify"]).status == 0)
    }
}
