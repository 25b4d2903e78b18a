import CExportShims

/// Why reading a whole file failed: the system call and its errno.
public struct FileReadFailure: Error, Sendable, Equatable {
    /// `open`, `fstat` or `read`.
    public var call: String
    public var errno: Errno

    public init(call: String, errno: Errno) {
        self.call = call
        self.errno = errno
    }
}

extension SystemCalls {
    /// The whole content of `name` below `dirfd`: `openat` with `options`, then `read` to the end, then `close`.
    ///
    /// The one whole-file reader of the project. With `sizeLimit`, the open file must be a regular file of at
    /// most that many bytes (`fstat` in between; `EISDIR` for a directory, `EINVAL` for anything else or a
    /// larger file).
    public func readWholeFile(
        _ dirfd: Int32, _ name: String, _ options: OpenOptions, sizeLimit: Int? = nil
    ) throws(FileReadFailure) -> [UInt8] {
        let file: Descriptor
        do {
            file = try openDescriptor(dirfd, name, options)
        } catch {
            throw FileReadFailure(call: "open", errno: error)
        }
        if let sizeLimit {
            let status: FileStatus
            do {
                status = try fstatat(file.raw, "", CX_AT_EMPTY_PATH)
            } catch {
                throw FileReadFailure(call: "fstat", errno: error)
            }
            guard status.kind == .regular else {
                throw FileReadFailure(call: "fstat", errno: status.kind == .directory ? .isDirectory : .invalidArgument)
            }
            guard status.size <= Int64(sizeLimit) else { throw FileReadFailure(call: "fstat", errno: .invalidArgument) }
        }
        do {
            return try read(file.raw)
        } catch {
            throw FileReadFailure(call: "read", errno: error)
        }
    }
}
