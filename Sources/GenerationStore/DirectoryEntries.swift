import CExportShims

/// One name in a directory, with the kind the kernel reported for it without a `stat`.
public struct DirectoryEntry: Sendable, Equatable {
    /// The name; for a name that is not valid UTF-8, its printable form (`NameRules.printable(bytes:)`), which
    /// names nothing on disk: use `undecodable`.
    public var name: String
    /// From `d_type`; nil where the filesystem does not say (`DT_UNKNOWN`): then only `fstatat` can tell.
    public var kind: FileKind?
    /// The bytes of a name that is not valid UTF-8 (nil for every other name). The store never makes one; the
    /// writers rename such an entry to a name of their own (`renameat(_:bytes:_:_:)`) before removing it.
    public var undecodable: [UInt8]? = nil
    /// `d_ino`: the entry's inode number as the listing gives it (what `lstat` says on the filesystems the store
    /// supports; 0 where unknown). The header cache matches generations by it (`HeaderCache`).
    public var inode: UInt64 = 0
}

/// Why `openAndList` failed: its `openat`, or the listing of what it opened.
enum OpenListingFailure: Error {
    case open(Errno)
    case list(Errno)
}

extension SystemCalls {
    /// Every entry of the directory `fd` but `.` and `..`, in the kernel's order: `lseek` to its start, then
    /// `getdents64` into one 32 KiB buffer until it returns 0. No `stat` per entry: the kind is `d_type`.
    public func directoryEntries(_ fd: Int32) throws(Errno) -> [DirectoryEntry] {
        try listEntries(fd, rewind: true)
    }

    /// The number of entries of the directory `fd` but `.` and `..`, holding none of their names.
    public func directoryEntryCount(_ fd: Int32) throws(Errno) -> Int {
        var count = 0
        try walkDirectory(fd) { _, _, _ in count += 1 }
        return count
    }

    /// Opens the directory `name` below `dirfd` (`openat` with `options` and `O_DIRECTORY`) and lists it: the
    /// descriptor (the caller's to close) comes back only with its listing, so that walk is the first of a
    /// descriptor opened just before it, at offset 0, and makes no `lseek`. On a failure of the listing the
    /// descriptor is closed.
    func openAndList(_ dirfd: Int32, _ name: String, _ options: OpenOptions) throws(OpenListingFailure) -> (
        fd: Int32, entries: [DirectoryEntry]
    ) {
        let fd: Int32
        do throws(Errno) {
            fd = try open(dirfd, name, options.union(.directory))
        } catch {
            throw .open(error)
        }
        do throws(Errno) {
            return (fd, try listEntries(fd, rewind: false))
        } catch {
            close(fd)
            throw .list(error)
        }
    }

    /// The entries of `fd`; `rewind` false only for `openAndList`'s descriptor.
    private func listEntries(_ fd: Int32, rewind: Bool) throws(Errno) -> [DirectoryEntry] {
        var result: [DirectoryEntry] = []
        try walkDirectory(fd, rewind: rewind) { name, kind, inode in
            if let valid = String(validating: name, as: UTF8.self) {
                result.append(DirectoryEntry(name: valid, kind: kind, inode: inode))
            } else {
                let bytes = Array(name)
                result.append(
                    DirectoryEntry(
                        name: NameRules.printable(bytes: bytes), kind: kind, undecodable: bytes, inode: inode))
            }
        }
        return result
    }

    /// Calls `body` with each entry's name bytes (valid only during the call), its `d_type` kind and its `d_ino`.
    /// The walk starts with `lseek` to 0: a descriptor walked before may have seen entries created since, and
    /// where a filesystem lets a read at the end return them (overlayfs, XFS leaf directories, NFS), a walk that
    /// trusted its position would list a part. Only `openAndList` walks without it (`rewind` false), its
    /// descriptor being opened just before.
    func walkDirectory(_ fd: Int32, _ body: (UnsafeRawBufferPointer, FileKind?, UInt64) -> Void) throws(Errno) {
        try walkDirectory(fd, rewind: true, body)
    }

    private func walkDirectory(
        _ fd: Int32, rewind: Bool, _ body: (UnsafeRawBufferPointer, FileKind?, UInt64) -> Void
    ) throws(Errno) {
        if rewind { try seek(fd, 0) }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 32768, alignment: 8)
        defer { buffer.deallocate() }
        while true {
            let filled = try getdents(fd, buffer)
            if filled == 0 { return }
            var offset = 0
            while offset + 19 < filled {
                // struct linux_dirent64: d_ino (8), d_off (8), d_reclen (2), d_type (1), d_name (NUL-terminated).
                let length = Int(buffer.loadUnaligned(fromByteOffset: offset + 16, as: UInt16.self))
                guard length > 19, offset + length <= filled else { throw .invalidArgument }
                let type = buffer[offset + 18]
                let inode = buffer.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
                var end = offset + 19
                while end < offset + length && buffer[end] != 0 { end += 1 }
                let name = UnsafeRawBufferPointer(rebasing: buffer[(offset + 19)..<end])
                offset += length
                if name.count == 1 && name[0] == UInt8(ascii: ".") { continue }
                if name.count == 2 && name[0] == UInt8(ascii: ".") && name[1] == UInt8(ascii: ".") { continue }
                let kind: FileKind? =
                    switch type {
                    case CX_DT_DIR: .directory
                    case CX_DT_LNK: .symlink
                    case CX_DT_REG: .regular
                    case CX_DT_UNKNOWN: nil
                    default: .other
                    }
                body(name, kind, inode)
            }
        }
    }
}
