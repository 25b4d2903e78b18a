/// What a command accepts besides the global options: its options and its operands, the registry's one
/// description of its syntax. The dispatcher checks every invocation against it before the command runs (an
/// unknown option or an extra operand is a usage error, exit 64, that names it), and the shell completion is
/// generated from it.
struct CommandSyntax: Sendable {
    /// One `--name` (a flag) or `--name VALUE`.
    struct Option: Sendable {
        var name: String
        /// Nil for a flag; else what its value is (for completion).
        var value: Value?

        /// `--name`, a flag.
        static func flag(_ name: String) -> Option { Option(name: name, value: nil) }
        /// `--name VALUE`, also as `--name=VALUE`.
        static func value(_ name: String, _ value: Value) -> Option { Option(name: name, value: value) }
    }

    /// One operand (positional argument).
    struct Operand: Sendable {
        /// As the usage line writes it: `NAME`, `GENERATION`.
        var placeholder: String
        var value: Value
        var optional: Bool

        static func required(_ placeholder: String, _ value: Value) -> Operand {
            Operand(placeholder: placeholder, value: value, optional: false)
        }
        static func optional(_ placeholder: String, _ value: Value) -> Operand {
            Operand(placeholder: placeholder, value: value, optional: true)
        }
    }

    /// What a value or operand is, so that completion can offer the right words.
    enum Value: Sendable, Equatable {
        /// An exported name of the root (`status` of the configured root).
        case exportedName
        /// A generation of the exported name given as the operand before it.
        case generation
        /// One of a fixed list of words.
        case choice([String])
        /// A directory, or a file, of the file system.
        case directory, file
        /// Anything (a number, a duration, a revision): nothing to offer.
        case word
    }

    var options: [Option]
    var operands: [Operand]

    init(options: [Option] = [], operands: [Operand] = []) {
        self.options = options
        self.operands = operands
    }

    /// Throws the usage error of the first unknown option or the first operand beyond the last declared one.
    /// `--` ends the options; a missing value or operand is left for the command to report.
    func check(_ words: [String]) throws(UsageError) {
        var given: [String] = []
        var index = 0
        var afterDashes = false
        while index < words.count {
            let word = words[index]
            index += 1
            if afterDashes || word == "-" || !word.hasPrefix("-") {
                given.append(word)
            } else if word == "--" {
                afterDashes = true
            } else if let option = options.first(where: { $0.name == word }) {
                if option.value != nil { index += 1 }
            } else if let equals = word.firstIndex(of: "="),
                options.contains(where: { $0.name == word[..<equals] && $0.value != nil })
            {
                continue
            } else {
                throw UsageError("unknown option \(word)")
            }
        }
        if given.count > operands.count { throw UsageError("unexpected argument '\(given[operands.count])'") }
    }
}
