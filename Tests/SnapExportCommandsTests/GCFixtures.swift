import Foundation
import GenerationStoreTesting
import Glibc
import TestSupport

/// An export root and a fake snap mount dir, driven through the built binary.
struct GCWorld {
    let temp: TemporaryDirectory
    /// The temporary directory's real path (no `//`: link targets must be normalized).
    let base: String
    var root: String { base + "/root" }
    var snaps: String { base + "/snap" }
    var targets: String { base + "/targets" }
    static let tools = ["etelpmoc.sh", "info", "snap-confine", "snap-exec", "snapctl"]

    init() throws {
        temp = try TemporaryDirectory()
        base = URL(fileURLWithPath: temp.path).resolvingSymlinksInPath().path
        try FileManager.default.createDirectory(atPath: snaps, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: targets, withIntermediateDirectories: true)
        for tool in Self.tools { _ = FileManager.default.createFile(atPath: targets + "/" + tool, contents: Data()) }
        try TestRoots.make(root)
    }

    /// Runs `snap-export --root ROOT --snap-mount-dir SNAPS ARGS`.
    @discardableResult
    func cli(_ arguments: [String], fault: String? = nil) throws -> ProcessResult {
        try snapExport(
            ["--root", root, "--snap-mount-dir", snaps] + arguments, environment: ["SNAP_EXPORT_FAULT": fault])
    }

    /// Mounts (fakes) snap revision `revision` of `instance` and publishes it as `snapd/<generation>`.
    func publishSnap(_ instance: String, _ revision: String, as generation: String? = nil) throws {
        try FileManager.default.createDirectory(
            atPath: "\(snaps)/\(instance)/\(revision)/meta", withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: "\(snaps)/\(instance)/\(revision)/meta/snap.yaml", contents: Data())
        let generation = generation ?? (instance == "snapd" ? revision : "\(instance)_\(revision)")
        let entries = Self.tools.flatMap { ["--entry", "tools/\($0)=\(targets)/\($0)"] }
        let result = try cli(["publish", "snapd", generation, "--source", "snap:\(instance)/\(revision)"] + entries)
        guard result.status == 0 else { throw Failure(message: result.stderr) }
    }

    func removeSnap(_ instance: String, _ revision: String) throws {
        try FileManager.default.removeItem(atPath: "\(snaps)/\(instance)/\(revision)")
    }

    func switchTo(_ generation: String) throws {
        let result = try cli(["switch", "snapd", generation])
        guard result.status == 0 else { throw Failure(message: result.stderr) }
    }

    /// The generation directories of snapd, sorted.
    func generations() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: root + "/snapd")) ?? [])
            .filter { !$0.hasPrefix(".") && $0 != "current" && $0 != "previous" }.sorted()
    }

    func remove() { temp.remove() }

    struct Failure: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }
}

/// The JSON a command printed, as dictionaries and arrays.
func parsedJSON(_ text: String) throws -> [String: Any] {
    let value = try JSONSerialization.jsonObject(with: Data(text.utf8))
    guard let object = value as? [String: Any] else { throw GCWorld.Failure(message: "not an object: \(text)") }
    return object
}

/// `name/generation` of each entry of a gc JSON list (`removed` or `kept`).
func generations(_ json: [String: Any], _ key: String) -> [String] {
    ((json[key] as? [[String: Any]]) ?? []).map { "\($0["name"] ?? "")/\($0["generation"] ?? "")" }
}

/// The reason codes of one generation in a gc JSON report.
func reasonCodes(_ json: [String: Any], _ generation: String) -> [String] {
    let all = ((json["removed"] as? [[String: Any]]) ?? []) + ((json["kept"] as? [[String: Any]]) ?? [])
    let entry = all.first { ($0["generation"] as? String) == generation }
    return ((entry?["reasons"] as? [[String: Any]]) ?? []).compactMap { $0["code"] as? String }
}
