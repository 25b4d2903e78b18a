import CExportShims
import Glibc

/// Deleting trees below the export root: never following a symlink, never crossing into another filesystem.
extension StoreWriter {
    /// What a deletion could not remove, and why (a mount point inside, a permission error).
    public struct Leftover: Sendable, Equatable, CustomStringConvertible {
        public var path: String
        public var reason: String
        public var description: String { "\(path): \(reason)" }
    }

    /// Removes `name` inside `parentFd` and everything below it with `openat(O_NOFOLLOW|O_DIRECTORY)` and
    /// `unlinkat` relative to directory descriptors. Symlinks are unlinked, never followed; a directory on
    /// another device (a mount point) is neither entered nor removed and is reported as a leftover.
    @discardableResult
    func removeTree(_ parentFd: Int32, _ name: String, at path: String) throws(StoreError) -> [Leftover] {
        let context = "cannot remove \(path)"
        guard let status = try system.status(parentFd, name, at: path, context) else { return [] }
        guard status.kind == .directory else {
            try unlink(parentFd, name, flags: 0, at: path, context)
            return []
        }
        let parentDevice = try deviceOf(parentFd, at: path, context)
        var leftovers: [Leftover] = []
        try removeDirectory(parentFd, name, at: path, device: parentDevice, leftovers: &leftovers, context)
        return leftovers
    }

    private func deviceOf(_ fd: Int32, at path: String, _ context: String) throws(StoreError) -> UInt64 {
        do {
            return try system.fstatat(fd, "", CX_AT_EMPTY_PATH).device
        } catch {
            throw .system("fstat", error, path: path, context)
        }
    }

    private func removeDirectory(
        _ parentFd: Int32, _ name: String, at path: String, device: UInt64, leftovers: inout [Leftover],
        _ context: String
    ) throws(StoreError) {
        let dir: Descriptor
        do {
            dir = Descriptor(try system.openat(parentFd, name, O_RDONLY | CX_O_DIRECTORY | CX_O_NOFOLLOW, 0), system)
        } catch .noSuchFileOrDirectory {
            return
        } catch .notDirectory, .tooManySymbolicLinks {
            // Replaced by a non-directory since we looked: unlink it, never follow it.
            try unlink(parentFd, name, flags: 0, at: path, context)
            return
        } catch {
            throw .system("open", error, path: path, context)
        }
        guard try deviceOf(dir.raw, at: path, context) == device else {
            leftovers.append(Leftover(path: path, reason: "another filesystem is mounted here; not crossed"))
            return
        }
        let before = leftovers.count
        for entry in try system.names(dir.raw, at: path, context) {
            let child = path + "/" + entry
            guard let status = try system.status(dir.raw, entry, at: child, context) else { continue }
            if status.kind == .directory {
                try removeDirectory(dir.raw, entry, at: child, device: device, leftovers: &leftovers, context)
            } else {
                try unlink(dir.raw, entry, flags: 0, at: child, context)
            }
        }
        if leftovers.count == before {
            try unlink(parentFd, name, flags: CX_AT_REMOVEDIR, at: path, context)
        }
    }

    private func unlink(_ fd: Int32, _ name: String, flags: Int32, at path: String, _ context: String) throws(StoreError) {
        do {
            try system.unlinkat(fd, name, flags)
        } catch .noSuchFileOrDirectory {
            return
        } catch {
            throw .system("unlinkat", error, path: path, context)
        }
    }

    /// Empties `.trash/`: finishes deletions that an interrupted gc left behind. Returns what was removed.
    @discardableResult
    public func emptyTrash() throws(StoreError) -> (removed: [String], leftovers: [Leftover]) {
        try emptyDirectory(Layout.trash)
    }

    /// Removes every entry of a store directory (`.staging` or `.trash`).
    func emptyDirectory(_ directory: String) throws(StoreError) -> (removed: [String], leftovers: [Leftover]) {
        let context = "cannot clean \(store.path(directory))"
        guard let fd = try system.openDirectoryIfPresent(rootFd, directory, at: store.path(directory), context) else {
            return ([], [])
        }
        var removed: [String] = []
        var leftovers: [Leftover] = []
        for entry in try system.names(fd.raw, at: store.path(directory), context).sorted() {
            let path = store.path(directory, entry)
            let left = try removeTree(fd.raw, entry, at: path)
            if left.isEmpty { removed.append(path) } else { leftovers += left }
        }
        return (removed, leftovers)
    }

    /// Makes `<name>/<generation>` disappear in one `renameat` into `.trash/<random>`, fsyncs both directories,
    /// then deletes the tree. Refuses `current` and `previous`. A crash after the rename leaves only `.trash/*`,
    /// which the next `gc` or `repair` finishes.
    @discardableResult
    public func removeGeneration(name: String, generation: String) throws(StoreError) -> [Leftover] {
        let context = "cannot remove generation \(name)/\(generation)"
        try NameRules.validateComponent(name, what: "exported name", context: context)
        try NameRules.validateComponent(generation, what: "generation", context: context)
        let nameFd = try nameDirectory(name, create: false, context)
        for link in [Layout.current, Layout.previous]
        where try system.link(nameFd, link, at: store.path(name, link), context) == generation {
            throw StoreError(.badData, context, "it is \(link)", path: store.path(name, generation))
        }
        try requireGeneration(nameFd, name, generation, context)
        try system.makeDirectory(rootFd, Layout.trash, at: store.path(Layout.trash), context)
        let trashFd = try system.openDirectory(rootFd, Layout.trash, at: store.path(Layout.trash), context)
        let trashName = Clock.randomSuffix()
        do {
            try system.renameat(nameFd, generation, trashFd.raw, trashName)
        } catch {
            throw .system("renameat", error, path: store.path(name, generation), context)
        }
        try system.sync(nameFd, at: store.path(name), context)
        try system.sync(trashFd.raw, at: store.path(Layout.trash), context)
        store.faults.hit("gc.trashed")
        return try removeTree(trashFd.raw, trashName, at: store.path(Layout.trash, trashName))
    }
}
