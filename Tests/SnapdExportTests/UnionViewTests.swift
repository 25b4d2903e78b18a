import GenerationStore
import SnapdExport
import Testing

/// The union model as a pure function: which entries are accepted, who keeps a contended name, the targets.
@Suite("Union views: namespacing, conflicts, targets")
struct UnionViewTests {
    let root = "/var/lib/snapd/export"

    func owner(_ instance: String, _ generation: String = "1", man: [String: [String]] = [:], fonts: [String] = [])
        -> UnionOwner
    {
        var sets: [String: [String: String]] = [:]
        for (section, pages) in man {
            sets["man/" + section] = Dictionary(uniqueKeysWithValues: pages.map { ($0, "/snap/\(instance)/x/\($0)") })
        }
        if !fonts.isEmpty {
            sets["fonts"] = Dictionary(uniqueKeysWithValues: fonts.map { ($0, "/snap/\(instance)/x/\($0)") })
        }
        return UnionOwner(instance: instance, generation: generation, sets: sets)
    }

    @Test(arguments: [
        ("htop", "htop.1", true), ("htop", "htop.1.gz", true), ("htop", "htop.conf.5", false),
        ("git", "git-commit.1", true), ("lxd", "lxd.lxc.1", true), ("ls", "lsblk.8", false),
        ("htop_beta", "htop.1", true), ("htop", "other.1", false), ("htop", "htop.8", false),
        ("htop", "htop", false), ("htop", ".1", false),
    ])
    func manPagesAreAcceptedOnlyWhenNamedAfterTheSnap(_ instance: String, _ page: String, _ accepted: Bool) {
        let view = UnionView.build(.man, root: root, owners: [owner(instance, man: ["man1": [page]])], previous: nil)
        #expect((view.manifest?.sets["man1"]?[page] != nil) == accepted)
        #expect(view.refused.count == (accepted ? 0 : 1))
        if !accepted { #expect(view.refused.first?.snap == instance && view.refused.first?.entry == page) }
    }

    @Test func manEntriesGoThroughTheOwnersCurrentAndFontEntriesThroughItsGeneration() throws {
        let owners = [owner("htop", "7", man: ["man1": ["htop.1"]], fonts: ["Htop.ttf"])]
        let man = try #require(UnionView.build(.man, root: root, owners: owners, previous: nil).manifest)
        #expect(man.sets == ["man1": ["htop.1": root + "/htop/current/man/man1/htop.1"]])
        #expect(man.inputs == ["htop": "7"] && man.format == 2 && man.source == "union:man")
        let fonts = try #require(UnionView.build(.fonts, root: root, owners: owners, previous: nil).manifest)
        #expect(fonts.sets == ["fonts": ["Htop.ttf": root + "/htop/7/fonts/Htop.ttf"]])
    }

    @Test func languagesAndOtherSetsAreMappedOrRefusedWithAReason() {
        let sets: [String: [String: String]] = [
            "man/de/man1": ["tool.1": "/x"], "man/cat1": ["tool.1": "/x"], "fonts/truetype": ["a.ttf": "/x"],
            "tools": ["tool": "/x"],
        ]
        let owners = [UnionOwner(instance: "tool", generation: "1", sets: sets)]
        let man = UnionView.build(.man, root: root, owners: owners, previous: nil)
        #expect(man.manifest?.sets == ["de/man1": ["tool.1": root + "/tool/current/man/de/man1/tool.1"]])
        #expect(man.refused.map(\.set) == ["man/cat1"])
        let fonts = UnionView.build(.fonts, root: root, owners: owners, previous: nil)
        #expect(fonts.manifest == nil && fonts.refused.map(\.set) == ["fonts/truetype"])
    }

    @Test func aHolderKeepsItsNameWhenANewcomerThatWouldWinAFreshTieArrives() throws {
        // b-fonts holds the font; a-fonts (earlier in name order) arrives later: b-fonts keeps it.
        let first = UnionView.build(.fonts, root: root, owners: [owner("b-fonts", fonts: ["X.ttf"])], previous: nil)
        let second = UnionView.build(
            .fonts, root: root, owners: [owner("a-fonts", fonts: ["X.ttf"]), owner("b-fonts", fonts: ["X.ttf"])],
            previous: first.manifest)
        #expect(second.manifest?.sets["fonts"]?["X.ttf"] == root + "/b-fonts/1/fonts/X.ttf")
        #expect(
            second.conflicts == [
                UnionConflict(union: "@fonts", set: "fonts", entry: "X.ttf", owner: "b-fonts", refused: "a-fonts")
            ])
        // Without history the same owners give the tie to the lower instance name: deterministic.
        let fresh = UnionView.build(
            .fonts, root: root, owners: [owner("b-fonts", fonts: ["X.ttf"]), owner("a-fonts", fonts: ["X.ttf"])],
            previous: nil)
        #expect(fresh.manifest?.sets["fonts"]?["X.ttf"] == root + "/a-fonts/1/fonts/X.ttf")
        // When the holder stops exporting it, the other contender takes it.
        let third = UnionView.build(
            .fonts, root: root, owners: [owner("a-fonts", fonts: ["X.ttf"]), owner("b-fonts")],
            previous: second.manifest)
        #expect(third.manifest?.sets["fonts"]?["X.ttf"] == root + "/a-fonts/1/fonts/X.ttf" && third.conflicts.isEmpty)
    }

    @Test func aFreePageGoesToTheSnapNamedExactlyLikeItBeforeOneSharingOnlyItsPrefix() {
        let view = UnionView.build(
            .man, root: root,
            owners: [owner("git", man: ["man1": ["git-lfs.1"]]), owner("git-lfs", man: ["man1": ["git-lfs.1"]])],
            previous: nil)
        #expect(view.manifest?.sets["man1"]?["git-lfs.1"] == root + "/git-lfs/current/man/man1/git-lfs.1")
        #expect(view.conflicts.map(\.refused) == ["git"])
    }

    @Test func aThousandConflictingNamesAreEachReportedAndTheHolderKeepsThemAll() throws {
        let pages = (0..<1000).map { "big-\($0).1" }
        let holder = owner("big", man: ["man1": pages])
        let first = UnionView.build(.man, root: root, owners: [holder], previous: nil)
        let view = UnionView.build(
            .man, root: root, owners: [holder, owner("big_x", man: ["man1": pages])], previous: first.manifest)
        #expect(view.manifest?.sets["man1"]?.count == 1000)
        #expect(
            view.conflicts.count == 1000 && view.conflicts.allSatisfy { $0.owner == "big" && $0.refused == "big_x" })
        #expect(view.manifest?.sets == first.manifest?.sets)
    }

    @Test func theGenerationNameIsADigestOfTheContent() throws {
        let a = try #require(
            UnionView.build(.man, root: root, owners: [owner("a", man: ["man1": ["a.1"]])], previous: nil).manifest)
        let b = try #require(
            UnionView.build(.man, root: root, owners: [owner("a", "2", man: ["man1": ["a.1"]])], previous: nil).manifest
        )
        #expect(UnionView.generationName(of: a) == UnionView.generationName(of: a))
        #expect(UnionView.generationName(of: a) != UnionView.generationName(of: b))
        #expect(UnionView.generationName(of: a).count == 17)
    }
}
