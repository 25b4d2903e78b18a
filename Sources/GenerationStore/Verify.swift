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
    /// A path that is not an export root (`RootState`: absent, empty or foreign) fails (`.missingInput`).
    public func verify() throws(StoreError) -> [Problem] {
        let context = "cannot verify"
        guard let rootFd = try openRoot(context) else { throw RootState.absentRefusal(path: root, context) }
        if let refusal = try rootState(rootFd.raw, context).refusal(path: root, context) { throw refusal }
        var problems: [Problem] = []
        for listed in try system.entries(rootFd.raw, at: root, context).sorted(by: { $0.name < $1.name }) {
            let entry = listed.name
            let entryPath = path(entry)
            if listed.undecodable != nil {
                problems.append(
                    Problem(path: entryPath, message: "a name that is not UTF-8, which snap-export never makes"))
                continue
            }
            switch entry {
            case Layout.lock:
                let kind = try system.status(rootFd.raw, entry, at: entryPath, context)?.kind
                if let kind, kind != .regular {
                    problems.append(
                        Problem(
                            path: entryPath,
                            message: "is \(kind.article), not the lock file, so every writer fails: remove it "
                                + "(rm \(kind == .directory ? "-r " : "")\(entryPath)) while no snap-export runs"))
                }
            case Layout.marker:
                continue
            case Layout.stamp:
                let kind = try system.status(rootFd.raw, entry, at: entryPath, context)?.kind
                if let kind, kind != .regular {
                    problems.append(
                        Problem(
                            path: entryPath, message: "is \(kind.article), not the stamp (run repair: it removes it)"))
                }
            case Layout.staging, Layout.trash:
                let kind = try system.status(rootFd.raw, entry, at: entryPath, context)?.kind
                guard kind == .directory,
                    let dir = try system.openDirectoryIfPresent(rootFd.raw, entry, at: entryPath, context)
                else {
                    problems.append(
                        Problem(
                            path: entryPath,
                            message: "is \(kind?.article ?? "gone"), not a directory (run repair: it removes it)"))
                    continue
                }
                let what = entry == Layout.staging ? "an interrupted publish" : "an interrupted removal"
                for leftover in try system.entries(dir.raw, at: entryPath, context).map(\.name).sorted() {
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
        let listing = try system.entries(nameFd, at: path(name), context)
        for entry in listing where entry.undecodable != nil {
            let leftover = entry.undecodable!.starts(with: Array(Layout.nextPrefix.utf8))
            problems.append(
                Problem(
                    path: path(name, entry.name),
                    message: leftover
                        ? "leftover link of an interrupted switch (run repair)"
                        : "a name that is not UTF-8, which snap-export never makes"))
        }
        let entries = listing.compactMap { $0.undecodable == nil ? $0.name : nil }.sorted()
        let current =
            entries.contains(where: { $0.hasPrefix(Layout.nextPrefix) })
            ? try? system.readlinkat(nameFd, Layout.current) : nil
        let cache = entries.contains(Layout.headers) ? HeaderCache.read(system, nameFd) : HeaderCache()
        var disagreeing: [String] = []
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
                let target = status.kind == .symlink ? try? system.readlinkat(nameFd, entry) : nil
                if Layout.isDisplacedCurrent(entry, target: target, current: current), let target, let current {
                    problems.append(
                        Problem(
                            path: entryPath,
                            message: "a switch to \(current) interrupted after its exchange: previous must name "
                                + "\(target) (run repair to complete it)"))
                } else {
                    problems.append(
                        Problem(path: entryPath, message: "leftover link of an interrupted switch (run repair)"))
                }
            } else if entry == Layout.headers {
                if status.kind != .regular {
                    problems.append(
                        Problem(
                            path: entryPath,
                            message: "is \(status.kind.article), not the header cache (run repair: it removes it)"))
                }
            } else if entry.hasPrefix(Layout.retiredPrefix) {
                if status.kind != .symlink {
                    problems.append(Problem(path: entryPath, message: "retirement marker is not a symlink"))
                }
            } else if entry.hasPrefix(".") {
                problems.append(Problem(path: entryPath, message: "unexpected entry"))
            } else if status.kind != .directory {
                problems.append(Problem(path: entryPath, message: "generation is not a directory"))
            } else {
                let (found, header) = try verifyGeneration(name, entry, nameFd, context)
                problems += found
                if let header, cache.records[entry] != nil,
                    let cached = cache.header(of: entry, identity: DirectoryIdentity(inode: status.inode)),
                    cached != header
                {
                    disagreeing.append(entry)
                }
            }
        }
        if !disagreeing.isEmpty {
            problems.append(
                Problem(
                    path: path(name, Layout.headers),
                    message: "header cache records of \(disagreeing.joined(separator: ", ")) disagree with their "
                        + "manifests (run repair: it rewrites the cache)"))
        }
        return problems
    }

    /// Checks one generation against its manifest, streamed: memory holds the set paths, never the entries.
    ///
    /// Pass 1 reads the manifest once and checks each entry where it should be (one `readlinkat` relative to its
    /// set directory, opened component by component without following links): missing, not a symlink, or another
    /// target. Pass 2 lists the directories: the generation's top and the directories above the sets by name
    /// (they hold only set path parts), each set directory by count; only a set directory holding more names
    /// than its entries found is listed by name against its entries (read again, for that set alone).
    ///
    /// Returns the problems and the manifest's header (nil when the manifest cannot be read).
    private func verifyGeneration(_ name: String, _ generation: String, _ nameFd: Int32, _ context: String)
        throws(StoreError) -> (problems: [Problem], header: ManifestHeader?)
    {
        let genPath = path(name, generation)
        let genFd = try system.openDirectory(nameFd, generation, at: genPath, context)
        let manifestPath = genPath + "/" + Manifest.fileName
        var problems: [Problem] = []
        var sets = SetDirectories(system: system, generationFd: genFd.raw, generationPath: genPath)
        defer { sets.closeAll() }
        let header: ManifestHeader
        do throws(StoreError) {
            header = try system.streamManifest(
                genFd.raw, at: genPath, headerOnly: false, "",
                set: { (set) throws(StoreError) in _ = try sets.open(set, &problems, context) },
                entry: { (set, entry, target) throws(StoreError) in
                    let setFd = try sets.open(set, &problems, context)
                    try NameRules.validateComponent(entry, what: "entry name", context: "set '\(set)'")
                    try NameRules.validateTarget(target, entry: entry, context: "set '\(set)'")
                    guard let setFd else { return }
                    let entryPath = genPath + "/" + set + "/" + entry
                    do throws(Errno) {
                        let actual = try system.readlinkat(setFd, entry)
                        sets.found[set, default: 0] += 1
                        if actual != target {
                            problems.append(
                                Problem(path: entryPath, message: "points to '\(actual)', manifest says '\(target)'"))
                        }
                    } catch .noSuchFileOrDirectory {
                        problems.append(Problem(path: entryPath, message: "missing entry listed in the manifest"))
                    } catch .invalidArgument {
                        sets.found[set, default: 0] += 1
                        problems.append(Problem(path: entryPath, message: "is not a symlink"))
                    } catch {
                        throw .system("readlinkat", error, path: entryPath, context)
                    }
                })
            try Manifest.validateNesting(Set(sets.order), context: "")
        } catch  where error.path == nil || error.path == manifestPath {
            let reason = error.kind == .missingInput ? "generation has no manifest" : error.reason
            return ([Problem(path: manifestPath, message: reason)], nil)
        }
        // Pass 2: what is there that the manifest does not list.
        var directories: [String: Set<String>] = ["": [Manifest.fileName]]
        for set in sets.order {
            var parent = ""
            for part in set.split(separator: "/") {
                directories[parent, default: []].insert(String(part))
                parent = parent.isEmpty ? String(part) : parent + "/" + part
            }
        }
        for (directory, expected) in directories.sorted(by: { $0.key < $1.key }) {
            guard let fd = directory.isEmpty ? genFd.raw : sets.intermediate[directory] else { continue }
            let directoryPath = directory.isEmpty ? genPath : genPath + "/" + directory
            for entry in try system.entries(fd, at: directoryPath, context).map(\.name).sorted()
            where !expected.contains(entry) {
                problems.append(Problem(path: directoryPath + "/" + entry, message: "extra entry not in the manifest"))
            }
        }
        for set in sets.order {
            guard let setFd = sets.fds[set] else { continue }
            let setPath = genPath + "/" + set
            let count = try system.call("getdents64", at: setPath, context) { () throws(Errno) -> Int in
                try system.directoryEntryCount(setFd)
            }
            if count == sets.found[set, default: 0] { continue }
            var listed: Set<String> = []
            _ = try system.streamManifest(
                genFd.raw, at: genPath, headerOnly: false, context,
                entry: { (entrySet, entry, _) throws(StoreError) in
                    if entrySet == set { listed.insert(entry) }
                })
            for entry in try system.entries(setFd, at: setPath, context).map(\.name).sorted()
            where !listed.contains(entry) {
                problems.append(Problem(path: setPath + "/" + entry, message: "extra entry not in the manifest"))
            }
        }
        return (problems, header)
    }
}

/// The set directories of one generation as `verify` meets them in its manifest, each opened once.
private struct SetDirectories {
    let system: any SystemCalls
    let generationFd: Int32
    let generationPath: String
    /// Set paths in the order the manifest gives them.
    var order: [String] = []
    /// Set path → its directory (absent when it is missing or not a directory: reported once).
    var fds: [String: Int32] = [:]
    /// Directory above a set (`man` for `man/man1`) → its descriptor.
    var intermediate: [String: Int32] = [:]
    /// Set path → entries found as links or other files.
    var found: [String: Int] = [:]
    var seen: Set<String> = []

    /// The directory of `set`, opened component by component without following links on first sight; nil (and a
    /// problem) when a component is missing or not a directory.
    mutating func open(_ set: String, _ problems: inout [ExportStore.Problem], _ context: String) throws(StoreError)
        -> Int32?
    {
        if seen.contains(set) { return fds[set] }
        try NameRules.validateSetPath(set, context: "")
        seen.insert(set)
        order.append(set)
        var fd = generationFd
        var relative = ""
        let parts = set.split(separator: "/").map(String.init)
        for (index, part) in parts.enumerated() {
            relative = relative.isEmpty ? part : relative + "/" + part
            if index < parts.count - 1, let known = intermediate[relative] {
                fd = known
                continue
            }
            let partPath = generationPath + "/" + relative
            do {
                let opened = try system.open(fd, part, [.directory, .noFollow])
                fd = opened
                if index < parts.count - 1 { intermediate[relative] = opened } else { fds[set] = opened }
            } catch .noSuchFileOrDirectory {
                problems.append(ExportStore.Problem(path: partPath, message: "missing entry listed in the manifest"))
                return nil
            } catch .notDirectory, .tooManySymbolicLinks {
                problems.append(ExportStore.Problem(path: partPath, message: "is not a directory"))
                return nil
            } catch {
                throw .system("openat", error, path: partPath, context)
            }
        }
        return fds[set]
    }

    func closeAll() {
        for fd in fds.values { system.close(fd) }
        for fd in intermediate.values { system.close(fd) }
    }
}
