/// An error of the store: what failed, on which path, through which system call, and why.
///
/// Every message reads the same way, so a user can act on it alone:
/// `cannot publish snapd/21759: entry name '../x' in set 'tools' must not be '..'`.
public struct StoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The class of failure; the command layer maps it to a `sysexits.h` exit code.
    public enum Kind: Sendable, Equatable {
        /// The input is malformed (a name, a manifest, a target). Exit 65.
        case badData
        /// Something named does not exist (a generation, a manifest file, a `previous` link). Exit 66.
        case missingInput
        /// Something cannot be created (it exists with other content, read-only, no permission). Exit 73.
        case cannotCreate
        /// An input/output error (disk full, EIO). Exit 74.
        case ioError
        /// Another writer holds the lock and the caller asked not to wait. Exit 75.
        case busy
        /// Anything else. Exit 1.
        case other
    }

    public var kind: Kind
    /// What was being done, e.g. `cannot switch snapd to 21759`.
    public var context: String
    /// Why, in words, e.g. `generation does not exist`.
    public var reason: String
    /// The path concerned, absolute where known.
    public var path: String?
    /// The system call that failed, if one did.
    public var syscall: String?
    /// The errno it failed with.
    public var errno: Errno?

    public init(
        _ kind: Kind, _ context: String, _ reason: String, path: String? = nil, syscall: String? = nil,
        errno: Errno? = nil
    ) {
        self.kind = kind
        self.context = context
        self.reason = reason
        self.path = path
        self.syscall = syscall
        self.errno = errno
    }

    /// The one factory for failed system calls: the kind follows from the errno.
    public static func system(_ syscall: String, _ errno: Errno, path: String, _ context: String) -> StoreError {
        let kind: Kind
        switch errno {
        case .noSuchFileOrDirectory, .notDirectory: kind = .missingInput
        case .fileExists, .readOnlyFileSystem, .permissionDenied, .notPermitted: kind = .cannotCreate
        case .wouldBlock: kind = .busy
        default: kind = .ioError
        }
        return StoreError(kind, context, "\(syscall): \(errno)", path: path, syscall: syscall, errno: errno)
    }

    public var description: String {
        if let path { return "\(context): \(path): \(reason)" }
        return "\(context): \(reason)"
    }
}
