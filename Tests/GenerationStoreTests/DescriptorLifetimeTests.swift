import GenerationStore
import GenerationStoreTesting
import Testing

@Suite("Every descriptor the store opens is closed exactly once")
struct DescriptorLifetimeTests {
    /// A second close of a number the process may already have reused for another file closes that file: another
    /// thread's directory read then fails with EBADF (seen as "getdents64: Bad file descriptor" in the tests).
    @Test("a writer that cannot take the lock (busy, or flock failing) closes the root and .lock once each",
        arguments: [Errno.wouldBlock, Errno.ioError])
    func failedLockClosesOnce(_ errno: Errno) throws {
        let fixture = try StoreFixture("descriptor-test")
        defer { fixture.remove() }
        try fixture.publishG1AndG2(thenSwitchTo: "g1")
        let recording = RecordingSystemCalls()
        recording.inject(errno, into: "flock")
        #expect(throws: StoreError.self) { try fixture.store(recording).withWriter(wait: false) { _ in } }
        let closes = recording.log.filter { $0.name == "close" }.map { $0.arguments.first ?? "" }
        #expect(closes.sorted() == [".lock", fixture.root].sorted(), "\(recording.log)")
    }
}
