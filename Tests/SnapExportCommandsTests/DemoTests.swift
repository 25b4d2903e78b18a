import Foundation
import Testing
import TestSupport

@Suite("The README's first command: snap-export demo")
struct DemoTests {
    @Test func theDemoFlipsUnderReadersWithoutAFailedLookupAndLeavesAVerifiedRoot() throws {
        let temp = try TemporaryDirectory("demo-test")
        defer { temp.remove() }
        let result = try snapExport(["demo", "--switches", "600", "--json"], environment: ["TMPDIR": temp.path])
        #expect(result.status == 0, "\(result.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(json["switches"] as? Int == 600)
        #expect((json["rollbacks"] as? Int ?? 0) >= 1)
        #expect(json["failed_lookups"] as? Int == 0)
        #expect((json["lookups"] as? Int ?? 0) > 0)
        #expect(json["verify_problems"] as? Int == 0)
        let root = try #require(json["root"] as? String)
        #expect(root.hasPrefix(temp.path))
        let status = try snapExport(["--root", root, "status", "--json"])
        let names = try #require(
            (try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])?["names"]
                as? [[String: Any]])
        #expect(names.first?["current"] as? String == json["current"] as? String)
        #expect((names.first?["generations"] as? [Any])?.count == 4)
    }

    @Test func theDemoRefusesARootThatAlreadyHoldsExports() throws {
        let temp = try TemporaryDirectory("demo-test")
        defer { temp.remove() }
        let root = temp.appending("root")
        try snapExport(["--root", root, "publish", "x", "g", "--entry", "s/e=/bin/sh"])
        let result = try snapExport(["--root", root, "demo", "--switches", "10"], environment: ["TMPDIR": temp.path])
        #expect(result.status == 64)
        #expect(result.stderr.contains(root))
    }

    /// The simulated system used to be made inside the given root, where verify rightly called it an unexpected
    /// entry, so `demo --root DIR` always failed.
    @Test func theDemoInAGivenEmptyRootLeavesARootThatVerifiesClean() throws {
        let temp = try TemporaryDirectory("demo-test")
        defer { temp.remove() }
        let root = temp.appending("root")
        let result = try snapExport(
            ["--root", root, "demo", "--switches", "10", "--readers", "1"], environment: ["TMPDIR": temp.path])
        #expect(result.status == 0, "\(result.stderr)")
        let verify = try snapExport(["--root", root, "verify"])
        #expect(verify.status == 0, "\(verify.stdout)")
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: root).sorted() == [
                ".lock", ".snap-export", ".staging", "snapd",
            ])
    }
}
