/// A usage error: exit 64, the message and the command's usage line on standard error.
public struct UsageError: Error, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
}

/// The arguments of one command, consumed option by option; what is left must be positionals.
///
/// Options take `--name VALUE` or `--name=VALUE`; `--` ends the options.
public struct Arguments: Sendable {
    private(set) var items: [String]

    public init(_ items: [String]) { self.items = items }

    private var optionsEnd: Int { items.firstIndex(of: "--") ?? items.count }

    /// True if `--name` appears (it is removed).
    public mutating func flag(_ name: String) -> Bool {
        var found = false
        var index = 0
        while index < optionsEnd {
            if items[index] == name {
                items.remove(at: index)
                found = true
            } else {
                index += 1
            }
        }
        return found
    }

    /// Every value given to `--name` (each occurrence removed), in order.
    public mutating func values(_ name: String) throws(UsageError) -> [String] {
        var values: [String] = []
        var index = 0
        while index < optionsEnd {
            let item = items[index]
            if item == name {
                guard index + 1 < optionsEnd else { throw UsageError("option \(name) needs a value") }
                values.append(items[index + 1])
                items.removeSubrange(index...(index + 1))
            } else if item.hasPrefix(name + "=") {
                values.append(String(item.dropFirst(name.count + 1)))
                items.remove(at: index)
            } else {
                index += 1
            }
        }
        return values
    }

    /// The value of `--name`, if given; given twice is a usage error.
    public mutating func value(_ name: String) throws(UsageError) -> String? {
        let all = try values(name)
        if all.count > 1 { throw UsageError("option \(name) given more than once") }
        return all.first
    }

    /// The remaining positionals; any leftover `-x`/`--x` is an unknown option.
    public mutating func positionals() throws(UsageError) -> [String] {
        var result: [String] = []
        var afterDashes = false
        for item in items {
            if !afterDashes && item == "--" {
                afterDashes = true
            } else if !afterDashes && item.hasPrefix("-") && item != "-" {
                throw UsageError("unknown option \(item)")
            } else {
                result.append(item)
            }
        }
        items.removeAll()
        return result
    }

    /// Exactly `names.count` positionals, named in the error when missing or extra.
    public mutating func positionals(_ names: String...) throws(UsageError) -> [String] {
        let given = try positionals()
        if given.count < names.count {
            throw UsageError("missing \(names[given.count...].joined(separator: " "))")
        }
        if given.count > names.count {
            throw UsageError("unexpected argument '\(given[names.count])'")
        }
        return given
    }
}
