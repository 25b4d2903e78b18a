/// The one form of every line on standard error: `snap-export: ` and the message. Results go to standard
/// output; diagnostics, warnings and what a writer left behind go here (docs/cli.md).
enum Diagnostic {
    static let prefix = "snap-export: "

    /// One diagnostic line.
    static func line(_ message: String) -> String { prefix + message + "\n" }

    /// A usage error: the message, then the usage line, both prefixed.
    static func usage(_ message: String, usage: String) -> String {
        line(message) + line("usage: " + usage)
    }
}
