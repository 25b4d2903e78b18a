import SnapExportCommands

/// The `snap-export` executable: everything happens in `SnapExportTool`, so tests can run it in-process.
@main
struct Entrypoint {
    static func main() {
        SnapExportTool.runProcess()
    }
}
