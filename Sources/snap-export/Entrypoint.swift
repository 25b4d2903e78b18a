import Glibc
import SnapExportCommands

/// The `snap-export` executable: everything happens in `SnapExportTool`, so tests can run it in-process.
@main
struct Entrypoint {
    static func main() {
        var environment: [String: String] = [:]
        var pointer = environ
        while let entry = pointer.pointee {
            let text = String(cString: entry)
            if let equals = text.firstIndex(of: "=") {
                environment[String(text[..<equals])] = String(text[text.index(after: equals)...])
            }
            pointer += 1
        }
        exit(SnapExportTool.run(Array(CommandLine.arguments.dropFirst()), environment: environment))
    }
}
