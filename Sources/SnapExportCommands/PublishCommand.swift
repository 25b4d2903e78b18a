import GenerationStore
import Glibc

/// `snap-export publish NAME GENERATION (--manifest FILE | --entry SET/ENTRY=TARGET ...)`
enum PublishCommand: Command {
    static let name = "publish"
    static let summary = "publish an immutable generation of entries under NAME/GENERATION"
    static let usage =
        "publish NAME GENERATION (--manifest FILE | --entry SET/ENTRY=TARGET ...) [--source S] [--version V] [--json]"
    static let details = """
        Builds NAME/GENERATION in .staging, syncs it, and makes it visible with one renameat2(RENAME_NOREPLACE).
        Publishing the same content again changes nothing; other content under an existing generation fails (73).
          --manifest FILE            a manifest in the JSON format of docs/format.md
          --entry SET/ENTRY=TARGET   one entry (repeatable): a symlink SET/ENTRY -> TARGET (absolute path);
                                     SET may have several parts, as in man/man1/ls.1=/usr/share/man/man1/ls.1
          --source S                 the source recorded in the manifest (default: cli)
          --version V                the source's version recorded in the manifest
          --json                     print the outcome as JSON
        """

    static let rootUse = RootUse.created
    static let syntax = CommandSyntax(
        options: [
            .value("--manifest", .file), .value("--entry", .word), .value("--source", .word),
            .value("--version", .word), .flag("--json"),
        ],
        operands: [.required("NAME", .exportedName), .required("GENERATION", .word)])

    static func run(_ arguments: inout Arguments, _ context: CommandContext) throws -> ExitCode {
        let json = arguments.flag("--json")
        let manifestFile = try arguments.value("--manifest")
        let entries = try arguments.values("--entry")
        let source = try arguments.value("--source")
        let version = try arguments.value("--version")
        let names = try arguments.positionals("NAME", "GENERATION")
        let (name, generation) = (names[0], names[1])
        let errorContext = "cannot publish \(name)/\(generation)"

        var manifest: Manifest
        switch (manifestFile, entries.isEmpty) {
        case (let file?, true):
            // A pipe (`--manifest <(…)`, /dev/stdin) is fine; the cap holds for every kind of file.
            let bytes = try context.system.readFile(
                AT_FDCWD, file, at: file, errorContext, cap: MetadataCap.manifest, followSymlink: true, stream: true)
            manifest = try Manifest.decode(bytes, path: file, context: errorContext)
        case (nil, false):
            var sets: [String: [String: String]] = [:]
            for entry in entries {
                guard let equals = entry.firstIndex(of: "="),
                    let slash = entry[..<equals].lastIndex(of: "/")
                else { throw UsageError("--entry '\(entry)' must be SET/ENTRY=TARGET") }
                let set = String(entry[..<slash])
                let entryName = String(entry[entry.index(after: slash)..<equals])
                if sets[set]?[entryName] != nil {
                    throw StoreError(.badData, errorContext, "entry '\(set)/\(entryName)' given twice")
                }
                sets[set, default: [:]][entryName] = String(entry[entry.index(after: equals)...])
            }
            manifest = Manifest(source: source ?? "cli", version: version, sets: sets)
        case (.some, false):
            throw UsageError("give either --manifest or --entry, not both")
        case (nil, true):
            throw UsageError("give --manifest FILE or at least one --entry SET/ENTRY=TARGET")
        }
        if manifestFile != nil {
            if let source { manifest.source = source }
            if let version { manifest.version = version }
        }
        try context.checkRoot()
        let outcome = try context.withWriter(creatingRoot: true) { writer in
            try writer.publish(name: name, generation: generation, manifest: manifest)
        }
        let word = outcome == .published ? "published" : "unchanged"
        if json {
            context.console.out(
                JSONOutput.render(
                    Output(name: name, generation: generation, outcome: word, entries: manifest.entryCount)))
        } else if outcome == .published {
            context.out("published \(name)/\(generation) (\(manifest.entryCount) entries)")
        } else {
            context.out("\(name)/\(generation) already published with the same content; nothing changed")
        }
        return .success
    }

    /// `--json`: `{"entries", "generation", "name", "outcome": "published"|"unchanged"}`.
    struct Output: Encodable, Sendable {
        var name: String
        var generation: String
        var outcome: String
        var entries: Int
    }
}
