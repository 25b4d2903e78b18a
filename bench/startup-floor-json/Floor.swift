import FoundationEssentials

/// The start-up floor of a program built like snap-export: the Swift runtime, statically linked, and
/// FoundationEssentials decoding a small JSON document (export-bench item 5 measures it as a whole process).
struct Document: Decodable {
    var name: String
    var current: String?
    var generations: [String]
}

@main
enum Floor {
    static func main() {
        let text = #"{"name": "snapd", "current": "21759", "generations": ["host", "21759"]}"#
        let document = try? JSONDecoder().decode(Document.self, from: Data(text.utf8))
        // Used, so the decode cannot be optimized away; nothing is printed.
        if document?.generations.count != 2 { fatalError("cannot decode the floor's document") }
    }
}
