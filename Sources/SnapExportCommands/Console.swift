import GenerationStore
import Glibc
import Synchronization

/// Where a command writes: standard output for results, standard error for diagnostics.
public protocol Console: Sendable {
    func out(_ text: String)
    func err(_ text: String)
}

/// The process's own standard output and error, written unbuffered with `write(2)`.
public struct StandardConsole: Console {
    public init() {}
    public func out(_ text: String) { Self.write(1, text) }
    public func err(_ text: String) { Self.write(2, text) }

    /// Everything or, on an error such as a closed pipe, as much as the kernel took: output never fails a command.
    private static func write(_ fd: Int32, _ text: String) {
        try? LinuxSystemCalls().write(fd, Array(text.utf8))
    }
}

/// A console that keeps what was written, for in-process tests.
public final class CapturedConsole: Console {
    private let buffers = Mutex((out: "", err: ""))
    public init() {}
    public func out(_ text: String) { buffers.withLock { $0.out += text } }
    public func err(_ text: String) { buffers.withLock { $0.err += text } }
    /// Everything written to standard output.
    public var output: String { buffers.withLock { $0.out } }
    /// Everything written to standard error.
    public var errors: String { buffers.withLock { $0.err } }
}
