import FoundationEssentials
import GenerationStore
import SnapdExport

/// Machine output: every `--json` document is an `Encodable` value of the command that prints it, rendered
/// here by one `JSONEncoder`, so the shape is a type the compiler checks and the text output can be rendered
/// from the same value.
///
/// The rules of every document (docs/cli.md): keys in `snake_case`, derived from the Swift property names
/// (`previousCurrent` → `previous_current`), sorted; two-space indentation; one final newline; an absent value
/// is an explicit `null` (see `Nullable`), never a missing key.
enum JSONOutput {
    /// `value` as the command line prints it.
    static func render(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        do {
            return String(decoding: collapsingEmptyContainers(Array(try encoder.encode(value))), as: UTF8.self) + "\n"
        } catch {
            // Only strings, booleans, integers, arrays and objects are encoded: encoding cannot fail. Should it,
            // the output is still one valid JSON document that says so.
            return "{\n  \"error\" : \"cannot encode the output\"\n}\n"
        }
    }
}

extension JSONOutput {
    /// `[` or `{`, a newline, only white space, then the closing bracket → `[]` or `{}` (the pretty printer
    /// puts an empty line between them). Inside a JSON string a newline is always escaped, so a bracket
    /// followed by a raw newline is structure, never text.
    static func collapsingEmptyContainers(_ bytes: [UInt8]) -> [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            result.append(byte)
            index += 1
            guard byte == UInt8(ascii: "[") || byte == UInt8(ascii: "{"), index < bytes.count,
                bytes[index] == UInt8(ascii: "\n")
            else { continue }
            var end = index
            while end < bytes.count, bytes[end] == UInt8(ascii: "\n") || bytes[end] == UInt8(ascii: " ") { end += 1 }
            let close = byte == UInt8(ascii: "[") ? UInt8(ascii: "]") : UInt8(ascii: "}")
            if end < bytes.count, bytes[end] == close {
                result.append(close)
                index = end + 1
            }
        }
        return result
    }
}

/// An optional that encodes as `null` when absent, where a synthesized `Encodable` would leave the key out.
@propertyWrapper
struct Nullable<Value: Encodable & Sendable>: Encodable, Sendable {
    var wrappedValue: Value?

    init(wrappedValue: Value?) { self.wrappedValue = wrappedValue }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        if let wrappedValue { try container.encode(wrappedValue) } else { try container.encodeNil() }
    }
}

extension JSONOutput {
    /// `{"path", "reason"}`: something a writer could not remove (repair, gc).
    struct Leftover: Encodable, Sendable {
        var path: String
        var reason: String

        init(_ leftover: StoreWriter.Leftover) {
            path = leftover.path
            reason = leftover.reason
        }
    }

    /// `{"path", "message"}`: an unusable source or setting that was skipped (refresh, explain, link, unlink).
    struct Warning: Encodable, Sendable {
        var path: String
        var message: String

        init(_ warning: SnapdWarning) {
            path = warning.path
            message = warning.message
        }
    }
}
