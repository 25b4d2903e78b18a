/// A JSON value with ordered object keys, rendered by hand (the benchmark imports no Foundation).
indirect enum JSON {
    case number(Double)
    case integer(Int64)
    case string(String)
    case bool(Bool)
    case null
    case array([JSON])
    case object([(String, JSON)])

    static func int(_ value: some BinaryInteger) -> JSON { .integer(Int64(value)) }

    /// Indented JSON text.
    func rendered(_ indent: String = "") -> String {
        let inner = indent + "  "
        switch self {
        case .number(let value):
            return value.isFinite ? fixed(value, 4) : "null"
        case .integer(let value): return String(value)
        case .string(let value): return Self.quoted(value)
        case .bool(let value): return value ? "true" : "false"
        case .null: return "null"
        case .array(let values):
            if values.isEmpty { return "[]" }
            return "[\n" + values.map { inner + $0.rendered(inner) }.joined(separator: ",\n") + "\n" + indent + "]"
        case .object(let members):
            if members.isEmpty { return "{}" }
            return "{\n"
                + members.map { inner + Self.quoted($0.0) + ": " + $0.1.rendered(inner) }.joined(separator: ",\n")
                + "\n" + indent + "}"
        }
    }

    private static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\t": result += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }
}
