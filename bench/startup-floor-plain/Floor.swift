/// The start-up floor of a Swift program with no imports at all (export-bench item 5): the Swift runtime,
/// statically linked, and nothing else.
@main
enum Floor {
    static func main() {
        let words = CommandLine.arguments
        if words.count > 1000 { fatalError("unreachable") }
    }
}
