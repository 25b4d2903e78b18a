import Foundation
import GenerationStore
import GenerationStoreTesting
import Glibc
import Testing
import TestSupport

/// States no command explained or repaired (issue 9, item 9), and names that are not UTF-8 (item 10): `verify`
/// names each, `repair` fixes what it safely can, the rest gets a message saying what to do.
@Suite("Odd states and names that are not UTF-8: verify names them, repair fixes what it safely can")
struct OddStatesTests {
    /// demo/g1, g2 published; current g2, previous g1.
    static func twoGenerations() throws -> StoreFixture {
        let fixture = try StoreFixture()
        try fixture.publishG1AndG2(thenSwitchTo: "g1", "g2")
        return fixture
    }

    @Test(".staging and .trash a symlink (to a directory outside) or a file: verify reports, repair and gc unlink them, never following")
    func stagingAndTrashOfTheWrongKind() throws {
        let outside = try TemporaryDirectory("odd-outside")
        defer { outside.remove() }
        #expect(FileManager.default.createFile(atPath: outside.appending("keep"), contents: Data("x".utf8)))
        for (directory, make) in [(".staging", "symlink"), (".trash", "symlink"), (".trash", "file")] {
            let fixture = try Self.twoGenerations()
            defer { fixture.remove() }
            let path = fixture.path(directory)
            _ = rmdir(path)
            if make == "symlink" {
                #expect(symlink(outside.path, path) == 0)
            } else {
                #expect(FileManager.default.createFile(atPath: path, contents: Data()))
            }
            let problems = try fixture.store().verify()
            #expect(problems.map(\.path) == [path], "\(problems)")
            #expect(problems.first?.message.contains("not a directory (run repair") == true, "\(problems)")
            if directory == ".trash" {
                _ = try fixture.write { try $0.collectGarbage(sourceGone: { _, _ in false }) }
            } else {
                let report = try fixture.write { try $0.repair() }
                #expect(report.removed == [path])
            }
            #expect(!fixture.exists(directory))
            #expect(try fixture.store().verify() == [])
            #expect(FileManager.default.fileExists(atPath: outside.appending("keep")))
            // The next publish makes the directory again.
            try fixture.write { try $0.publish(name: "demo", generation: "g3", manifest: manifest("c")) }
        }
    }

    @Test(".lock a symlink or a directory: verify reports it, writers fail saying it is not the lock file")
    func lockOfTheWrongKind() throws {
        for kind in ["symlink", "directory"] {
            let fixture = try Self.twoGenerations()
            defer { fixture.remove() }
            let lock = fixture.path(".lock")
            #expect(unlink(lock) == 0)
            if kind == "symlink" { #expect(symlink("/nonexistent-lock", lock) == 0) } else { #expect(mkdir(lock, 0o755) == 0) }
            let problems = try fixture.store().verify()
            #expect(problems.map(\.path) == [lock])
            #expect(problems.first?.message.contains("is a \(kind), not the lock file") == true, "\(problems)")
            let error = #expect(throws: StoreError.self) {
                try fixture.write { try $0.switchCurrent(name: "demo", to: "g1") }
            }
            #expect(error?.reason.contains("not the lock file: remove it") == true, "\(String(describing: error))")
            #expect(fixture.link("demo/current") == "g2")
        }
    }

    @Test("switching away from a dangling current keeps the valid previous")
    func danglingCurrentNeverBecomesPrevious() throws {
        for refused in [false, true] {
            let fixture = try Self.twoGenerations()
            defer { fixture.remove() }
            try fixture.write { try $0.publish(name: "demo", generation: "g3", manifest: manifest("c")) }
            #expect(unlink(fixture.path("demo/current")) == 0)
            #expect(symlink("gone", fixture.path("demo/current")) == 0)
            let recording = RecordingSystemCalls()
            if refused { recording.inject(.invalidArgument, into: "renameat2") }
            try fixture.write(recording) { try $0.switchCurrent(name: "demo", to: "g3") }
            #expect(fixture.link("demo/current") == "g3")
            #expect(fixture.link("demo/previous") == "g1", "renameat2 refused: \(refused)")
            #expect(try fixture.store().verify() == [])
        }
    }

    @Test("switch and rollback refuse a generation whose manifest is corrupt, and change nothing")
    func corruptManifestIsNeverMadeCurrent() throws {
        let fixture = try Self.twoGenerations()
        defer { fixture.remove() }
        try fixture.write { try $0.publish(name: "demo", generation: "g3", manifest: manifest("c")) }
        for generation in ["g3", "g1"] {
            let manifestPath = fixture.path("demo/\(generation)/.manifest.json")
            #expect(chmod(manifestPath, 0o644) == 0 || true)
            #expect(FileManager.default.createFile(atPath: manifestPath, contents: Data("{\"format\": tru".utf8)))
        }
        let before = fixture.names("demo")
        let error = #expect(throws: StoreError.self) {
            try fixture.write { try $0.switchCurrent(name: "demo", to: "g3") }
        }
        #expect(error?.kind == .badData)
        #expect(error?.reason.contains("manifest cannot be read") == true, "\(String(describing: error))")
        #expect(throws: StoreError.self) { try fixture.write { try $0.rollback(name: "demo") } }
        #expect(fixture.names("demo") == before)
        #expect(fixture.link("demo/current") == "g2")
    }

    @Test("names that are not UTF-8: verify lists each, repair removes ours and converges, leaves the rest saying so")
    func undecodableNames() throws {
        let fixture = try Self.twoGenerations()
        defer { fixture.remove() }
        func path(_ parts: [UInt8]...) -> [CChar] {
            (Array(fixture.root.utf8) + parts.flatMap { [UInt8(ascii: "/")] + $0 }).map { CChar(bitPattern: $0) } + [0]
        }
        let ff: [UInt8] = [0xff], fe: [UInt8] = [0x61, 0xfe]
        let staging = Array(".staging".utf8), trash = Array(".trash".utf8), demo = Array("demo".utf8)
        _ = mkdir(path(staging), 0o755)
        _ = mkdir(path(trash), 0o755)
        #expect(mkdir(path(staging, ff), 0o755) == 0)
        #expect(mkdir(path(staging, ff, fe), 0o755) == 0)
        #expect(symlink("/etc/passwd", path(staging, ff, fe, ff)) == 0)
        #expect(open(path(trash, fe), O_CREAT | O_WRONLY, 0o644) >= 0)
        #expect(symlink("g1", path(demo, Array(".next-".utf8) + ff)) == 0)
        #expect(mkdir(path(demo, ff), 0o755) == 0)

        let problems = try fixture.store().verify().map(\.path).sorted()
        #expect(
            problems == [
                fixture.path(".staging/\\xff"), fixture.path(".trash/a\\xfe"), fixture.path("demo/.next-\\xff"),
                fixture.path("demo/\\xff"),
            ], "\(problems)")
        let report = try fixture.write { try $0.repair() }
        #expect(
            report.removed.sorted() == [
                fixture.path(".staging/\\xff"), fixture.path(".trash/a\\xfe"), fixture.path("demo/.next-\\xff"),
            ], "\(report)")
        #expect(report.leftovers.map(\.path) == [fixture.path("demo/\\xff")])
        #expect(report.leftovers.first?.reason.contains("not UTF-8") == true)
        #expect(fixture.names(".staging").isEmpty && fixture.names(".trash").isEmpty)
        let again = try fixture.write { try $0.repair() }
        #expect(again.removed.isEmpty && again.leftovers.count == 1, "repair converges: \(again)")
        #expect(FileManager.default.fileExists(atPath: "/etc/passwd"))
    }

    @Test("current a regular file or a directory: verify reports it; switch and status fail saying what it is and what to do")
    func currentOfTheWrongKind() throws {
        for kind in ["regular file", "directory"] {
            let fixture = try Self.twoGenerations()
            defer { fixture.remove() }
            let current = fixture.path("demo/current")
            #expect(unlink(current) == 0)
            if kind == "directory" {
                #expect(mkdir(current, 0o755) == 0)
            } else {
                #expect(FileManager.default.createFile(atPath: current, contents: Data()))
            }
            #expect(try fixture.store().verify().map(\.path).contains(current))
            let error = #expect(throws: StoreError.self) {
                try fixture.write { try $0.switchCurrent(name: "demo", to: "g1") }
            }
            #expect(error?.kind == .badData)
            #expect(error?.reason.contains("it is a \(kind), not a link to a generation") == true, "\(String(describing: error))")
            #expect(error?.path == current)
        }
    }

    @Test("printable(bytes:) escapes each byte that is not part of valid UTF-8 and keeps the rest")
    func printableBytes() {
        #expect(NameRules.printable(bytes: Array("plain".utf8)) == "plain")
        #expect(NameRules.printable(bytes: [0x61, 0xff, 0x62]) == "a\\xffb")
        #expect(NameRules.printable(bytes: [0xc3, 0xa9, 0xc3]) == "é\\xc3")
        #expect(NameRules.printable(bytes: [0x0a, 0x80]) == "\\n\\x80")
    }
}
