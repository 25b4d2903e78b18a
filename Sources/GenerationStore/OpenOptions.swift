import CExportShims
import Glibc

/// The `open(2)` flags the project uses, as a typed set whose values come from Glibc and the C target.
///
/// The empty set opens read-only (`O_RDONLY` is 0); `LinuxSystemCalls.openat` always adds `O_CLOEXEC`.
public struct OpenOptions: OptionSet, Sendable, Hashable {
    public let rawValue: Int32

    public init(rawValue: Int32) { self.rawValue = rawValue }

    /// `O_RDONLY`: the empty set.
    public static var readOnly: OpenOptions { [] }
    /// `O_WRONLY`.
    public static var writeOnly: OpenOptions { OpenOptions(rawValue: O_WRONLY) }
    /// `O_RDWR`.
    public static var readWrite: OpenOptions { OpenOptions(rawValue: O_RDWR) }
    /// `O_APPEND`: every write goes to the end of the file.
    public static var append: OpenOptions { OpenOptions(rawValue: O_APPEND) }
    /// `O_CREAT`: create the file (with the mode given) if it does not exist.
    public static var create: OpenOptions { OpenOptions(rawValue: O_CREAT) }
    /// `O_EXCL`: with `create`, fail with `EEXIST` if anything is there.
    public static var exclusive: OpenOptions { OpenOptions(rawValue: O_EXCL) }
    /// `O_TRUNC`: empty an existing file.
    public static var truncate: OpenOptions { OpenOptions(rawValue: O_TRUNC) }
    /// `O_DIRECTORY`: fail with `ENOTDIR` unless it is a directory.
    public static var directory: OpenOptions { OpenOptions(rawValue: CX_O_DIRECTORY) }
    /// `O_NOFOLLOW`: fail with `ELOOP` if the last component is a symlink.
    public static var noFollow: OpenOptions { OpenOptions(rawValue: CX_O_NOFOLLOW) }
    /// `O_NONBLOCK`: opening a FIFO does not wait for a writer (and reading it fails with `EAGAIN`).
    public static var nonBlocking: OpenOptions { OpenOptions(rawValue: CX_O_NONBLOCK) }
    /// `O_NOCTTY`: a terminal never becomes the controlling terminal.
    public static var noControllingTerminal: OpenOptions { OpenOptions(rawValue: CX_O_NOCTTY) }
}

extension SystemCalls {
    /// `openat` with typed options; the descriptor is the caller's to close.
    public func open(_ dirfd: Int32, _ path: String, _ options: OpenOptions, mode: UInt32 = 0) throws(Errno) -> Int32 {
        try openat(dirfd, path, options.rawValue, mode)
    }

    /// `openat` with typed options, closed when the `Descriptor` goes out of scope.
    func openDescriptor(
        _ dirfd: Int32, _ path: String, _ options: OpenOptions, mode: UInt32 = 0
    ) throws(Errno) -> Descriptor {
        Descriptor(try openat(dirfd, path, options.rawValue, mode), self)
    }
}
