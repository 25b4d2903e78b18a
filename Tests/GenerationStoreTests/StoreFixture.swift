import Foundation
import GenerationStore
import GenerationStoreTesting
import Glibc
import TestSupport

/// A fresh export root in a temporary directory, with helpers to build manifests and read the tree back.
/// Call `remove()` when done (tests do it in a `defer`).
struct StoreFixture {
    let directory: TemporaryDirectory
    /// The export root: a directory holding only the root marker (`TestRoots.make`), so tests that build a tree
    /// by hand build it in a root.
    let root: String

    init(_ prefix: String = "store-test") throws {
        directory = try TemporaryDirectory(prefix)
        root = directory.appending("export")
        try TestRoots.make(root)
    }

    func remove() { directory.remove() }

    /// A store on the root, with fault points disarmed and, by default, the real system calls.
    func store(_ system: any SystemCalls = LinuxSystemCalls()) -> ExportStore {
        ExportStore(root: root, system: system, faults: .none)
    }

    /// Runs `body` with a writer of a store using `system`.
    @discardableResult
    func write<T>(_ system: any SystemCalls = LinuxSystemCalls(), _ body: (StoreWriter) throws -> T) throws -> T {
        try store(system).withWriter(body)
    }

    /// Runs `setUp` with a writer, then `step` with the same writer, recording only the system calls `step` makes.
    /// Returns what `step` returned and the recording.
    func recording<T>(
        after setUp: (StoreWriter) throws -> Void, _ step: (StoreWriter) throws -> T
    ) throws -> (T, RecordingSystemCalls) {
        let recording = RecordingSystemCalls()
        let result = try write(recording) { writer in
            try setUp(writer)
            recording.reset()
            return try step(writer)
        }
        return (result, recording)
    }

    /// `publishG1AndG2(thenSwitchTo:)` with a writer of its own.
    func publishG1AndG2(thenSwitchTo switches: String...) throws {
        try write { try $0.publishG1AndG2(thenSwitchTo: switches) }
    }

    /// `root/relative`.
    func path(_ relative: String) -> String { root + "/" + relative }

    /// The target of a symlink, or nil if there is none.
    func link(_ relative: String) -> String? {
        var buffer = [CChar](repeating: 0, count: 4097)
        let count = readlink(path(relative), &buffer, 4096)
        guard count >= 0 else { return nil }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// True when something (even a dangling symlink) is at `relative`.
    func exists(_ relative: String) -> Bool {
        var st = stat()
        return lstat(path(relative), &st) == 0
    }

    /// Names in a directory under the root, sorted; empty when it does not exist.
    func names(_ relative: String = "") -> [String] {
        let full = relative.isEmpty ? root : path(relative)
        return ((try? FileManager.default.contentsOfDirectory(atPath: full)) ?? []).sorted()
    }
}

/// A manifest with one set `set` holding `count` entries `e0…` pointing at `/opt/<tag>/e0…`.
func manifest(_ tag: String, entries count: Int = 3, set: String = "tools") -> Manifest {
    var entries: [String: String] = [:]
    for index in 0..<count { entries["e\(index)"] = "/opt/\(tag)/e\(index)" }
    return Manifest(source: "test:\(tag)", version: "1.\(count)", sets: [set: entries])
}

extension StoreWriter {
    /// The common starting point: publishes demo/g1 (`manifest("a")`) and demo/g2 (`manifest("b")`), then switches
    /// current to each of `switches` in turn. After `"g1"`, g1 is current and there is no previous; after
    /// `"g1", "g2"`, g2 is current and g1 previous.
    func publishG1AndG2(thenSwitchTo switches: String...) throws {
        try publishG1AndG2(thenSwitchTo: switches)
    }

    func publishG1AndG2(thenSwitchTo switches: [String]) throws {
        try publish(name: "demo", generation: "g1", manifest: manifest("a"))
        try publish(name: "demo", generation: "g2", manifest: manifest("b"))
        for generation in switches { try switchCurrent(name: "demo", to: generation) }
    }
}
