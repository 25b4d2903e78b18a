import CExportShims

/// Why reading a metadata file failed: the system call that refused it and the problem it found.
public struct FileReadFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong at `call`.
    public enum Problem: Sendable, Equatable {
        /// The call failed with this errno.
        case failed(Errno)
        /// `fstat` of the open file says it is not a regular file (a FIFO, a device, a socket, a directory).
        case notRegular(FileKind)
        /// The file holds more than `cap` bytes (`fstat`'s size, or what `read` returned).
        case tooLarge(cap: Int)
    }

    /// The system call that failed or found the problem: `openat`, `fstatat` or `read`.
    public var call: String
    public var problem: Problem

    public init(call: String, problem: Problem) {
        self.call = call
        self.problem = problem
    }

    /// The errno the call failed with, nil for a file that opened but is refused (not regular, too large).
    public var errno: Errno? {
        if case .failed(let errno) = problem { return errno }
        return nil
    }

    /// `openat: No such file or directory`, `fstatat: not a regular file (a FIFO or device)`,
    /// `read: too large (cap 1048576 bytes)`.
    public var description: String {
        switch problem {
        case .failed(let errno): return "\(call): \(errno)"
        case .notRegular(.directory): return "\(call): is a directory, not a regular file"
        case .notRegular: return "\(call): not a regular file (a FIFO, device or socket)"
        case .tooLarge(let cap): return "\(call): too large (cap \(cap) bytes)"
        }
    }
}

/// The caps on what a metadata read accepts; each kind of file has its own, documented in docs/format.md.
public enum MetadataCap {
    /// A generation's `.manifest.json`, and `publish --manifest` (which may be a pipe): 64 MiB.
    public static let manifest = 64 << 20
    /// A file of a snap or of the host (`snap.yaml`, `info`, `meta/exports.json`, os-release): 1 MiB.
    public static let systemFile = 1 << 20
    /// A `mountinfo` file of `/proc`: 64 MiB.
    public static let mountInfo = 64 << 20
}

extension SystemCalls {
    /// The whole content of the metadata file `name` below `dirfd`, never blocking on what is not a file.
    ///
    /// The one place the project opens a file to read what it holds. `openat` with `O_RDONLY|O_NONBLOCK|O_NOCTTY`
    /// (`LinuxSystemCalls` adds `O_CLOEXEC`), plus `O_NOFOLLOW` unless `followSymlink`: a FIFO opens at once and is
    /// then refused, a terminal never becomes the controlling one. `fstat` of the open file must say regular with
    /// at most `cap` bytes; then `read` of at most `cap + 1` bytes, so a file that grew is refused too.
    ///
    /// `stream` is for input named on the command line (`publish --manifest <(…)`, `/dev/stdin`): the file is
    /// opened without `O_NONBLOCK` and may be anything but a directory; the cap still holds, through `read`.
    public func readMetadata(
        _ dirfd: Int32, _ name: String, cap: Int, followSymlink: Bool = false, stream: Bool = false
    ) throws(FileReadFailure) -> [UInt8] {
        let file = try openMetadata(dirfd, name, cap: cap, followSymlink: followSymlink, stream: stream)
        let bytes: [UInt8]
        do {
            bytes = try read(file.raw, upTo: cap)
        } catch {
            throw FileReadFailure(call: "read", problem: .failed(error))
        }
        guard bytes.count <= cap else { throw FileReadFailure(call: "read", problem: .tooLarge(cap: cap)) }
        return bytes
    }

    /// The open, checked metadata file of `readMetadata` (`openat`, then `fstat`: regular and at most `cap`
    /// bytes), for a reader that reads it its own way (`ManifestReader` streams a manifest with `pread`).
    /// `checked: false` leaves out the `fstat` (`checkMetadata` afterwards gives its verdict): a manifest's header
    /// read is then one `openat` and one `pread`, and anything but a regular file fails that `pread` or the parse.
    func openMetadata(
        _ dirfd: Int32, _ name: String, cap: Int, followSymlink: Bool = false, stream: Bool = false,
        checked: Bool = true
    ) throws(FileReadFailure) -> Descriptor {
        var options: OpenOptions = [.readOnly, .noControllingTerminal]
        if !followSymlink { options.insert(.noFollow) }
        if !stream { options.insert(.nonBlocking) }
        let file: Descriptor
        do {
            file = try openDescriptor(dirfd, name, options)
        } catch {
            throw FileReadFailure(call: "openat", problem: .failed(error))
        }
        if checked { try checkMetadata(file.raw, cap: cap, stream: stream) }
        return file
    }

    /// `fstat` of an open metadata file: it must be regular (or, for `stream`, anything but a directory) and at
    /// most `cap` bytes.
    func checkMetadata(_ fd: Int32, cap: Int, stream: Bool = false) throws(FileReadFailure) {
        let status: FileStatus
        do {
            status = try fstatat(fd, "", CX_AT_EMPTY_PATH)
        } catch {
            throw FileReadFailure(call: "fstatat", problem: .failed(error))
        }
        if status.kind == .directory || (!stream && status.kind != .regular) {
            throw FileReadFailure(call: "fstatat", problem: .notRegular(status.kind))
        }
        if status.kind == .regular && status.size > Int64(cap) {
            throw FileReadFailure(call: "fstatat", problem: .tooLarge(cap: cap))
        }
    }
}

extension StoreError {
    /// The store's error for a failed metadata read: a failing call as `system`, a refused file as bad data.
    public static func read(_ failure: FileReadFailure, path: String, _ context: String) -> StoreError {
        if case .failed(let errno) = failure.problem { return .system(failure.call, errno, path: path, context) }
        return StoreError(.badData, context, failure.description, path: path, syscall: failure.call)
    }
}
