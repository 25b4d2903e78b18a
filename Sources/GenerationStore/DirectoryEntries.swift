import CExportShims

/// One name in a directory, with the kind the kernel reported for it without a `stat`.
public struct DirectoryEntry: Sendable, Equatable {
    public var name: String
    /// From `d_type`; nil where the filesystem does not say (`DT_UNKNOWN`): then only `fstatat` can tell.
    public var kind: FileKind?
}

extension SystemCalls {
    /// Every entry of the directory `fd` but `.` and `..`, in the kernel's order: `lseek` to its start, then
    /// `getdents64` into one 32 KiB buffer until it returns 0. No `stat` per entry: the kind is `d_type`.
    public func directoryEntries(_ fd: Int32) throws(Errno) -> [DirectoryEntry] {
        var result: [DirectoryEntry] = []
        try walkDirectory(fd) { name, kind in
            result.append(DirectoryEntry(name: String(decoding: name, as: UTF8.self), kind: kind))
        }
        return result
    }

    /// The number of entries of the directory `fd` but `.` and `..`, holding none of their names.
    public func directoryEntryCount(_ fd: Int32) throws(Errno) -> Int {
        var count = 0
        try walkDirectory(fd) { _, _ in count += 1 }
        return count
    }

    /// Calls `body` with each entry's name bytes (valid only during the call) and its `d_type` kind.
    func walkDirectory(_ fd: Int32, _ body: (UnsafeRawBufferPointer, FileKind?) -> Void) throws(Errno) {
        try seek(fd, 0)
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
                body(name, kind)
            }
        }
    }
}
