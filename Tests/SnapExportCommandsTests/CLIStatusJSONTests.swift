import Foundation
import Testing

@Suite("status --json has exactly the keys of the documented format")
struct CLIStatusJSONTests {
    private func parse(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    private func names(_ json: [String: Any]) throws -> [[String: Any]] {
        try #require(json["names"] as? [[String: Any]])
    }

    @Test("a root with nothing exported has an empty names array")
    func emptyRoot() throws {
        let fixture = try CLIFixture()
        defer { fixture.remove() }
        let json = try parse(try fixture.statusJSON())
        #expect(Set(json.keys) == ["names", "unions"])
        #expect(json["unions"] is NSNull, "no union views: null")
        #expect(try names(json).isEmpty)
    }

    @Test("each name has name, current, previous (null when absent) and generations of name and entries")
    func keysAndNulls() throws {
        let fixture = try CLIFixture()
        defer { fixture.remove() }
        try fixture.succeed(["publish", "demo", "g1", "--entry", "tools/a=/a", "--entry", "man/man1/a.1=/a.1"])
        try fixture.succeed(["publish", "demo", "g2", "--entry", "tools/a=/a"])
        try fixture.succeed(["switch", "demo", "g1"])
        try fixture.succeed(["publish", "other", "x", "--entry", "fonts/f=/f"])
        let text = try fixture.statusJSON()
        let json = try parse(text)
        #expect(Set(json.keys) == ["names", "unions"])
        let all = try names(json)
        try #require(all.count == 2)
        for name in all {
            #expect(Set(name.keys) == ["name", "current", "previous", "generations"])
            for generation in try #require(name["generations"] as? [[String: Any]]) {
                #expect(Set(generation.keys) == ["name", "entries"])
                #expect(generation["entries"] is NSNumber)
            }
        }
        let demo = all[0]
        #expect(demo["name"] as? String == "demo")
        #expect(demo["current"] as? String == "g1")
        #expect(demo["previous"] is NSNull)
        let generations = try #require(demo["generations"] as? [[String: Any]])
        #expect(generations.map { $0["name"] as? String } == ["g1", "g2"])
        #expect(generations.map { ($0["entries"] as? NSNumber)?.intValue } == [2, 1])
        let other = all[1]
        #expect(other["current"] is NSNull && other["previous"] is NSNull)
        // null is written out, not left out, and the keys come sorted (docs/cli.md#json-output).
        #expect(text.contains(#""previous" : null"#))
        let order = ["\"current\"", "\"generations\"", "\"name\"", "\"previous\""].compactMap {
            text.range(of: $0)?.lowerBound
        }
        #expect(order.count == 4 && order == order.sorted())

        try fixture.succeed(["switch", "demo", "g2"])
        let switched = try names(try parse(try fixture.statusJSON()))[0]
        #expect(switched["current"] as? String == "g2")
        #expect(switched["previous"] as? String == "g1")
    }

    @Test("status NAME --json reports only that name")
    func oneName() throws {
        let fixture = try CLIFixture()
        defer { fixture.remove() }
        try fixture.succeed(["publish", "demo", "g1", "--entry", "tools/a=/a"])
        try fixture.succeed(["publish", "other", "x", "--entry", "fonts/f=/f"])
        let all = try names(try parse(try fixture.succeed(["status", "other", "--json"])))
        #expect(all.map { $0["name"] as? String } == ["other"])
    }
}
