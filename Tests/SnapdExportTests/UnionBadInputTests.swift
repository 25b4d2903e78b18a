import Foundation
import GenerationStore
import Glibc
import SnapdExport
import Testing
import TestSupport

@Suite("Bad input never changes what other snaps or the host see through the unions")
struct UnionBadInputTests {
    func withStay() throws -> UnionWorld {
        let world = try UnionWorld()
        try world.add("stay", "5", pages: ["stay.1"], fonts: ["Stay.ttf"])
        try world.link("stay", "5")
        return world
    }

    @Test(arguments: [
        (#"{"sets": {"man/man1": {"evil.1": "../../../etc/passwd"}}}"#, "'evil.1'"),
        (#"{"sets": {"fonts": {"a/b.ttf": "usr/share/fonts/b.ttf"}}}"#, "'a/b.ttf'"),
        (#"{"sets": {"fonts": {"..": "usr/share/fonts/b.ttf"}}}"#, "'..'"),
    ])
    func aBadEntryFailsTheSnapsLinkNamingTheSnapFileAndEntryAndNoUnionChanges(_ exports: String, _ entry: String)
        throws
    {
        let world = try withStay()
        defer { world.remove() }
        let path = try world.world.addRevision("evil", "1")
        try world.world.write(path + "/meta/exports.json", exports)
        try world.world.setCurrent("evil", "1")
        let before = treeSnapshot(world.root)
        let manLink = treeSnapshot(world.world.snapMountDir + "/man")
        #expect {
            try world.link("evil", "1")
        } throws: { error in
            let message = "\(error)"
            return message.contains("evil") && message.contains(path + "/meta/exports.json") && message.contains(entry)
                && (error as? StoreError)?.kind == .badData
        }
        #expect(treeSnapshot(world.root) == before)
        #expect(treeSnapshot(world.world.snapMountDir + "/man") == manLink)
        // refresh leaves the snap out too: it never was an owner.
        #expect(try world.unions().check() == nil)
    }

    @Test func aThousandConflictingNamesAreEachAWarningNamingBothSnapsAndTheHolderKeepsThem() throws {
        let world = try UnionWorld()
        defer { world.remove() }
        let pages = (0..<1000).map { "big-\($0).1" }
        try world.add("big", "1", pages: pages)
        try world.link("big", "1")
        let held = world.entries("@man")
        try world.add("big_x", "1", pages: pages)
        let result = try world.cli(["link", "big_x", "1"])
        #expect(result.status == 0, "\(result.stderr)")
        let warnings = result.stderr.split(separator: "\n").filter {
            $0.contains("conflict: @man man1/big-") && $0.contains("exported by big and big_x")
        }
        #expect(warnings.count == 1000)
        #expect(world.entries("@man") == held)
        let exports = try world.cli(["exports", "--json"])
        let document = try JSONSerialization.jsonObject(with: Data(exports.stdout.utf8)) as? [String: Any]
        let unions = document?["unions"] as? [[String: Any]] ?? []
        let man = unions.first { $0["name"] as? String == "@man" }
        #expect((man?["conflicts"] as? [Any])?.count == 1000)
    }

    @Test func aSnapNamedManAtTheManLinksPlaceIsLeftAloneWithAWarningThatSaysHowToReachTheUnion() throws {
        let world = try UnionWorld()
        defer { world.remove() }
        try FileManager.default.createDirectory(
            atPath: world.world.snapMountDir + "/man/7", withIntermediateDirectories: true)
        try world.add("htop", "1", pages: ["htop.1"])
        let report = try world.link("htop", "1")
        let warning = report.unions?.warnings.first { $0.path == world.world.snapMountDir + "/man" }
        #expect(warning?.message.contains("MANPATH=" + world.root + "/@man/current") == true, "\(report)")
        var st = stat()
        #expect(lstat(world.world.snapMountDir + "/man", &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR)
        #expect(FileManager.default.fileExists(atPath: world.world.snapMountDir + "/man/7"))
    }

    @Test func aManLinkToAnotherRootIsReplacedAtomicallyAndRepairRemovesACrashedTemporaryLink() throws {
        let world = try UnionWorld()
        defer { world.remove() }
        let smd = world.world.snapMountDir
        try FileManager.default.createSymbolicLink(
            atPath: smd + "/man", withDestinationPath: "/elsewhere/export/@man/current")
        try FileManager.default.createSymbolicLink(
            atPath: smd + "/.man.snap-export-00ff", withDestinationPath: world.root + "/@man/current")
        try world.add("htop", "1", pages: ["htop.1"])
        try world.link("htop", "1")
        #expect(
            (try? FileManager.default.destinationOfSymbolicLink(atPath: smd + "/man")) == world.root + "/@man/current")
        let repair = try world.cli(["repair"])
        #expect(repair.status == 0 && repair.stdout.contains(smd + "/.man.snap-export-00ff"), "\(repair.stdout)")
        #expect(!FileManager.default.fileExists(atPath: smd + "/.man.snap-export-00ff"))
        #expect(
            ((try? FileManager.default.contentsOfDirectory(atPath: smd)) ?? []).filter {
                $0.hasPrefix(".man.")
            }.isEmpty)
    }
}
