/// Checking on disk every invariant that can be seen there (DESIGN.md §3).
extension ExportStore {
    /// One violated invariant: where, and what is wrong.
    public struct Problem: Sendable, Equatable, CustomStringConvertible {
        public var path: String
        public var message: String
        public var description: String { "\(path): \(message)" }
    }

    /// Every problem found: `current`/`previous` that do not name a generation of their name, generations
    /// that differ from their manifest (missing, extra or wrong entries), and leftovers of interrupted writers
    /// (`.staging/*`, `.trash/*`, `.next-*`). An empty array means the root is clean. Reads only; never locks.
    public func verify() throws(StoreError) -> [Problem] {
        let context = "cannot verify"
        guard let rootFd = try openRoot(context) else { return [] }
        var problems: [Problem] = []
        for entry in try system.names(rootFd.raw, at: root, context).sorted() {
            let entryPath = path(entry)
            switch entry {
            case Layout.lock:
                continue
            case Layout.staging, Layout.trash:
                guard let dir = try system.openDirectoryIfPresent(rootFd.raw, entry, at: entryPath, context) else {
                    problems.append(Problem(path: entryPath, message: "is not a directory"))
                    continue
                }
                let what = entry == Layout.staging ? "an interrupted publish" : "an interrupted removal"
                for leftover in try system.names(dir.raw, at: entryPath, context).sorted() {
                    problems.append(Problem(path: path(entry, leftover), message: "leftover of \(what) (run repair)"))
                }
            default:
                if entry.hasPrefix(".") {
                    problems.append(Problem(path: entryPath, message: "unexpected entry in the export root"))
                    continue
                }
                guard let nameFd = try system.openDirectoryIfPresent(rootFd.raw, entry, at: entryPath, context),
                    try system.status(rootFd.raw, entry, at: entryPath, context)?.kind == .directory
                else {
                    problems.append(Problem(path: entryPath, message: "exported name is not a directory"))
                    continue
                }
                problems += try verifyName(entry, nameFd.raw, context)
            }
        }
        return problems
    }

    private func verifyName(_ name: String, _ nameFd: Int32, _ context: String) throws(StoreError) -> [Problem] {
        var problems: [Problem] = []
        let entries = try system.names(nameFd, at: path(name), context).sorted()
        for entry in entries {
            let entryPath = path(name, entry)
            guard let status = try system.status(nameFd, entry, at: entryPath, context) else { continue }
            if entry == Layout.current || entry == Layout.previous {
                guard status.kind == .symlink,
                    let target = try system.link(nameFd, entry, at: entryPath, context)
                else {
                    problems.append(Problem(path: entryPath, message: "is not a symlink"))
                    continue
                }
                if (try? NameRules.validateComponent(target, what: "target", context: "")) == nil {
                    problems.append(
                        Problem(path: entryPath, message: "points to '\(target)', not to a generation of \(name)"))
                } else if try system.status(nameFd, target, at: path(name, target), context)?.kind != .directory {
                    problems.append(Problem(path: entryPath, message: "points to missing generation '\(target)'"))
                }
            } else if entry.hasPrefix(Layout.nextPrefix) {
                problems.append(
                    Problem(path: entryPath, message: "leftover link of an interrupted switch (run repair)"))
            } else if entry.hasPrefix(Layout.retiredPrefix) {
                if status.kind != .symlink {
                    problems.append(Problem(path: entryPath, message: "retirement marker is not a symlink"))
                }
            } else if entry.hasPrefix(".") {
                problems.append(Problem(path: entryPath, message: "unexpected entry"))
            } else if status.kind != .directory {
                problems.append(Problem(path: entryPath, message: "generation is not a directory"))
            } else {
                problems += try verifyGeneration(name, entry, nameFd, context)
            }
        }
        return problems
    }

    /// The expected tree of a generation: directories by name, entries by name with their targets.
    private indirect enum Node {
        case directory([String: Node])
        case link(String)
    }

    private func verifyGeneration(_ name: String, _ generation: String, _ nameFd: Int32, _ context: String)
        throws(StoreError) -> [Problem]
    {
        let genPath = path(name, generation)
        let genFd = try system.openDirectory(nameFd, generation, at: genPath, context)
        let manifestPath = genPath + "/" + Manifest.fileName
        let manifest: Manifest
        do {
            manifest = try system.readManifest(genFd.raw, at: genPath, context)
            try manifest.validate(context: "")
        } catch {
            let reason = error.kind == .missingInput ? "generation has no manifest" : error.reason
            return [Problem(path: manifestPath, message: reason)]
        }
        var tree: [String: Node] = [:]
        for (set, entries) in manifest.sets {
            var links: [String: Node] = [:]
            for (entry, target) in entries { links[entry] = .link(target) }
            tree = Self.insert(set.split(separator: "/").map(String.init), links, into: tree)
        }
        var problems: [Problem] = []
        try compare(genFd.raw, at: genPath, expected: tree, isTop: true, &problems, context)
        return problems
    }

    private static func insert(_ parts: [String], _ links: [String: Node], into tree: [String: Node]) -> [String: Node]
    {
        guard let first = parts.first else { return tree }
        var tree = tree
        if parts.count == 1 {
            tree[first] = .directory(links)
        } else {
            var children: [String: Node] = [:]
            if case .directory(let existing) = tree[first] { children = existing }
            tree[first] = .directory(insert(Array(parts.dropFirst()), links, into: children))
        }
        return tree
    }

    private func compare(
        _ dirFd: Int32, at dirPath: String, expected: [String: Node], isTop: Bool, _ problems: inout [Problem],
        _ context: String
    ) throws(StoreError) {
        let actual = Set(try system.names(dirFd, at: dirPath, context))
        for extra in actual.subtracting(expected.keys).sorted() where !(isTop && extra == Manifest.fileName) {
            problems.append(Problem(path: dirPath + "/" + extra, message: "extra entry not in the manifest"))
        }
        for (child, node) in expected.sorted(by: { $0.key < $1.key }) {
            let childPath = dirPath + "/" + child
            guard actual.contains(child), let status = try system.status(dirFd, child, at: childPath, context) else {
                problems.append(Problem(path: childPath, message: "missing entry listed in the manifest"))
                continue
            }
            switch node {
            case .link(let target):
                if status.kind != .symlink {
                    problems.append(Problem(path: childPath, message: "is not a symlink"))
                } else if let actualTarget = try system.link(dirFd, child, at: childPath, context),
                    actualTarget != target
                {
                    problems.append(
                        Problem(path: childPath, message: "points to '\(actualTarget)', manifest says '\(target)'"))
                }
            case .directory(let children):
                guard status.kind == .directory else {
                    problems.append(Problem(path: childPath, message: "is not a directory"))
                    continue
                }
                let childFd = try system.openDirectory(dirFd, child, at: childPath, context)
                try compare(childFd.raw, at: childPath, expected: children, isTop: false, &problems, context)
            }
        }
    }
}
