import CExportShims

/// The two mount system calls of the consumer side, behind a seam so tests can fail either one.
public protocol MountCalls: Sendable {
    /// mount(2).
    func mount(_ source: String?, _ target: String, _ type: String?, _ flags: UInt, _ data: String?) throws(Errno)
    /// umount2(2).
    func unmount(_ target: String, _ flags: Int32) throws(Errno)
}

/// The real mount calls.
public struct LinuxMountCalls: MountCalls {
    public init() {}

    public func mount(_ source: String?, _ target: String, _ type: String?, _ flags: UInt, _ data: String?)
        throws(Errno)
    {
        _ = try valueOrErrno { cx_mount(source, target, type, flags, data) }
    }

    public func unmount(_ target: String, _ flags: Int32) throws(Errno) {
        _ = try valueOrErrno { cx_umount2(target, flags) }
    }
}
