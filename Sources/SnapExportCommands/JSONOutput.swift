import FoundationEssentials
import GenerationStore
import SnapdExport

/// Machine output: every `--json` document is an `Encodable` value of the command that prints it, rendered
/// here by one writer (`JSONWriter`), so the shape is a type the compiler checks and the text output can be rendered
/// from the same value.
///
/// The rules of every document (docs/cli.md): keys in `snake_case`, derived from the Swift property names
/// (`previousCurrent` → `previous_current`), sorted; two-space indentation; one final newline; an absent value
/// is an explicit `null` (see `Nullable`), never a missing key.
enum JSONOutput {
    /// Given to every value rendered in this task, with its text: tests compare that text with `JSONEncoder`'s.
    @TaskLocal static var observer: (@Sendable (any Encodable, String) -> Void)?

    /// `value` as the command line prints it (`JSONWriter`).
    static func render(_ value: some Encodable) -> String {
        do {
            let text = String(decoding: try JSONWriter.document(value), as: UTF8.self) + "\n"
            observer?(value, text)
            return text
        } catch {
            // Only strings, booleans, integers, arrays and objects are encoded: encoding cannot fail. Should it,
            // the output is still one valid JSON document that says so.
            return "{\n  \"error\" : \"cannot encode the output\"\n}\n"
        }
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
