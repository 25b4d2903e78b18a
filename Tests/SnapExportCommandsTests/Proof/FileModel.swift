import Foundation
import Glibc

/// An export root as a value: every path below it with what is there. The crash-state model replays
/// `Mutation`s onto one and materialises the result in a fresh directory (docs/crash-model.md).
struct FileModel: Sendable, Equatable {
    enum Node: Sendable, Equatable {
        case directory
        case symlink(String)
        case file([UInt8])
    }

    /// Root-relative path → node; the root itself (`""`) is implied.
    var nodes: [String: Node] = [:]

    struct ReplayError: Error, CustomStringConvertible {
        var description: String
    }

    /// Reads the tree below `root` (not following symlinks).
    static func read(_ root: String) throws -> FileModel {
        var model = FileModel()
        guard let walker = FileManager.default.enumerator(atPath: root) else { return model }
        while let relative = walker.nextObject() as? String {
            let path = root + "/" + relative
            var st = stat()
            guard lstat(path, &st) == 0 else { continue }
            switch st.st_mode & S_IFMT {
            case S_IFDIR: model.nodes[relative] = .directory
            case S_IFLNK:
                model.nodes[relative] = .symlink(try FileManager.default.destinationOfSymbolicLink(atPath: path))
            case S_IFREG:
                model.nodes[relative] = .file(Array(try Data(contentsOf: URL(fileURLWithPath: path))))
            default:
                throw ReplayError(description: "\(path): neither directory, symlink nor regular file")
            }
        }
        return model
    }

    private static func parent(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "" }
        return String(path[..<slash])
    }

    private func exists(_ path: String) -> Bool { path.isEmpty || nodes[path] != nil }

    /// The subtree at `path` (itself and everything below), root-relative keys.
    private func subtree(_ path: String) -> [String: Node] {
        nodes.filter { $0.key == path || $0.key.hasPrefix(path + "/") }
    }

    private mutating func remove(_ path: String) {
        for key in subtree(path).keys { nodes[key] = nil }
    }

    private mutating func place(_ tree: [String: Node], from: String, to: String) {
        for (key, node) in tree { nodes[to + key.dropFirst(from.count)] = node }
    }

    /// Applies one mutation as the kernel would; throws when it cannot apply (a replay of an impossible order).
    mutating func apply(_ mutation: Mutation, tornAt fraction: Bool = false) throws {
        func need(_ ok: Bool, _ what: String) throws {
            if !ok { throw ReplayError(description: "\(mutation): \(what)") }
        }
        switch mutation.kind {
        case .mkdir(let p):
            let parent = Self.parent(p)
            try need(!exists(p) && (parent.isEmpty || nodes[parent] == .directory), "cannot mkdir")
            nodes[p] = .directory
        case .create(let p):
            try need(!exists(p) && exists(Self.parent(p)), "cannot create")
            nodes[p] = .file([])
        case .write(let p, let bytes):
            guard case .file(let old) = nodes[p] else { throw ReplayError(description: "\(mutation): no file") }
            nodes[p] = .file(old + (fraction ? Array(bytes.prefix(bytes.count / 2)) : bytes))
        case .symlink(let target, let p):
            try need(!exists(p) && exists(Self.parent(p)), "cannot symlink")
            nodes[p] = .symlink(target)
        case .rename(let a, let b, let exchange):
            try need(exists(a) && exists(Self.parent(b)), "source missing")
            let moving = subtree(a)
            if exchange {
                try need(exists(b), "exchange target missing")
                let other = subtree(b)
                remove(a)
                remove(b)
                place(moving, from: a, to: b)
                place(other, from: b, to: a)
            } else {
                if nodes[b] == .directory {
                    try need(subtree(b).count == 1, "rename over a non-empty directory")
                }
                remove(b)
                remove(a)
                place(moving, from: a, to: b)
            }
        case .link(let a, let b):
            try need(nodes[a] != nil && nodes[a] != .directory && !exists(b) && exists(Self.parent(b)), "cannot link")
            nodes[b] = nodes[a]
        case .touch:
            break
        case .unlink(let p):
            try need(exists(p) && nodes[p] != .directory, "nothing to unlink")
            nodes[p] = nil
        case .rmdir(let p):
            try need(nodes[p] == .directory && subtree(p).count == 1, "cannot rmdir")
            nodes[p] = nil
        case .fsync:
            break
        }
    }

    /// Creates the tree in `root` (which must not exist yet).
    func materialise(at root: String) throws {
        guard mkdir(root, 0o755) == 0 else { throw ReplayError(description: "mkdir \(root): errno \(errno)") }
        for (relative, node) in nodes.sorted(by: { $0.key < $1.key }) {
            let path = root + "/" + relative
            let ok: Bool
            switch node {
            case .directory: ok = mkdir(path, 0o755) == 0
            case .symlink(let target): ok = symlink(target, path) == 0
            case .file(let bytes): ok = FileManager.default.createFile(atPath: path, contents: Data(bytes))
            }
            if !ok { throw ReplayError(description: "cannot materialise \(path): errno \(errno)") }
        }
    }

    /// FNV-1a of the bytes, in hex: stable across runs, unlike `hashValue`.
    static func fnv1a(_ bytes: [UInt8]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return String(hash, radix: 16)
    }

    /// A description equal for states that differ only in what `.staging/` and `.trash/` hold (one class, as
    /// docs/crash-model.md says).
    var crashClass: String {
        var lines: Set<String> = []
        for (path, node) in nodes {
            for leftovers in [".staging/", ".trash/"] where path.hasPrefix(leftovers) {
                lines.insert(leftovers + "…")
            }
            if path.hasPrefix(".staging/") || path.hasPrefix(".trash/") { continue }
            switch node {
            case .directory: lines.insert(path + "/")
            case .symlink(let target): lines.insert(path + " -> " + target)
            case .file(let bytes): lines.insert(path + " " + Self.fnv1a(bytes) + " \(bytes.count)")
            }
        }
        return lines.sorted().joined(separator: "\n")
    }
}
