import Foundation
import Glibc
import Synchronization

/// Facts about the machine a test runs on, for skipping with a visible reason.
public enum TestEnvironment {
    /// True in debug builds, where the executable honours SNAP_EXPORT_FAULT (its fault points are armed).
    public static let faultPointsArmed: Bool = {
        #if DEBUG
            return true
        #else
            return false
        #endif
    }()

    /// True when the tests run as root (mounts, namespaces, loop devices).
    public static var isRoot: Bool { geteuid() == 0 }

    /// True when `command` is found on PATH (or in /usr/sbin, /sbin).
    public static func has(_ command: String) -> Bool { which(command) != nil }

    /// The absolute path of `command`, if found.
    public static func which(_ command: String) -> String? {
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "") + ":/usr/sbin:/sbin:/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(command)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }

    /// The directory holding the built products (`.build/debug` or `.build/release`).
    public static var productsDirectory: String {
        var url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        // The test runner may be inside a bundle (…/snap-exportPackageTests.xctest) or be the bundle itself.
        while url.path != "/" {
            let candidate = url.deletingLastPathComponent()
            if FileManager.default.fileExists(atPath: candidate.appendingPathComponent("snap-export").path) {
                return candidate.path
            }
            url = candidate
        }
        return FileManager.default.currentDirectoryPath + "/.build/debug"
    }

    /// The built `snap-export` executable.
    public static var snapExport: String { productsDirectory + "/snap-export" }
}

/// A fresh directory under the system's temporary directory, removed (with `rm -rf --one-file-system`)
/// when `remove` is called.
public struct TemporaryDirectory: Sendable {
    public let path: String

    /// A fresh directory in `directory` (the system's temporary directory unless given).
    public init(_ prefix: String = "snap-export-test", in directory: String? = nil) throws {
        // NSTemporaryDirectory() ends with '/': strip it, so paths below are normalized (no '//').
        var base = directory ?? NSTemporaryDirectory()
        while base.count > 1 && base.hasSuffix("/") { base.removeLast() }
        var template = Array((base + "/\(prefix).XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        path = String(cString: made)
    }

    /// `path/child`.
    public func appending(_ child: String) -> String { path + "/" + child }

    /// Removes the directory tree without crossing into other filesystems.
    public func remove() {
        _ = try? run(["/bin/rm", "-rf", "--one-file-system", path])
    }
}

/// What a finished child process left.
public struct ProcessResult: Sendable {
    public var status: Int32
    /// True when the process was killed by a signal (`status` is then the signal number).
    public var signaled: Bool
    public var stdout: String
    public var stderr: String
}

/// Runs `arguments[0]` with the rest as arguments, waits, and returns its status and output.
/// `environment` entries are added to (or, with nil values, removed from) the current environment.
/// `started`, if given, is called with the child's process id once it runs (before it is waited for).
@discardableResult
public func run(
    _ arguments: [String], environment: [String: String?] = [:], input: String? = nil,
    started: ((Int32) -> Void)? = nil
) throws -> ProcessResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: arguments[0])
    process.arguments = Array(arguments.dropFirst())
    var env = ProcessInfo.processInfo.environment
    for (key, value) in environment { env[key] = value }
    process.environment = env
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    let inPipe = Pipe()
    process.standardInput = inPipe
    try process.run()
    started?(process.processIdentifier)
    if let input { inPipe.fileHandleForWriting.write(Data(input.utf8)) }
    try? inPipe.fileHandleForWriting.close()
    // Read both pipes concurrently so a chatty child never blocks on a full pipe.
    let errText = Mutex("")
    let reader = JoinableThread {
        let data = err.fileHandleForReading.readDataToEndOfFile()
        errText.withLock { $0 = String(decoding: data, as: UTF8.self) }
    }
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    reader.join()
    return ProcessResult(
        status: process.terminationStatus, signaled: process.terminationReason == .uncaughtSignal,
        stdout: String(decoding: outData, as: UTF8.self), stderr: errText.withLock { $0 })
}

/// Runs the built `snap-export` with `arguments`; `started` as for `run`.
@discardableResult
public func snapExport(
    _ arguments: [String], environment: [String: String?] = [:], started: ((Int32) -> Void)? = nil
) throws -> ProcessResult {
    try run([TestEnvironment.snapExport] + arguments, environment: environment, started: started)
}
