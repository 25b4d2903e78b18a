/// The benchmark's JSON is `JSONValue` (ordered keys, explicit null); figures are rounded.
typealias JSON = JSONValue

extension JSONValue {
    /// A measured figure, rounded to 4 decimals; null when not finite.
    static func number(_ value: Double) -> JSONValue {
        value.isFinite ? .double((value * 10_000).rounded() / 10_000) : .null
    }

    /// A count.
    static func count(_ value: some BinaryInteger) -> JSONValue { .int(Int64(value)) }
}
