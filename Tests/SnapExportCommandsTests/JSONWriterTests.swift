import Foundation
@testable import SnapExportCommands
import Testing

/// The writer of `--json` documents prints what `JSONEncoder` (sorted keys, pretty printed, slashes as they are,
/// snake_case property names) printed, empty containers on one line: on values that use every rule.
@Suite("JSONWriter: JSONEncoder's text, byte for byte")
struct JSONWriterTests {
    enum Kind: String, Encodable { case one, twoWords }
    struct Inner: Encodable {
        var fooBarURL = 1
        var aB = -2
        var x2y: UInt64 = .max
        var lowest = Int64.min
        var small: Int8 = -8
        var HTTPStatus: UInt16 = 200
    }
    struct Sample: Encodable {
        var text: String
        var keys: [String: Int]
        var nested: [String: [String: Inner]]
        var list: [Inner]
        var empty: [String] = []
        var emptyObject: [String: String] = [:]
        var omitted: String? = nil
        @Nullable var nullable: String? = nil
        @Nullable var present: String? = "here"
        var flags = [true, false]
        var kind = Kind.twoWords
        var optionals: [String?] = [nil, "x"]
        var deep = [[[Int]]]([[[]], [[1, 2]]])
    }

    static func reference(_ value: some Encodable) throws -> String {
        try CLIJSONShapeTests.foundationRendering(value)
    }

    @Test func everyRuleMatchesJSONEncoder() throws {
        var text = ""
        for scalar in 0..<0x80 { text.unicodeScalars.append(Unicode.Scalar(UInt8(scalar))) }
        text += "é\u{2028}\u{2029}😀/\\\""
        let sample = Sample(
            text: text,
            keys: ["s10": 1, "s9": 2, "S1": 3, "a_b": 4, "ab": 5, "aB": 6, "é": 7, "e": 8, "": 9, "x/y": 10],
            nested: ["outer": ["innerKey": Inner()], "empty": [:]],
            list: [Inner(), Inner(fooBarURL: 0, aB: 0, x2y: 0, lowest: 0, small: 0, HTTPStatus: 0)])
        #expect(JSONOutput.render(sample) == (try Self.reference(sample)))
        for value in ["", "plain", "\u{7F}", "\t\n"] {
            #expect(JSONOutput.render([value]) == (try Self.reference([value])))
        }
        #expect(JSONOutput.render([String: Int]()) == (try Self.reference([String: Int]())))
        #expect(JSONOutput.render([Int]()) == (try Self.reference([Int]())))
    }

    @Test(arguments: [
        "previousCurrent", "fooBarURL", "URLValue", "aB", "x2y", "already_snake", "HTTPStatus", "a", "ABC", "aBC",
        "switchP50Ns", "rssSource", "x", "isURLOK", "dryRun",
    ])
    func propertyNamesAreConvertedAsJSONEncoderConvertsThem(_ name: String) throws {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        struct One: Encodable {
            var name: String
            struct Key: CodingKey {
                var stringValue: String
                var intValue: Int? { nil }
                init(stringValue: String) { self.stringValue = stringValue }
                init?(intValue: Int) { nil }
            }
            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: Key.self)
                try container.encode(1, forKey: Key(stringValue: name))
            }
        }
        let expected = String(decoding: try encoder.encode(One(name: name)), as: UTF8.self)
        #expect(expected == "{\"\(JSONKeys.convert(name))\":1}", "\(name)")
    }

    @Test func aFloatingPointNumberIsRefusedNotPrintedDifferently() {
        #expect(throws: EncodingError.self) { try JSONWriter.document([1.5]) }
        #expect(JSONOutput.render([1.5]).contains("cannot encode the output"))
    }
}
