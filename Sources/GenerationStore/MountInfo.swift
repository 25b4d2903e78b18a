import Glibc

/// One line of `/proc/<pid>/mountinfo` (proc(5)): the fields the store needs to find who holds what.
public struct MountInfo: Sendable, Equatable {
    /// The mount's unique id in its namespace.
    public var id: Int
    /// The parent mount's id.
    public var parentID: Int
    /// The device of the mounted filesystem, `major:minor` as the kernel prints it.
    public var device: String
    /// The path, relative to the filesystem's root, of the directory mounted here (a bind mount's source).
    public var root: String
    /// Where it is mounted, relative to the process's root.
    public var mountPoint: String
    /// Optional fields such as `shared:12` or `master:3` (propagation).
    public var optionalFields: [String]
    /// The filesystem type (`ext4`, `tmpfs`, …).
    public var fileSystemType: String

    /// True when the mount propagates mount events to peers (`shared:N`).
    public var isShared: Bool { optionalFields.contains { $0.hasPrefix("shared:") } }

    /// Parses one line; nil when it does not have the shape proc(5) documents. Fields are split at space bytes
    /// (a run of them counts as one), as proc(5) defines them, not at `Character`s (a space followed by a
    /// combining mark is one `Character`).
    public init?(line: Substring) {
        let fields = line.utf8.split(separator: 0x20, omittingEmptySubsequences: true).map { Substring($0) }
        guard fields.count >= 10, let id = Int(fields[0]), let parentID = Int(fields[1]),
            let separator = fields[6...].firstIndex(of: "-"), separator + 2 < fields.count
        else { return nil }
        self.id = id
        self.parentID = parentID
        self.device = String(fields[2])
        self.root = Self.unescape(fields[3])
        self.mountPoint = Self.unescape(fields[4])
        self.optionalFields = fields[6..<separator].map(String.init)
        self.fileSystemType = String(fields[separator + 1])
    }

    /// The mount of the calling process (`procRoot`/self/mountinfo) that contains `path` (the deepest one),
    /// with `path` resolved by `realpath`; the mount is nil when no line contains it.
    static func containing(
        _ path: String, system: any SystemCalls, procRoot: String, _ context: String
    ) throws(StoreError) -> (mount: MountInfo?, realPath: String, file: String) {
        let real: String
        do {
            real = try system.realpath(path)
        } catch {
            throw .system("realpath", error, path: path, context)
        }
        let file = procRoot + "/self/mountinfo"
        var best: MountInfo?
        for mount in parse(
            try system.readFile(AT_FDCWD, file, at: file, context, cap: MetadataCap.mountInfo, followSymlink: true))
        where ExportLocation.contains(mount.mountPoint, real) {
            if let current = best, current.mountPoint.count > mount.mountPoint.count { continue }
            best = mount
        }
        return (best, real, file)
    }

    /// Every parseable line of a mountinfo file. Lines end at newline bytes (a `\r` before one ends no line
    /// early and joins no two lines). The namespace scan parses only candidate lines (`MountInfoScanner`).
    public static func parse(_ bytes: [UInt8]) -> [MountInfo] {
        bytes.split(separator: 0x0A).compactMap { MountInfo(line: Substring(String(decoding: $0, as: UTF8.self))) }
    }

    /// Undoes the kernel's octal escapes (`\040` for a space, `\011`, `\012`, `\134`).
    static func unescape(_ field: Substring) -> String {
        guard field.contains("\\") else { return String(field) }
        var bytes: [UInt8] = []
        let utf8 = Array(field.utf8)
        var index = 0
        while index < utf8.count {
            if utf8[index] == UInt8(ascii: "\\"), index + 3 < utf8.count,
                let value = UInt8(String(decoding: utf8[(index + 1)...(index + 3)], as: UTF8.self), radix: 8)
            {
                bytes.append(value)
                index += 4
            } else {
                bytes.append(utf8[index])
                index += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
