import Foundation
import GenerationStore
import Glibc
import TestSupport

/// Building export roots with a chosen history for the gc tests.
enum GCFixtures {
    static let tools = ["snap-exec", "snapctl", "info"]

    /// Publishes `name/generation` with entries `tools/<tool> -> <targets>/<tool>`.
    static func publish(
        _ store: ExportStore, _ name: String, _ generation: String, source: String,
        targets: String = "/usr/lib/snapd"
    ) throws {
        var entries: [String: String] = [:]
        for tool in tools { entries[tool] = targets + "/" + tool }
        _ = try store.withWriter(creatingRoot: true) { writer in
            try writer.publish(
                name: name, generation: generation, manifest: Manifest(source: source, sets: ["tools": entries]))
        }
    }

    static func switchTo(_ store: ExportStore, _ name: String, _ generation: String) throws {
        _ = try store.withWriter { try $0.switchCurrent(name: name, to: generation) }
    }

    /// Writes a retirement marker `<name>/.retired-<time>-<random> -> generation`, as switch does.
    static func retire(_ store: ExportStore, _ name: String, _ generation: String, at time: Int64) throws {
        let digits = String(time)
        let entry =
            ".retired-" + String(repeating: "0", count: 19 - digits.count) + digits + "-"
            + String(UInt64.random(in: .min ... .max), radix: 16)
        try FileManager.default.createSymbolicLink(atPath: store.path(name, entry), withDestinationPath: generation)
    }

    /// Every path below `root` with its kind, inode and link target: equal listings mean nothing changed.
    static func listing(_ root: String) -> [String] {
        var result: [String] = []
        func walk(_ path: String, _ relative: String) {
            var st = stat()
            guard lstat(path, &st) == 0 else { return }
            let kind = st.st_mode & S_IFMT
            var line = "\(relative) mode=\(String(st.st_mode, radix: 8)) ino=\(st.st_ino)"
            if kind == S_IFLNK, let target = try? FileManager.default.destinationOfSymbolicLink(atPath: path) {
                line += " -> \(target)"
            }
            if kind == S_IFREG, let data = FileManager.default.contents(atPath: path) {
                line += " bytes=\(data.hashValue)"
            }
            result.append(line)
            if kind == S_IFDIR {
                for child in ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted() {
                    walk(path + "/" + child, relative + "/" + child)
                }
            }
        }
        walk(root, ".")
        return result
    }
}
