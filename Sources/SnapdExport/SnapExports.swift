import FoundationEssentials
import GenerationStore

/// A generic snap's own export manifest, `meta/exports.json` inside the snap (format in docs/snapd.md):
///
/// ```json
/// {"format": 1, "consumer": "host",
///  "sets": {"fonts": {"DejaVuSans.ttf": "usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"}}}
/// ```
///
/// Each entry names a path relative to the snap's root; one that is absolute or has an empty, `.` or `..`
/// part would leave the snap and is rejected. `consumer` says who follows the links: `host` (the default;
/// targets under the host's snap mount dir) or `snap` (targets under `/snap`, as seen in snap namespaces).
public struct SnapExports: Sendable, Equatable, Decodable {
    /// Who follows the exported links.
    public enum Consumer: String, Sendable, Decodable {
        case host, snap
    }

    /// The format version; 1.
    public var format: Int
    /// Who follows the links.
    public var consumer: Consumer
    /// Set path → entry name → path relative to the snap's root.
    public var sets: [String: [String: String]]

    /// Where a snap ships the file, relative to its root.
    public static let path = "meta/exports.json"

    enum CodingKeys: String, CodingKey {
        case format, consumer, sets
    }

    public init(format: Int = 1, consumer: Consumer = .host, sets: [String: [String: String]]) {
        self.format = format
        self.consumer = consumer
        self.sets = sets
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        format = try container.decodeIfPresent(Int.self, forKey: .format) ?? 1
        consumer = try container.decodeIfPresent(Consumer.self, forKey: .consumer) ?? .host
        sets = try container.decode([String: [String: String]].self, forKey: .sets)
    }

    /// Decodes and checks the file's bytes; every error names `path`.
    public static func decode(_ bytes: [UInt8], path: String, context: String) throws(StoreError) -> SnapExports {
        let exports: SnapExports
        do {
            exports = try JSONDecoder().decode(SnapExports.self, from: Data(bytes))
        } catch {
            throw StoreError(.badData, context, "malformed \(Self.path): \(error)", path: path)
        }
        if exports.format != 1 {
            throw StoreError(.badData, context, "format \(exports.format) is not supported (expected 1)", path: path)
        }
        if exports.sets.isEmpty { throw StoreError(.badData, context, "no sets", path: path) }
        for (set, entries) in exports.sets.sorted(by: { $0.key < $1.key }) {
            for (entry, relative) in entries.sorted(by: { $0.key < $1.key }) {
                if let problem = problem(of: relative) {
                    throw StoreError(
                        .badData, context,
                        "entry '\(entry)' of set '\(set)' names '\(relative)', which \(problem); "
                            + "nothing was published",
                        path: path)
                }
            }
        }
        return exports
    }

    /// Why a relative path would leave the snap or is not normalized; nil when it is fine.
    static func problem(of relative: String) -> String? {
        if relative.isEmpty { return "is empty" }
        if relative.hasPrefix("/") { return "is absolute (entries are relative to the snap and must stay inside it)" }
        if relative.utf8.contains(0) || relative.utf8.contains(UInt8(ascii: "\n")) {
            return "contains NUL or a newline"
        }
        for part in relative.split(separator: "/", omittingEmptySubsequences: false) {
            if part == ".." { return "has a '..' part (it would leave the snap)" }
            if part.isEmpty || part == "." { return "is not normalized (empty or '.' part)" }
        }
        return nil
    }

    /// The manifest of `<instance>/<revision>`: source `snap:<instance>/<revision>`, the snap's version, and
    /// each entry pointing into the snap as the consumer sees it.
    public func manifest(instance: String, revision: String, version: String?, snapMountDir: String) -> Manifest {
        let base = consumer == .snap ? SnapdSettings.namespaceSnapMountDir : SnapdSettings.normalized(snapMountDir)
        var result: [String: [String: String]] = [:]
        for (set, entries) in sets {
            var targets: [String: String] = [:]
            for (entry, relative) in entries { targets[entry] = "\(base)/\(instance)/\(revision)/\(relative)" }
            result[set] = targets
        }
        return Manifest(
            source: SnapSource.snap(instance: instance, revision: revision).manifestSource, version: version,
            sets: result)
    }
}
