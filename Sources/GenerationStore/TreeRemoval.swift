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
    /// another device or another mount (a mount point, a bind mount of the same filesystem), or one whose mount
    /// cannot be told (`placeOf`), is neither entered nor removed and is reported as a leftover. `fault` is hit
    /// after the first entry is removed.
    @discardableResult
    func removeTree(_ parentFd: Int32, _ name: String, at path: String, fault: FaultPoint? = nil) throws(StoreError)
        -> [Leftover]
    {
        let context = "cannot remove \(path)"
        guard let status = try system.status(parentFd, name, at: path, context) else { return [] }
        guard status.kind == .directory else {
            try unlink(parentFd, name, flags: 0, at: path, context)
            return []
        }
        let parent = try placeOf(parentFd, at: path, context)
        var leftovers: [Leftover] = []
        var fault = fault
        try removeDirectory(parentFd, name, at: path, place: parent, leftovers: &leftovers, fault: &fault, context)
        return leftovers
    }

    /// The filesystem (device) and the mount a directory lies on; `mount` is nil when no way of asking the kernel
    /// worked, and `unknown` then says what each way answered.
    struct Place: Equatable {
        var device: UInt64
        var mount: UInt64?
        var unknown = ""
    }

    /// `fstat` for the device, then the mount id from the first of: `statx` (`STATX_MNT_ID`, Linux 5.8+),
    /// `name_to_handle_at` (2.6.39+), the `mnt_id:` line of `/proc/self/fdinfo/<fd>` (3.15+). All three report the
    /// same id (mountinfo's first field), so ids found different ways compare. Where none works the mount is
    /// unknown, and `removeDirectory` enters nothing (docs/gc.md, "How a generation is removed").
    private func placeOf(_ fd: Int32, at path: String, _ context: String) throws(StoreError) -> Place {
        let device: UInt64
        do {
            device = try system.fstatat(fd, "", CX_AT_EMPTY_PATH).device
        } catch {
            throw .system("fstatat", error, path: path, context)
        }
        var answers: [String] = []
        do {
            return Place(device: device, mount: try system.mountID(fd))
        } catch {
            answers.append("statx: no mount id (\(error))")
        }
        do {
            return Place(device: device, mount: try system.handleMountID(fd))
        } catch {
            answers.append("name_to_handle_at: \(error)")
        }
        let fdinfo = "/proc/self/fdinfo/\(fd)"
        do {
            let bytes = try system.readMetadata(AT_FDCWD, fdinfo, cap: 1 << 16, followSymlink: true)
            if let id = Self.fdinfoMountID(bytes) { return Place(device: device, mount: id) }
            answers.append("\(fdinfo): no mnt_id line")
        } catch {
            answers.append("\(fdinfo): \(error)")
        }
        return Place(device: device, mount: nil, unknown: answers.joined(separator: "; "))
    }

    /// The number on the `mnt_id:` line of a `/proc/<pid>/fdinfo/<fd>` file, nil without one.
    static func fdinfoMountID(_ bytes: [UInt8]) -> UInt64? {
        for line in bytes.split(separator: UInt8(ascii: "\n")) where line.starts(with: Array("mnt_id:".utf8)) {
            let digits = line.dropFirst(7).drop { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
            return UInt64(String(decoding: digits, as: UTF8.self))
        }
        return nil
    }

    private func removeDirectory(
        _ parentFd: Int32, _ name: String, at path: String, place: Place, leftovers: inout [Leftover],
        fault: inout FaultPoint?, _ context: String
    ) throws(StoreError) {
        let dir: Descriptor
        do {
            dir = try system.openDescriptor(parentFd, name, [.directory, .noFollow])
        } catch .noSuchFileOrDirectory {
            return
        } catch .notDirectory, .tooManySymbolicLinks {
            // Replaced by a non-directory since we looked: unlink it, never follow it.
            try unlink(parentFd, name, flags: 0, at: path, context)
            return
        } catch {
            throw .system("openat", error, path: path, context)
        }
        let here = try placeOf(dir.raw, at: path, context)
        guard here.device == place.device else {
            leftovers.append(Leftover(path: path, reason: "another filesystem is mounted here; not crossed"))
            return
        }
        guard let mount = here.mount, let parentMount = place.mount else {
            // Fail closed: a bind mount of the same filesystem has the same st_dev, only the mount id tells.
            let unknown = place.mount == nil ? place.unknown : here.unknown
            leftovers.append(
                Leftover(path: path, reason: "cannot tell whether a mount is here (\(unknown)); not entered"))
            return
        }
        guard mount == parentMount else {
            leftovers.append(Leftover(path: path, reason: "a mount (bind mount) is here; not crossed"))
            return
        }
        let before = leftovers.count
        for (entry, _) in try renamingUndecodable(dir.raw, at: path, context) {
            let child = path + "/" + entry
            guard let status = try system.status(dir.raw, entry, at: child, context) else { continue }
            if status.kind == .directory {
                try removeDirectory(
                    dir.raw, entry, at: child, place: place, leftovers: &leftovers, fault: &fault, context)
            } else {
                try unlink(dir.raw, entry, flags: 0, at: child, context)
                if let point = fault {
                    store.faults.hit(point)
                    fault = nil
                }
            }
        }
        if leftovers.count == before {
            try unlink(parentFd, name, flags: CX_AT_REMOVEDIR, at: path, context)
        }
    }

    /// The names of the directory `dirfd`, after giving each entry whose name is not valid UTF-8 a fresh name of
    /// this writer's (one `renameat` in the same directory), so that it is removed like any other entry rather
    /// than reported removed under a name that is not its own. Each name comes with how to show it: the original,
    /// printable (`\xNN` for bytes that are not UTF-8).
    func renamingUndecodable(_ dirfd: Int32, at path: String, _ context: String) throws(StoreError)
        -> [(name: String, shown: String)]
    {
        var result: [(name: String, shown: String)] = []
        for entry in try system.entries(dirfd, at: path, context) {
            guard let bytes = entry.undecodable else {
                result.append((entry.name, entry.name))
                continue
            }
            let fresh = temporaryName()
            do {
                try system.renameat(dirfd, bytes: bytes, dirfd, fresh)
            } catch {
                throw .system("renameat", error, path: path + "/" + entry.name, context)
            }
            result.append((fresh, entry.name))
        }
        return result
    }

    private func unlink(_ fd: Int32, _ name: String, flags: Int32, at path: String, _ context: String)
        throws(StoreError)
    {
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
        guard let status = try system.status(rootFd, directory, at: store.path(directory), context) else {
            return ([], [])
        }
        guard status.kind == .directory else {
            // A symlink (or anything else) where the store keeps a directory of its own: unlinked, never followed;
            // the next writer makes the directory again.
            try dropStamp(context)
            try unlink(rootFd, directory, flags: 0, at: store.path(directory), context)
            try system.sync(rootFd, at: store.root, context)
            return ([store.path(directory)], [])
        }
        guard let fd = try system.openDirectoryIfPresent(rootFd, directory, at: store.path(directory), context) else {
            return ([], [])
        }
        // Nothing there (the common case): nothing changes, and the stamp stays.
        if try system.entries(fd.raw, at: store.path(directory), context).isEmpty { return ([], []) }
        try dropStamp(context)
        var removed: [String] = []
        var leftovers: [Leftover] = []
        for (entry, shown) in try renamingUndecodable(fd.raw, at: store.path(directory), context).sorted(by: <) {
            let left = try removeTree(fd.raw, entry, at: store.path(directory, entry))
            if left.isEmpty { removed.append(store.path(directory, shown)) } else { leftovers += left }
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
        try NameRules.validateGeneration(generation, context: context)
        try dropStamp(context)
        let nameFd = try nameDirectory(name, create: false, context)
        for link in [Layout.current, Layout.previous]
        where try system.link(nameFd, link, at: store.path(name, link), context) == generation {
            throw StoreError(.badData, context, "it is \(link)", path: store.path(name, generation))
        }
        try requireGeneration(nameFd, name, generation, context)
        forgetGeneration(name, generation)
        try system.makeDirectory(rootFd, Layout.trash, at: store.path(Layout.trash), context)
        let trashFd = try system.openDirectory(rootFd, Layout.trash, at: store.path(Layout.trash), context)
        let trashName = temporaryName()
        do {
            try system.renameat(nameFd, generation, trashFd.raw, trashName)
        } catch {
            throw .system("renameat", error, path: store.path(name, generation), context)
        }
        try system.sync(nameFd, at: store.path(name), context)
        try system.sync(trashFd.raw, at: store.path(Layout.trash), context)
        store.faults.hit(.gcTrashed)
        return try removeTree(trashFd.raw, trashName, at: store.path(Layout.trash, trashName), fault: .gcDeleting)
    }
}
