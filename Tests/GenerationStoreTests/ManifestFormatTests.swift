import Foundation
import GenerationStore
import GenerationStoreTesting
import Glibc
import Testing

/// Manifest format 2 (header first, streamed) and the format 1 manifests of released roots (docs/format.md).
@Suite("manifest format 2: header first, streamed; format 1 still read")
struct ManifestFormatTests {
    static func manifest(entries: Int, prefix: String = "/opt/a") -> Manifest {
        var tools: [String: String] = [:]
        for index in 0..<entries { tools["e\(index)"] = "\(prefix)/e\(index)" }
        return Manifest(source: "snap:big/1", version: "1.0", sets: ["tools": tools])
    }

    /// What the released code (format 1) wrote: JSONEncoder, keys sorted, `source` and `version` after `sets`.
    static func format1(_ manifest: Manifest, published: Int64) -> String {
        let sets = manifest.sets.keys.sorted().map { set in
            let entries = manifest.sets[set, default: [:]].keys.sorted().map {
                "      \"\($0)\" : \"\(manifest.sets[set, default: [:]][$0, default: ""])\""
            }
            return "    \"\(set)\" : {\n" + entries.joined(separator: ",\n") + "\n    }"
        }
        return """
            {
              "format" : 1,
              "method" : "symlink",
              "published" : \(published),
              "sets" : {
            \(sets.joined(separator: ",\n"))
              },
              "source" : "\(manifest.source)",
              "version" : "\(manifest.version ?? "")"
            }

            """
    }

    @Test func aFormat2ManifestPutsItsHeaderFirstAndReadsBackTheSame() throws {
        var manifest = Manifest(
            source: "snap:x/1 \"quoted\" \\ tab\t", version: "2.6 é",
            sets: ["tools": ["b": "/t/b", "a": "/t/ä"], "man/man1": ["z.1": "/m/z"], "fonts": [:]],
            published: 1_795_977_333_898_915_040)
        let bytes = manifest.encoded()
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.hasPrefix("{\n  \"format\": 2,\n  \"source\": "))
        let keys = text.split(separator: "\n").filter { $0.hasPrefix("  \"") }.map { $0.split(separator: "\"")[1] }
        #expect(keys == ["format", "source", "version", "method", "published", "entries", "sets"])
        // Valid JSON to any parser, with the same data.
        let object = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
        #expect(object["source"] as? String == manifest.source && object["entries"] as? Int == 3)
        #expect((object["sets"] as? [String: [String: String]])?["tools"]?["a"] == "/t/ä")
        let decoded = try Manifest.decode(bytes, path: "m", context: "test")
        #expect(decoded.hasSameContent(as: manifest) && decoded.published == manifest.published)
        #expect(decoded.format == 2 && decoded.header.entries == 3)
        manifest.format = 2
        #expect(decoded == manifest)
    }

    @Test("format 2's exact bytes: byte order of sets, entries and inputs, escapes, empty sets")
    func format2Bytes() {
        let manifest = Manifest(
            source: "s \"q\" \\ t\t", version: "v é",
            sets: ["tools": ["b": "/t/b", "é": "/t/ä", "a\u{1}": "/t/a"], "man/man1": ["z.1": "/m/z"], "fonts": [:]],
            published: 5, inputs: ["y": "2", "x": "1"])
        let expected = #"""
            {
              "format": 2,
              "source": "s \"q\" \\ t\t",
              "version": "v é",
              "method": "symlink",
              "published": 5,
              "inputs": {
                "x": "1",
                "y": "2"
              },
              "entries": 4,
              "sets": {
                "fonts": {},
                "man/man1": {
                  "z.1": "/m/z"
                },
                "tools": {
                  "a\u0001": "/t/a",
                  "b": "/t/b",
                  "é": "/t/ä"
                }
              }
            }

            """#
        #expect(String(decoding: manifest.encoded(), as: UTF8.self) == expected)
    }

    @Test func theHeaderOfAManifestOf20000EntriesIsOnePreadOf4KiB() throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        try fixture.write { try $0.publish(name: "big", generation: "g1", manifest: Self.manifest(entries: 20_000)) }
        let size = try FileManager.default.attributesOfItem(atPath: fixture.path("big/g1/.manifest.json"))[.size]
        #expect((size as? Int ?? 0) > 500_000)
        // Without the header cache (which would serve the header without opening the manifest).
        try #require(unlink(fixture.path("big/" + Layout.headers)) == 0)
        let recording = RecordingSystemCalls()
        let status = try fixture.store(recording).status(only: "big")
        #expect(status.first?.generations.first?.entries == 20_000)
        #expect(status.first?.generations.first?.source == "snap:big/1")
        #expect(recording.names.filter { $0 == "pread" }.count == 1, "\(recording.log)")
        #expect(!recording.names.contains("read"))
        // One read of the 4 KiB a header fits in: no 64 KiB buffer allocated and zeroed per header (a gc of
        // 3,000 generations spent a fifth of its time on that).
        #expect(recording.log.filter { $0.name == "pread" }.map { $0.arguments.last } == ["4096 bytes"])
    }

    @Test func aNamesHeadersAreReadWithOneOpenatAndOnePreadEach() throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        try fixture.write { writer in
            for generation in ["g1", "g2", "g3"] {
                try writer.publish(name: "app", generation: generation, manifest: Self.manifest(entries: 3))
            }
        }
        // Without the header cache (HeaderCacheTests: with it, no manifest is opened).
        try #require(unlink(fixture.path("app/" + Layout.headers)) == 0)
        let recording = RecordingSystemCalls()
        let status = try fixture.store(recording).status(only: "app")
        #expect(status.first?.generations.map(\.entries) == [3, 3, 3])
        // gc and status read a header per generation: openat + pread + close, no fstat before the pread (what is
        // not a regular file fails the pread and only then is fstat'ed).
        let manifestCalls = recording.log.filter { $0.arguments.contains { $0.hasSuffix(".manifest.json") } }
        #expect(
            manifestCalls.map(\.name) == Array(repeating: ["openat", "pread", "close"], count: 3).flatMap { $0 },
            "\(recording.log)")
        #expect(!recording.names.contains("fstatat"), "\(recording.log)")
        #expect(recording.names.filter { $0 == "pread" }.count == 3, "\(recording.log)")
    }

    @Test func statusOfOneNameOpensItWithoutListingTheRoot() throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        try fixture.write { writer in
            for name in ["app", "other", "third"] {
                try writer.publish(name: name, generation: "g1", manifest: Self.manifest(entries: 2))
            }
        }
        let recording = RecordingSystemCalls()
        let status = try fixture.store(recording).status(only: "app")
        #expect(status.map(\.name) == ["app"])
        #expect(status.first?.generations.map(\.entries) == [2])
        // The refresh plan asks for one name on a root of 1,000: a listing of the root costs it a getdents of every
        // name; only the name's own directory is listed.
        let listed = recording.log.filter { $0.name == "getdents" }.map(\.arguments)
        #expect(!listed.isEmpty && listed.allSatisfy { $0 == ["app"] }, "\(recording.log)")
        // What is not an exported name is still refused as one: absent, a dot-name, a path, a link, a file.
        try #require(symlink("app", fixture.path("link")) == 0)
        try Data("x".utf8).write(to: URL(fileURLWithPath: fixture.path("file")))
        for name in ["absent", ".lock", ".staging", "app/g1", "link", "file", ""] {
            #expect {
                try fixture.store().status(only: name)
            } throws: { error in
                (error as? StoreError)?.kind == .missingInput
                    && (error as? StoreError)?.reason.contains("no exported name") == true
            }
        }
    }

    @Test func theSizeCapHoldsForUncheckedHeaderReadsAndSwitchStillChecks() throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        try fixture.write { writer in
            try writer.publish(name: "app", generation: "g1", manifest: Self.manifest(entries: 3))
            try writer.publish(name: "app", generation: "g2", manifest: Self.manifest(entries: 3))
            try writer.publish(name: "old", generation: "g1", manifest: Self.manifest(entries: 3))
        }
        // A format 2 manifest made larger than the cap (sparse: its header first, then zeros).
        let big = fixture.path("app/g2/.manifest.json")
        try #require(truncate(big, off_t(MetadataCap.manifest) + 4096) == 0)
        // status and gc read its header only (what they need), without fstat...
        let status = try fixture.store().status(only: "app")
        #expect(status.first?.generations.map(\.entries) == [3, 3])
        // ...but a switch, which must find the generation readable whole, still refuses it by its size.
        #expect {
            try fixture.write { try $0.switchCurrent(name: "app", to: "g2") }
        } throws: { error in
            (error as? StoreError)?.reason.contains("too large") == true
        }
        // A format 1 manifest's header is its whole file: an unchecked read stops at the cap instead of reading on.
        let spaces = [UInt8](repeating: UInt8(ascii: " "), count: MetadataCap.manifest + 65536)
        let format1 = Array(#"{"format": 1, "source": "s", "sets": {}"#.utf8) + spaces + Array("}".utf8)
        try #require(unlink(fixture.path("old/" + Layout.headers)) == 0)  // format 1 has no header cache
        try Data(format1).write(to: URL(fileURLWithPath: fixture.path("old/g1/.manifest.json")))
        let old = try fixture.store().status(only: "old")
        #expect(old.first?.generations.first?.entries == nil)
    }

    @Test func aHeaderReadOfAFIFOIsRefusedAsNotARegularFile() throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        try fixture.write { try $0.publish(name: "app", generation: "g1", manifest: Self.manifest(entries: 3)) }
        let path = fixture.path("app/g1/.manifest.json")
        try #require(unlink(path) == 0 && mkfifo(path, 0o644) == 0)
        try #require(unlink(fixture.path("app/" + Layout.headers)) == 0)  // status reads the manifest itself
        let status = try fixture.store().status(only: "app")
        #expect(status.first?.generations.first?.entries == nil)
        #expect(throws: StoreError.self) { try fixture.store().header(name: "app", generation: "g1") }
        do {
            _ = try fixture.store().header(name: "app", generation: "g1")
        } catch {
            #expect(error.reason.contains("not a regular file"), "\(error)")
            #expect(error.syscall == "fstatat", "\(error)")
        }
    }

    @Test func aSmallManifestIsReadWholeWithoutGrowingTheBuffer() throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        try fixture.write { try $0.publish(name: "small", generation: "g1", manifest: Self.manifest(entries: 9)) }
        let recording = RecordingSystemCalls()
        let manifest = try fixture.store(recording).manifest(name: "small", generation: "g1")
        #expect(manifest.entryCount == 9)
        // The first pread fills 4 KiB; the one that finds the end goes into the room left. Before, that second read
        // grew the buffer by 64 KiB, zeroed and copied (a tenth of a millisecond of every refresh's start).
        let rooms = recording.log.filter { $0.name == "pread" }.compactMap { $0.arguments.last }
        #expect(rooms.count == 2, "\(recording.log)")
        #expect(rooms.first == "4096 bytes")
        #expect(rooms.allSatisfy { Int($0.split(separator: " ")[0]) ?? .max <= 4096 }, "\(rooms)")
    }

    @Test func aFormat1RootKeepsWorking() throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        try fixture.publishG1AndG2(thenSwitchTo: "g1", "g2")
        try #require(unlink(fixture.path("demo/" + Layout.headers)) == 0)  // format 1 has no header cache
        let store = fixture.store()
        var published: [String: Int64] = [:]
        for generation in ["g1", "g2"] {
            let manifest = try store.manifest(name: "demo", generation: generation)
            published[generation] = manifest.published
            try Self.format1(manifest, published: manifest.published ?? 0).write(
                toFile: fixture.path("demo/\(generation)/.manifest.json"), atomically: false, encoding: .utf8)
        }
        let g1 = try store.manifest(name: "demo", generation: "g1")
        #expect(g1.format == 1)
        let status = try #require(try store.status(only: "demo").first)
        #expect(status.generations.map(\.name) == ["g1", "g2"])
        #expect(status.generations.map(\.published) == [published["g1"], published["g2"]])
        #expect(status.generations.allSatisfy { $0.entries == g1.entryCount && $0.source != nil })
        #expect(try store.verify() == [])
        // The same content again (about to be written in format 2) is the same generation: nothing is written.
        var same = g1
        same.format = 2
        #expect(try fixture.write { try $0.publish(name: "demo", generation: "g1", manifest: same) } == .unchanged)
        let report = try fixture.write { writer in
            try writer.collectGarbage(options: GCOptions(keep: 0, graceNanoseconds: 0, dryRun: true)) { _, _ in false }
        }
        #expect(report.decisions.map(\.published) == [published["g1"], published["g2"]])
    }

    static let malformed: [(String, String, String)] = [
        (
            "entries that do not match", #"{"format": 2, "source": "s", "entries": 2, "sets": {"t": {"a": "/a"}}}"#,
            "says 2"
        ),
        (
            "a key after sets", #"{"format": 2, "source": "s", "entries": 1, "sets": {"t": {"a": "/a"}}, "x": 1}"#,
            "'sets' comes last"
        ),
        (
            "entries out of order",
            #"{"format": 2, "source": "s", "entries": 2, "sets": {"t": {"b": "/b", "a": "/a"}}}"#,
            "byte order"
        ),
        (
            "an entry twice", #"{"format": 2, "source": "s", "entries": 2, "sets": {"t": {"a": "/a", "a": "/b"}}}"#,
            "byte order"
        ),
        (
            "sets out of order",
            #"{"format": 2, "source": "s", "entries": 2, "sets": {"u": {"a": "/a"}, "t": {"a": "/a"}}}"#,
            "byte order"
        ),
        ("a key twice", #"{"format": 2, "source": "s", "source": "t", "entries": 0, "sets": {}}"#, "twice"),
        ("no source", #"{"format": 1, "sets": {"t": {"a": "/a"}}}"#, "missing key 'source'"),
        ("a future format", #"{"format": 3, "source": "s", "sets": {}}"#, "format 3"),
        ("a fraction", #"{"format": 1, "source": "s", "published": 1.5, "sets": {}}"#, "wrong type at 'published'"),
        ("a target that is a number", #"{"format": 1, "source": "s", "sets": {"t": {"a": 1}}}"#, "wrong type"),
        ("a lone surrogate", #"{"format": 1, "source": "\ud800", "sets": {}}"#, "surrogate"),
        ("text after the object", #"{"format": 1, "source": "s", "sets": {}} x"#, "after the object"),
        ("a raw newline in a string", "{\"format\": 1, \"source\": \"a\nb\", \"sets\": {}}", "control character"),
        ("a truncated file", #"{"format": 2, "source": "s", "entries": 1, "sets": {"t": {"a": "/"#, "unterminated"),
    ]

    @Test(arguments: malformed.indices)
    func aMalformedManifestIsRefusedNamingWhy(_ index: Int) throws {
        let (label, text, words) = Self.malformed[index]
        let error = #expect(throws: StoreError.self, "\(label)") {
            try Manifest.decode(Array(text.utf8), path: "/m", context: "test")
        }
        #expect(error?.reason.contains(words) == true, "\(label): \(error?.reason ?? "")")
        #expect(error?.path == "/m")
    }

    @Test func invalidUTF8IsRefused() throws {
        let bytes = Array(#"{"format": 1, "source": ""#.utf8) + [0xFF] + Array(#"", "sets": {}}"#.utf8)
        let error = #expect(throws: StoreError.self) { try Manifest.decode(bytes, path: "/m", context: "test") }
        #expect(error?.reason.contains("UTF-8") == true)
    }

    @Test func escapesAndUnknownKeysAreReadAsJSONDefinesThem() throws {
        let text = #"{"x": [1, {"y": null}, true], "source": "a\/b\u00e9\ud83d\ude00\n", "sets": {"t": {"e": "/t"}}}"#
        let manifest = try Manifest.decode(Array(text.utf8), path: "/m", context: "test")
        #expect(manifest.source == "a/bé😀\n" && manifest.format == 1 && manifest.entryCount == 1)
    }

    @Test func aManifestThatBreaksFormat2IsAVerifyProblemAndABrokenHeaderKeepsItsGeneration() throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        try fixture.publishG1AndG2(thenSwitchTo: "g2")
        let path = fixture.path("demo/g1/.manifest.json")
        let text = try String(contentsOfFile: path, encoding: .utf8)
        try text.replacingOccurrences(of: "\"entries\": ", with: "\"entries\": 1").write(
            toFile: path, atomically: false, encoding: .utf8)
        let problems = try fixture.store().verify()
        #expect(problems.contains { $0.path == path && $0.message.contains("entries") }, "\(problems)")
        // gc reads the header only: one whose header is broken keeps its generation. (With the header cache, gc
        // decides from the header as it was published, which the cache keeps: HeaderCacheTests.)
        try #require(unlink(fixture.path("demo/" + Layout.headers)) == 0)
        try text.replacingOccurrences(of: "\"source\": ", with: "\"source\": 1, \"x\": ").write(
            toFile: path, atomically: false, encoding: .utf8)
        let report = try fixture.write { writer in
            try writer.collectGarbage(options: GCOptions(keep: 0, graceNanoseconds: 0)) { _, _ in true }
        }
        #expect(report.removed == [])
        #expect(report.decisions.first { $0.generation == "g1" }?.reasons.map(\.code) == ["unreadable-manifest"])
    }

    @Test func verifyStreamsAndStillFindsEveryKindOfDamageAmongThousands() throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        try fixture.write { try $0.publish(name: "big", generation: "g1", manifest: Self.manifest(entries: 3_000)) }
        #expect(try fixture.store().verify() == [])
        #expect(symlink("/x", fixture.path("big/g1/tools/zz-extra")) == 0)
        #expect(unlink(fixture.path("big/g1/tools/e17")) == 0)
        #expect(unlink(fixture.path("big/g1/tools/e18")) == 0 && mkdir(fixture.path("big/g1/tools/e18"), 0o755) == 0)
        #expect(unlink(fixture.path("big/g1/tools/e19")) == 0 && symlink("/y", fixture.path("big/g1/tools/e19")) == 0)
        #expect(mkdir(fixture.path("big/g1/stray"), 0o755) == 0)
        let problems = try fixture.store().verify().map {
            "\($0.path.dropFirst(fixture.root.count + 1)): \($0.message)"
        }
        #expect(
            Set(problems) == [
                "big/g1/tools/e17: missing entry listed in the manifest",
                "big/g1/tools/e18: is not a symlink",
                "big/g1/tools/e19: points to '/y', manifest says '/opt/a/e19'",
                "big/g1/tools/zz-extra: extra entry not in the manifest",
                "big/g1/stray: extra entry not in the manifest",
            ], "\(problems)")
    }

    @Test func aDirectoryListingGivesEveryNameWithTheKindLstatSees() throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        try fixture.publishG1AndG2(thenSwitchTo: "g1", "g2")
        try #require(unlink(fixture.path("demo/" + Layout.headers)) == 0)  // only directories and links here
        for index in 0..<2_000 { #expect(symlink("/t", fixture.path("demo/l\(index)")) == 0) }
        let system = LinuxSystemCalls()
        let fd = open(fixture.path("demo"), O_RDONLY | O_DIRECTORY)
        defer { close(fd) }
        let entries = try system.directoryEntries(fd)
        #expect(Set(entries.map(\.name)) == Set(try system.listDirectory(fd)))
        #expect(entries.count == 2_000 + 4)
        for entry in entries {
            var st = stat()
            #expect(lstat(fixture.path("demo/" + entry.name), &st) == 0)
            let kind: FileKind = (st.st_mode & S_IFMT) == S_IFDIR ? .directory : .symlink
            #expect(entry.kind == nil || entry.kind == kind, "\(entry)")
        }
        // A second listing of the same descriptor starts again at the beginning.
        #expect(try system.directoryEntryCount(fd) == entries.count)
    }
}
