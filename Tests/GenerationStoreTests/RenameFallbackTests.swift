import Foundation
import GenerationStore
import GenerationStoreTesting
import Testing

@Suite("Where renameat2 refuses its flags, publish, switch and rollback fall back without a gap")
struct RenameFallbackTests {
    /// Problems `verify` finds, plus any stray `.next-*` link (which verify also reports).
    private func expectClean(_ fixture: StoreFixture, _ step: String) throws {
        #expect(try fixture.store().verify() == [], "after \(step)")
        #expect(!fixture.names("demo").contains { $0.hasPrefix(".next-") }, "after \(step)")
        #expect(fixture.names(".staging") == [], "after \(step)")
    }

    @Test("publish, first switch, switch and rollback still work", arguments: [Errno.invalidArgument, .notImplemented])
    func everyOperationFallsBack(_ refusal: Errno) throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        let recording = RecordingSystemCalls()
        recording.inject(refusal, into: "renameat2")
        try fixture.write(recording) { writer in
            #expect(try writer.publish(name: "demo", generation: "g1", manifest: manifest("a")) == .published)
            #expect(try writer.publish(name: "demo", generation: "g2", manifest: manifest("b")) == .published)
            #expect(try writer.publish(name: "demo", generation: "g2", manifest: manifest("b")) == .unchanged)
            try expectClean(fixture, "publish")
            #expect(fixture.link("demo/g1/tools/e0") == "/opt/a/e0")

            #expect(try writer.switchCurrent(name: "demo", to: "g1") == .switched(from: nil))
            #expect(fixture.link("demo/current") == "g1")
            #expect(!fixture.exists("demo/previous"))
            try expectClean(fixture, "first switch")

            #expect(try writer.switchCurrent(name: "demo", to: "g2") == .switched(from: "g1"))
            #expect(fixture.link("demo/current") == "g2")
            #expect(fixture.link("demo/previous") == "g1")
            try expectClean(fixture, "switch")

            #expect(try writer.switchCurrent(name: "demo", to: "g1") == .switched(from: "g2"))
            #expect(fixture.link("demo/current") == "g1")
            #expect(fixture.link("demo/previous") == "g2")

            let rolled = try writer.rollback(name: "demo")
            #expect(rolled.from == "g1" && rolled.to == "g2")
            #expect(fixture.link("demo/current") == "g2")
            #expect(fixture.link("demo/previous") == "g1")
            try expectClean(fixture, "rollback")
        }
        let log = recording.log
        // Every renameat2 was tried (and refused) before a plain renameat did the job.
        let attempts = log.filter { $0.name == "renameat2" }
        #expect(attempts.count == 6, "2 publishes, 3 switches, 1 rollback: \(attempts)")
        #expect(log.contains { $0.name == "renameat" && $0.arguments.last == "current" })
        // current is only ever replaced by a rename onto it, never unlinked: it is never absent.
        #expect(
            !log.contains { $0.name == "unlinkat" && ($0.arguments == ["current"] || $0.arguments == ["previous"]) })
        #expect(
            log.filter { $0.arguments.contains("current") && $0.name != "readlinkat" && $0.name != "fstatat" }
                .allSatisfy { $0.name == "renameat" && $0.arguments.last == "current" || $0.name == "renameat2" })
    }

    @Test("a switch whose renameat2 fails for another reason fails, keeps current and leaves no link behind")
    func otherErrorsAreNotMistakenForARefusal() throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        try fixture.publishG1AndG2(thenSwitchTo: "g1")
        let recording = RecordingSystemCalls()
        recording.inject(.ioError, into: "renameat2")
        let error = #expect(throws: StoreError.self) {
            try fixture.write(recording) { try $0.switchCurrent(name: "demo", to: "g2") }
        }
        #expect(error?.kind == .ioError)
        #expect(error?.syscall == "renameat2")
        #expect(!recording.names.contains("renameat"))
        #expect(fixture.link("demo/current") == "g1")
        #expect(!fixture.names("demo").contains { $0.hasPrefix(".next-") })
    }

    @Test("a publish whose final rename fails for another reason removes its staging directory")
    func failedPublishLeavesNothing() throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        let recording = RecordingSystemCalls()
        recording.inject(.noSpace, into: "renameat2")
        let error = #expect(throws: StoreError.self) {
            try fixture.write(recording) { try $0.publish(name: "demo", generation: "g1", manifest: manifest("a")) }
        }
        #expect(error?.kind == .ioError)
        #expect(error?.path == fixture.path("demo/g1"))
        #expect(!fixture.exists("demo/g1"))
        #expect(fixture.names(".staging") == [])
        #expect(try fixture.store().verify() == [])
    }

    @Test("a switch or rollback whose renameat2 fails for another reason leaves no retirement marker behind")
    func failedFlipTakesBackItsMarker() throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        try fixture.publishG1AndG2(thenSwitchTo: "g1", "g2")
        let before = fixture.names("demo")
        let recording = RecordingSystemCalls()
        recording.inject(.ioError, into: "renameat2")
        #expect(throws: StoreError.self) {
            try fixture.write(recording) { try $0.switchCurrent(name: "demo", to: "g1") }
        }
        #expect(throws: StoreError.self) { try fixture.write(recording) { try $0.rollback(name: "demo") } }
        #expect(fixture.names("demo") == before)
        #expect(try fixture.store().retirements(of: "demo").keys.sorted() == ["g1"])
    }

    @Test("a switch whose rename over previous fails after the exchange exchanges back: nothing changed, and says so")
    func failureAfterTheExchangeRestores() throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        try fixture.publishG1AndG2(thenSwitchTo: "g1")
        let before = fixture.names("demo")
        // Once only: a store that took this for a refused flag would redo the flip with the old link and undo it.
        let recording = RecordingSystemCalls()
        recording.inject(.invalidArgument, into: "renameat", times: 1)
        let error = #expect(throws: StoreError.self) {
            try fixture.write(recording) { try $0.switchCurrent(name: "demo", to: "g2") }
        }
        #expect(error?.syscall == "renameat")
        #expect(error?.path == fixture.path("demo/previous"))
        #expect(error?.reason.contains("current still names g1, nothing changed") == true, "\(String(describing: error))")
        #expect(fixture.link("demo/current") == "g1")
        #expect(fixture.names("demo") == before)
        #expect(try fixture.store().verify() == [])
    }

    @Test("a switch stopped after its exchange (the rename over previous and the exchange back fail) is completed by repair and by the next writer")
    func interruptedAfterTheExchangeIsCompleted() throws {
        for completer in ["repair", "switch"] {
            let fixture = try StoreFixture()
            defer { fixture.remove() }
            try fixture.publishG1AndG2(thenSwitchTo: "g1", "g2")
            try fixture.write { try $0.publish(name: "demo", generation: "g3", manifest: manifest("c")) }
            // The first renameat2 (the exchange itself) succeeds; the second (the exchange back) fails.
            let exchanges = CallCounter()
            let injected = RecordingSystemCalls()
            injected.inject(.ioError, into: "renameat", times: 1)
            injected.inject(.ioError, into: "renameat2", times: 1) { _ in exchanges.next() == 2 }
            let error = #expect(throws: StoreError.self) {
                try fixture.write(injected) { try $0.switchCurrent(name: "demo", to: "g3") }
            }
            #expect(error?.reason.contains("current now names g3") == true, "\(String(describing: error))")
            #expect(fixture.link("demo/current") == "g3")
            #expect(fixture.link("demo/previous") == "g1")  // not yet: the displaced g2 is in the pending link
            let pending = fixture.path("demo/" + Layout.pendingLink(switchingTo: "g3"))
            #expect(fixture.link("demo/" + Layout.pendingLink(switchingTo: "g3")) == "g2")
            #expect(try fixture.store().verify().map(\.path) == [pending])
            if completer == "repair" {
                let report = try fixture.write(RecordingSystemCalls()) { try $0.repair() }
                #expect(report.completed == [.init(name: "demo", current: "g3", previous: "g2")])
                #expect(report.removed.isEmpty)
            } else {
                // The next writer of the name completes the switch before its own: previous is then g2, not g1.
                try fixture.write(RecordingSystemCalls()) { try $0.switchCurrent(name: "demo", to: "g1") }
                #expect(fixture.link("demo/current") == "g1")
                #expect(fixture.link("demo/previous") == "g3")
                #expect(try fixture.store().retirements(of: "demo")["g2"] != nil)
                continue
            }
            #expect(fixture.link("demo/current") == "g3")
            #expect(fixture.link("demo/previous") == "g2")
            #expect(try fixture.store().verify() == [])
        }
    }
}

/// Counts the calls a `RecordingSystemCalls` injection is asked about (its predicate is `@Sendable`).
final class CallCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0

    /// One more call; returns how many so far.
    func next() -> Int {
        lock.lock()
        defer { lock.unlock() }
        count += 1
        return count
    }
}
