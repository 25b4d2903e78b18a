/// The writer of every `--json` document: an `Encoder` that builds the document as a tree of nodes, then prints it
/// as docs/cli.md says (keys sorted by their UTF-8 bytes, two-space indentation, `"key" : value`, empty containers
/// as `[]` and `{}`, `/` and non-ASCII text as they are, `"`, `\` and control characters escaped). Property names
/// become `snake_case` as `JSONEncoder`'s `convertToSnakeCase` makes them; the keys of a `[String: …]` are kept as
/// they are, as there. It is `JSONEncoder`'s output byte for byte (a test compares the two), at a fraction of its
/// cost: a `status --json` of 3,000 generations spent a third of its time in `JSONEncoder`.
///
/// What it encodes is what the commands print: strings, booleans, integers, arrays, objects and `null`. A floating
/// point number is refused (`EncodingError`), since none is printed and its text would have to be `JSONEncoder`'s.
struct JSONWriter {
    /// `value` as one JSON document, without the final newline.
    static func document(_ value: some Encodable) throws -> [UInt8] {
        let root = JSONNode()
        try root.take(value, JSONKeys())
        var out: [UInt8] = []
        out.reserveCapacity(4096)
        root.write(into: &out, indent: 0)
        return out
    }
}

/// One value of the document being built: a scalar (its JSON text), an array or an object.
final class JSONNode {
    enum Content {
        case unset
        case scalar([UInt8])
        case array([JSONNode])
        case object([(key: String, node: JSONNode)])
    }
    var content = Content.unset

    /// Encodes `value` into this node; the common scalars without an encoder of their own.
    func take<T: Encodable>(_ value: T, _ keys: JSONKeys) throws {
        switch value {
        case let text as String: content = .scalar(JSONNode.quoted(text))
        case let flag as Bool: content = .scalar(Array((flag ? "true" : "false").utf8))
        case let number as Int: content = .scalar(Array(String(number).utf8))
        case let number as Int64: content = .scalar(Array(String(number).utf8))
        case let number as UInt64: content = .scalar(Array(String(number).utf8))
        case let number as Int32: content = .scalar(Array(String(number).utf8))
        case let number as UInt32: content = .scalar(Array(String(number).utf8))
        case let number as UInt: content = .scalar(Array(String(number).utf8))
        case let number as Int16: content = .scalar(Array(String(number).utf8))
        case let number as UInt16: content = .scalar(Array(String(number).utf8))
        case let number as Int8: content = .scalar(Array(String(number).utf8))
        case let number as UInt8: content = .scalar(Array(String(number).utf8))
        case let dictionary as any JSONStringKeyedDictionary:
            // As JSONEncoder: the keys of a `[String: …]` are data, not property names, and are not converted.
            content = .object([])
            try dictionary.encodeMembers(into: self, keys)
        default: try value.encode(to: JSONNodeEncoder(node: self, keys: keys))
        }
    }

    func append(member key: String) -> JSONNode {
        let node = JSONNode()
        if case .object(var members) = content {
            content = .unset
            members.append((key, node))
            content = .object(members)
        } else {
            content = .object([(key, node)])
        }
        return node
    }

    func appendItem() -> JSONNode {
        let node = JSONNode()
        if case .array(var items) = content {
            content = .unset
            items.append(node)
            content = .array(items)
        } else {
            content = .array([node])
        }
        return node
    }

    func write(into out: inout [UInt8], indent: Int) {
        switch content {
        case .unset: out += Array("{}".utf8)
        case .scalar(let text): out += text
        case .array(let items):
            if items.isEmpty {
                out += [UInt8(ascii: "["), UInt8(ascii: "]")]
                return
            }
            out += [UInt8(ascii: "["), 0x0A]
            for (index, item) in items.enumerated() {
                out += repeatElement(UInt8(ascii: " "), count: indent + 2)
                item.write(into: &out, indent: indent + 2)
                if index < items.count - 1 { out.append(UInt8(ascii: ",")) }
                out.append(0x0A)
            }
            out += repeatElement(UInt8(ascii: " "), count: indent)
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            if members.isEmpty {
                out += [UInt8(ascii: "{"), UInt8(ascii: "}")]
                return
            }
            out += [UInt8(ascii: "{"), 0x0A]
            let sorted = members.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
            for (index, member) in sorted.enumerated() {
                out += repeatElement(UInt8(ascii: " "), count: indent + 2)
                out += JSONNode.quoted(member.key)
                out += [UInt8(ascii: " "), UInt8(ascii: ":"), UInt8(ascii: " ")]
                member.node.write(into: &out, indent: indent + 2)
                if index < sorted.count - 1 { out.append(UInt8(ascii: ",")) }
                out.append(0x0A)
            }
            out += repeatElement(UInt8(ascii: " "), count: indent)
            out.append(UInt8(ascii: "}"))
        }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// `text` as a JSON string: `"` and `\` escaped, `\b \t \n \f \r` by their letters, other control characters as
    /// `\u00xx`; everything else (`/`, DEL, non-ASCII) as it is.
    static func quoted(_ text: String) -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "\"")]
        out.reserveCapacity(text.utf8.count + 2)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case 0x08: out += [UInt8(ascii: "\\"), UInt8(ascii: "b")]
            case 0x09: out += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case 0x0A: out += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case 0x0C: out += [UInt8(ascii: "\\"), UInt8(ascii: "f")]
            case 0x0D: out += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            case 0..<0x20:
                out += Array("\\u00".utf8)
                out += [hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0xF)]]
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
        return out
    }
}

/// Property names as the document spells them: `convertToSnakeCase`'s words (a word starts at an upper-case letter;
/// a run of upper-case letters is one word, the last of them starting the next word when a lower-case letter
/// follows it), joined by `_` and lower-cased; each name converted once per document.
final class JSONKeys {
    private var converted: [String: String] = [:]

    func snakeCase(_ key: String) -> String {
        if let known = converted[key] { return known }
        let result = Self.convert(key)
        converted[key] = result
        return result
    }

    static func convert(_ key: String) -> String {
        let bytes = Array(key.utf8)
        guard !bytes.isEmpty, bytes.allSatisfy({ $0 < 0x80 }) else { return key }
        func isUpper(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") }
        func isLower(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z") }
        var words: [Range<Int>] = []
        var wordStart = 0
        var searchStart = 1
        let end = bytes.count
        while let upper = (searchStart..<end).first(where: { isUpper(bytes[$0]) }) {
            words.append(wordStart..<upper)
            searchStart = upper
            guard let lower = (searchStart..<end).first(where: { isLower(bytes[$0]) }) else {
                wordStart = searchStart
                break
            }
            if lower == upper + 1 {
                wordStart = upper
            } else {
                words.append(upper..<(lower - 1))
                wordStart = lower - 1
            }
            searchStart = lower + 1
        }
        words.append(wordStart..<end)
        let lowered = words.map { range in
            String(decoding: bytes[range].map { isUpper($0) ? $0 + 32 : $0 }, as: UTF8.self)
        }
        return lowered.joined(separator: "_")
    }
}

/// A `[String: V]`, whose keys are written as they are.
protocol JSONStringKeyedDictionary {
    func encodeMembers(into node: JSONNode, _ keys: JSONKeys) throws
}

extension Dictionary: JSONStringKeyedDictionary where Key == String, Value: Encodable {
    func encodeMembers(into node: JSONNode, _ keys: JSONKeys) throws {
        for (key, value) in self { try node.append(member: key).take(value, keys) }
    }
}

/// The `Encoder` of one node.
struct JSONNodeEncoder: Encoder {
    let node: JSONNode
    let keys: JSONKeys
    var codingPath: [any CodingKey] = []
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        if case .object = node.content {} else { node.content = .object([]) }
        return KeyedEncodingContainer(JSONKeyedContainer<Key>(node: node, keys: keys))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        if case .array = node.content {} else { node.content = .array([]) }
        return JSONUnkeyedContainer(node: node, keys: keys)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        JSONSingleValueContainer(node: node, keys: keys)
    }
}

private func refuseFloatingPoint(_ codingPath: [any CodingKey]) -> EncodingError {
    EncodingError.invalidValue(
        0.0, EncodingError.Context(codingPath: codingPath, debugDescription: "no floating-point number is printed"))
}

struct JSONKeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let node: JSONNode
    let keys: JSONKeys
    var codingPath: [any CodingKey] = []

    private func member(_ key: Key) -> JSONNode { node.append(member: keys.snakeCase(key.stringValue)) }

    mutating func encodeNil(forKey key: Key) throws { member(key).content = .scalar(Array("null".utf8)) }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws { try member(key).take(value, keys) }
    mutating func encode(_ value: Double, forKey key: Key) throws { throw refuseFloatingPoint(codingPath) }
    mutating func encode(_ value: Float, forKey key: Key) throws { throw refuseFloatingPoint(codingPath) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key)
        -> KeyedEncodingContainer<NestedKey>
    {
        JSONNodeEncoder(node: member(key), keys: keys).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        JSONNodeEncoder(node: member(key), keys: keys).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder { JSONNodeEncoder(node: node.append(member: "super"), keys: keys) }
    mutating func superEncoder(forKey key: Key) -> any Encoder { JSONNodeEncoder(node: member(key), keys: keys) }
}

struct JSONUnkeyedContainer: UnkeyedEncodingContainer {
    let node: JSONNode
    let keys: JSONKeys
    var codingPath: [any CodingKey] = []
    var count: Int {
        if case .array(let items) = node.content { return items.count }
        return 0
    }

    mutating func encodeNil() throws { node.appendItem().content = .scalar(Array("null".utf8)) }
    mutating func encode<T: Encodable>(_ value: T) throws { try node.appendItem().take(value, keys) }
    mutating func encode(_ value: Double) throws { throw refuseFloatingPoint(codingPath) }
    mutating func encode(_ value: Float) throws { throw refuseFloatingPoint(codingPath) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type)
        -> KeyedEncodingContainer<NestedKey>
    {
        JSONNodeEncoder(node: node.appendItem(), keys: keys).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        JSONNodeEncoder(node: node.appendItem(), keys: keys).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder { JSONNodeEncoder(node: node.appendItem(), keys: keys) }
}

struct JSONSingleValueContainer: SingleValueEncodingContainer {
    let node: JSONNode
    let keys: JSONKeys
    var codingPath: [any CodingKey] = []

    mutating func encodeNil() throws { node.content = .scalar(Array("null".utf8)) }
    mutating func encode<T: Encodable>(_ value: T) throws { try node.take(value, keys) }
    mutating func encode(_ value: Double) throws { throw refuseFloatingPoint(codingPath) }
    mutating func encode(_ value: Float) throws { throw refuseFloatingPoint(codingPath) }
}
