import Foundation
import GenerationStore
@testable import SnapExportCommands
import Testing
import TestSupport

/// A directory that is not an export root but holds what a root's leftovers look like: a home directory.
private func makeHomeLike(_ path: String, withLock: Bool) throws {
    let fm = FileManager.default
    for directory in [".trash/x", ".staging/y", "a", "Documents"] {
        try fm.createDirectory(atPath: path + "/" + directory, withIntermediateDirectories: true)
    }
    _ = fm.createFile(atPath: path + "/.bashrc", contents: Data("alias ll='ls -l'\n".utf8))
    _ = fm.createFile(atPath: path + "/.trash/x/deleted-photo.jpg", contents: Data("photo".utf8))
    _ = fm.createFile(atPath: path + "/.staging/y/draft.txt", contents: Data("draft".utf8))
    _ = fm.createFile(atPath: path + "/Documents/notes.txt", contents: Data("notes".utf8))
    try fm.createSymbolicLink(atPath: path + "/a/.next-z", withDestinationPath: "g1")
    if withLock { _ = fm.createFile(atPath: path + "/.lock", contents: Data()) }
}

/// Arguments that get `command` past its argument checks, so that what it does next is to look at the root.
private func reachingTheRoot(_ command: any Command.Type, into: String) -> [String] {
    var arguments = [command.name]
    for (index, operand) in command.syntax.operands.enumerated() {
        if case .choice(let choices) = operand.value {
            arguments.append(choices[0])
        } else {
            arguments.append("operand\(index)")
        }
    }
    switch command.name {
    case PublishCommand.name: arguments += ["--entry", "tools/a=/x"]
    case MountToolsCommand.name: arguments += ["--into", into]
    default: break
    }
    return arguments
}

@Suite("Only an export root is read or written: the marker, format-1 roots adopted (issue 9, item 5)")
struct RootMarkerTests {
    @Test(
        "repair and gc on a home-like directory delete nothing and exit 66 naming it",
        arguments: [["repair"], ["gc", "--grace", "0", "--keep", "0"]], [false, true])
    func homeDirectoryIsNotARoot(_ arguments: [String], withLock: Bool) throws {
        let fixture = try CLIFixture(marked: false)
        defer { fixture.remove() }
        try makeHomeLike(fixture.root, withLock: withLock)
        let before = fixture.snapshot()
        for runner in CLIRunner.allCases {
            let result = try fixture.run(arguments, runner)
            #expect(result.status == 66, "\(arguments): \(result.stdout)\(result.stderr)")
            #expect(
                result.stderr.hasPrefix(
                    "snap-export: \(arguments[0]): \(fixture.root): not an export root: no .snap-export marker"),
                "\(result.stderr)")
            #expect(result.stdout.isEmpty)
        }
        #expect(fixture.snapshot() == before)
    }

    @Test("every command that reads or writes the root refuses a home-like directory with 66 and changes nothing")
    func everyCommandRefusesAForeignDirectory() throws {
        let fixture = try CLIFixture(marked: false)
        defer { fixture.remove() }
        try makeHomeLike(fixture.root, withLock: false)
        let into = fixture.directory.appending("into")
        try FileManager.default.createDirectory(atPath: into, withIntermediateDirectories: false)
        let before = fixture.snapshot()
        var checked: [String] = []
        for command in Commands.all where command.rootUse != .unused {
            let result = try fixture.run(reachingTheRoot(command, into: into))
            #expect(result.status == 66, "\(command.name): \(result.stdout)\(result.stderr)")
            #expect(
                result.stderr.contains("\(fixture.root): not an export root: no .snap-export marker"),
                "\(command.name): \(result.stderr)")
            checked.append(command.name)
        }
        #expect(fixture.snapshot() == before)
        #expect(checked.contains("verify") && checked.contains("publish") && checked.contains("unlink"))
        // Completion offers no names from a directory that is not a root.
        #expect(try fixture.run(["__complete", "names"]).stdout.isEmpty)
    }

    @Test("verify of a nonexistent root exits 66 and never says clean", arguments: CLIRunner.allCases)
    func verifyOfAMissingRoot(_ runner: CLIRunner) throws {
        let fixture = try CLIFixture(marked: false)
        defer { fixture.remove() }
        for arguments in [["verify"], ["verify", "--json"], ["status"]] {
            let result = try fixture.run(arguments, runner)
            #expect(result.status == 66, "\(arguments): \(result.stdout)")
            #expect(!result.stdout.contains("clean"))
            #expect(
                result.stderr == "snap-export: \(arguments[0]): \(fixture.root): not an export root: does not exist\n")
        }
        #expect(!FileManager.default.fileExists(atPath: fixture.root))
    }

    @Test("a switch, rollback, repair or gc of a missing root creates neither the path nor .lock")
    func writersOfAMissingRootCreateNothing() throws {
        let fixture = try CLIFixture(root: "missing/parent/export", marked: false)
        defer { fixture.remove() }
        for arguments in [["switch", "demo", "g1"], ["rollback", "demo"], ["repair"], ["gc"]] {
            for runner in CLIRunner.allCases {
                let result = try fixture.run(arguments, runner)
                #expect(result.status == 66, "\(arguments): \(result.stderr)")
                #expect(result.stderr.contains("not an export root: does not exist"), "\(result.stderr)")
            }
        }
        #expect(!FileManager.default.fileExists(atPath: fixture.directory.appending("missing")))
        // The library refuses as the command line does: a writer that may not create the root creates nothing.
        #expect(throws: StoreError.self) { try ExportStore(root: fixture.root).withWriter { _ in } }
        #expect(!FileManager.default.fileExists(atPath: fixture.directory.appending("missing")))
    }

    @Test("publish makes an absent path or an empty directory a root, with the marker; not a directory holding files")
    func creatingCommandsMakeRootsOnlyWhereNothingIs() throws {
        let fixture = try CLIFixture(marked: false)
        defer { fixture.remove() }
        try fixture.succeed(["publish", "demo", "g1", "--entry", "tools/a=/opt/a"])
        let marker = try String(contentsOfFile: fixture.root + "/" + Layout.marker, encoding: .utf8)
        #expect(marker == Layout.markerContent)
        #expect(marker == "snap-export root, format 2\n")

        let empty = try CLIFixture(marked: false)
        defer { empty.remove() }
        try FileManager.default.createDirectory(atPath: empty.root, withIntermediateDirectories: false)
        try empty.succeed(["publish", "demo", "g1", "--entry", "tools/a=/opt/a"])
        #expect(FileManager.default.fileExists(atPath: empty.root + "/" + Layout.marker))

        let home = try CLIFixture(marked: false)
        defer { home.remove() }
        try makeHomeLike(home.root, withLock: false)
        let before = home.snapshot()
        let refused = try home.run(["publish", "demo", "g1", "--entry", "tools/a=/opt/a"])
        #expect(refused.status == 66, "\(refused.stderr)")
        #expect(home.snapshot() == before)
    }

    /// A root as the last release leaves it: everything but the marker.
    private func formatOneRoot() throws -> CLIFixture {
        let fixture = try CLIFixture()
        try fixture.populate()
        try FileManager.default.removeItem(atPath: fixture.root + "/" + Layout.marker)
        return fixture
    }

    @Test("a format-1 root (no marker) is read as it is: status, verify and exports accept it and write nothing")
    func formatOneRootIsReadWithoutWriting() throws {
        let fixture = try formatOneRoot()
        defer { fixture.remove() }
        let before = fixture.snapshot()
        #expect(try fixture.run(["verify"]).status == 0)
        #expect(try fixture.run(["status", "--json"]).status == 0)
        #expect(try fixture.run(["exports"]).status == 0)
        #expect(fixture.snapshot() == before)
    }

    @Test(
        "a format-1 root is adopted by the first writer (switch, gc, repair) and keeps working",
        arguments: [
            ["switch", "demo", "g1"], ["gc"], ["repair"], ["rollback", "demo"],
        ])
    func formatOneRootIsAdopted(_ arguments: [String]) throws {
        let fixture = try formatOneRoot()
        defer { fixture.remove() }
        let result = try fixture.run(arguments, .child)
        #expect(result.status == 0, "\(arguments): \(result.stderr)")
        #expect(
            (try? String(contentsOfFile: fixture.root + "/" + Layout.marker, encoding: .utf8)) == Layout.markerContent)
        #expect(try fixture.run(["verify"]).status == 0)
        try fixture.succeed(["switch", "demo", "g1"])
        try fixture.succeed(["switch", "demo", "g2"])
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: fixture.root + "/demo/current")) == "g2")
        #expect(try fixture.run(["verify"]).status == 0)
    }

    @Test("refresh adopts a format-1 root it switches in")
    func refreshAdoptsAFormatOneRoot() throws {
        let world = try SnapdCommandWorld()
        defer { world.directory.remove() }
        try world.addSnap("snapd", "1", type: "snapd", version: "2.61")
        #expect(world.run(["refresh"]).code == 0)
        let root = world.base + "/export"
        try FileManager.default.removeItem(atPath: root + "/" + Layout.marker)
        try world.addSnap("snapd", "2", type: "snapd", version: "2.62")
        let refreshed = world.run(["refresh"])
        #expect(refreshed.code == 0, "\(refreshed.err)")
        #expect(refreshed.out.contains("switched snapd/current: 1 -> 2"), "\(refreshed.out)")
        #expect(FileManager.default.fileExists(atPath: root + "/" + Layout.marker))
        #expect(world.run(["verify"]).code == 0)
    }

    @Test(
        "a format-1-looking directory with anything the store does not write is not adopted",
        arguments: [
            "notes.txt", "demo/notes.txt", ".cache",
        ])
    func strangersAreNotAdopted(_ stranger: String) throws {
        let fixture = try formatOneRoot()
        defer { fixture.remove() }
        _ = FileManager.default.createFile(atPath: fixture.root + "/" + stranger, contents: Data("x".utf8))
        let before = fixture.snapshot()
        for arguments in [["gc"], ["repair"], ["verify"], ["switch", "demo", "g1"]] {
            let result = try fixture.run(arguments)
            #expect(result.status == 66, "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains("'\(stranger)'"), "\(result.stderr)")
        }
        #expect(fixture.snapshot() == before)
    }
}
