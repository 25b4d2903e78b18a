import GenerationStore
import GenerationStoreTesting
import Testing

/// An error names the system call that failed, not the step it was part of: publish's build used to report a
/// failed openat or fsync of the manifest, and a failed openat of a set directory, as "write" and "open".
@Suite("A failed system call of publish is reported as that call, with its path")
struct SyscallNamingTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var call: String
        /// The name the injected call must act on (its first argument, or the file a descriptor was opened as).
        var on: String
        /// The path the error must name, below the staging generation.
        var pathSuffix: String
        var testDescription: String { "\(call) of \(on)" }
    }

    @Test(
        arguments: [
            Case(call: "openat", on: Manifest.fileName, pathSuffix: "/" + Manifest.fileName),
            Case(call: "write", on: Manifest.fileName, pathSuffix: "/" + Manifest.fileName),
            Case(call: "fsync", on: Manifest.fileName, pathSuffix: "/" + Manifest.fileName),
            Case(call: "openat", on: "tools", pathSuffix: "/tools"),
            Case(call: "mkdirat", on: "tools", pathSuffix: "/tools"),
            Case(call: "symlinkat", on: "e1", pathSuffix: "/tools/e1"),
        ])
    func theErrorNamesTheFailedCall(_ failing: Case) throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        let recording = RecordingSystemCalls()
        recording.inject(.ioError, into: failing.call) { $0.arguments.last == failing.on }
        let error = #expect(throws: StoreError.self) {
            try fixture.write(recording) { try $0.publish(name: "demo", generation: "g1", manifest: manifest("a")) }
        }
        #expect(error?.syscall == failing.call)
        #expect(error?.errno == .ioError)
        #expect(error?.path?.hasPrefix(fixture.path(".staging/")) == true, "\(String(describing: error?.path))")
        #expect(error?.path?.hasSuffix(failing.pathSuffix) == true, "\(String(describing: error?.path))")
        #expect(error?.description.hasPrefix("cannot publish demo/g1: ") == true)
        #expect(error?.description.hasSuffix("\(failing.call): Input/output error") == true)
        // Nothing became visible.
        #expect(try fixture.store().status().flatMap(\.generations).isEmpty)
    }
}
