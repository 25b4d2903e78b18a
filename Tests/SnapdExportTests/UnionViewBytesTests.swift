import GenerationStore
import Testing

@testable import SnapdExport

/// `UnionView` decides ASCII targets on bytes (a union of 20,000 entries reads every target): the answers must be
/// those of the character-based rules, and non-ASCII roots and targets still get those rules.
@Suite("Union views: byte fast paths agree with the character rules")
struct UnionViewBytesTests {
    /// The owner a target names, by the character-based rule (`hasPrefix`, `dropFirst`, `firstIndex`).
    func referenceOwner(_ target: String, _ root: String) -> String? {
        guard target.hasPrefix(root + "/") else { return nil }
        let rest = target.dropFirst(root.count + 1)
        guard let slash = rest.firstIndex(of: "/") else { return nil }
        return String(rest[..<slash])
    }

    @Test("owner(ofTarget:) names the owner the character rule names, for every short target below three roots")
    func ownerOfTargetAgrees() {
        let alphabet = ["/", "a", "é", "\u{301}", "\r", "\n", "r"]
        var tails: [String] = [""]
        var last: [String] = [""]
        for _ in 0..<5 {
            last = last.flatMap { prefix in alphabet.map { prefix + $0 } }
            tails += last
        }
        for root in ["/r", "/é", "/r\r", "/r/"] {
            for tail in tails {
                for target in [root + tail, "/" + tail, tail] {
                    #expect(
                        UnionView.owner(ofTarget: target, root: root) == referenceOwner(target, root),
                        "root \(Array(root.utf8)) target \(Array(target.utf8))")
                }
            }
        }
    }

    @Test("owners(in:) gives back each owner's held entries and generation, below an ASCII root and a non-ASCII one")
    func ownersInAgree() throws {
        for root in ["/var/lib/snapd/export", "/var/lib/snäpd/export"] {
            var owners: [UnionOwner] = []
            for index in 0..<30 {
                let instance = "s\(index)"
                var sets: [String: [String: String]] = [
                    "man/man1": Dictionary(
                        uniqueKeysWithValues: (0..<5).map { ("\(instance)-p\($0).1", "/snap/\(instance)/1/p\($0)") }),
                    "fonts": ["\(instance).ttf": "/snap/\(instance)/1/f.ttf"],
                ]
                if index % 3 == 0 { sets["man/de/man8"] = ["\(instance).8": "/snap/\(instance)/1/de8"] }
                owners.append(UnionOwner(instance: instance, generation: "g\(index)", sets: sets))
            }
            for kind in UnionKind.allCases {
                let manifest = try #require(UnionView.build(kind, root: root, owners: owners, previous: nil).manifest)
                let held = UnionView.owners(in: manifest, kind, root: root)
                #expect(held.count == owners.count)
                for owner in owners {
                    let found = try #require(held[owner.instance])
                    #expect(found.generation == owner.generation)
                    var expected: [String: [String: String]] = [:]
                    for (set, entries) in owner.sets where kind == .fonts ? set == "fonts" : set.hasPrefix("man/") {
                        expected[set] = Dictionary(
                            uniqueKeysWithValues: entries.keys.map {
                                ($0, UnionView.target(kind, root: root, owner: owner, ownerSet: set, entry: $0))
                            })
                    }
                    #expect(found.sets == expected, "\(kind) \(owner.instance) below \(root)")
                }
            }
        }
    }

    @Test("targets outside the root, or too short to name an owner's entry, give no owner")
    func strayTargetsGiveNoOwner() {
        let root = "/x"
        let manifest = Manifest(
            source: "union:man",
            sets: ["man1": ["a.1": "/y/a/current/man/man1/a.1", "b.1": "/x/b/current/b.1", "c.1": "/x/c"]],
            inputs: [:])
        #expect(UnionView.owners(in: manifest, .man, root: root).isEmpty)
    }
}
