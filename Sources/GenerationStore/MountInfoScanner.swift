import Glibc

/// Finds, in the raw bytes of a `mountinfo` file, the lines that can hold a generation of one export root, and
/// parses only those.
///
/// A mount holds a generation only if its device (field 3) is the export root's and its root (field 4) lies
/// below the export root's path in that filesystem (`ExportLocation.generation(heldBy:mountRoot:)`). The
/// scanner compares those two fields as bytes, in place, and hands only the lines that pass to
/// `MountInfo(line:)`; every other line costs a few byte comparisons and a `memchr` for its end.
///
/// The byte test never rejects a line that the line parser would match: it is exact where a field is ASCII
/// without escapes (then the decoded, unescaped `String` has the same bytes, and two ASCII strings are equal,
/// or one a prefix of the other, exactly when their bytes are), and where the part compared holds a `\` (an
/// octal escape) or a byte ≥ 0x80 (where `String` compares by canonical equivalence) the line is parsed. When
/// the export root's device or path is not ASCII itself, every line is parsed (what the line parser does).
public struct MountInfoScanner: Sendable {
    private let device: [UInt8]
    private let rootPrefix: [UInt8]
    private let parsesEveryLine: Bool

    public init(_ location: ExportLocation) {
        device = Array(location.device.utf8)
        rootPrefix = Array((location.pathInFileSystem == "/" ? "/" : location.pathInFileSystem + "/").utf8)
        parsesEveryLine = !(device + rootPrefix).allSatisfy { $0 < 0x80 }
    }

    /// Calls `body` with every line of `bytes` that may hold a generation, parsed (lines that do not have the
    /// shape proc(5) documents are skipped, as `MountInfo.parse` skips them). Only complete lines (ended by a
    /// newline) are scanned unless `final`, when a last line without one is scanned too. Returns how many bytes
    /// were consumed: the caller keeps the rest (a partial line) for the next call.
    public func scan(_ bytes: UnsafeRawBufferPointer, final: Bool, _ body: (MountInfo) -> Void) -> Int {
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return 0 }
        let count = bytes.count
        var start = 0
        while start < count {
            let end: Int
            if let newline = memchr(base + start, 0x0A, count - start) {
                end = base.distance(to: newline.assumingMemoryBound(to: UInt8.self))
            } else if final {
                end = count
            } else {
                break
            }
            if end > start, parsesEveryLine || isCandidate(base + start, end - start) {
                let line = String(decoding: UnsafeBufferPointer(start: base + start, count: end - start), as: UTF8.self)
                if let mount = MountInfo(line: Substring(line)) { body(mount) }
            }
            start = end + 1
        }
        return min(start, count)
    }

    /// The mounts of a whole file's bytes that may hold a generation (a test's and a small reader's form).
    public func candidates(in bytes: [UInt8]) -> [MountInfo] {
        var found: [MountInfo] = []
        bytes.withUnsafeBytes { _ = scan($0, final: true) { found.append($0) } }
        return found
    }

    /// Whether the line `line[0..<count]` may hold a generation: fields 3 and 4 (split at spaces, runs of them
    /// counting as one) pass the byte test described above.
    private func isCandidate(_ line: UnsafePointer<UInt8>, _ count: Int) -> Bool {
        var index = 0
        /// The next field's bounds, or nil at the end of the line.
        func nextField() -> (start: Int, end: Int)? {
            while index < count && line[index] == 0x20 { index += 1 }
            guard index < count else { return nil }
            let start = index
            while index < count && line[index] != 0x20 { index += 1 }
            return (start, index)
        }
        guard nextField() != nil, nextField() != nil, let deviceField = nextField(), let rootField = nextField()
        else { return false }  // fewer than 4 fields: the line parser refuses it too
        if !matches(line, deviceField, device, prefixOnly: false) { return false }
        return matches(line, rootField, rootPrefix, prefixOnly: true)
    }

    /// True unless the field's bytes prove that it cannot equal `expected` (or start with it): a `\` or a byte
    /// ≥ 0x80 in the part compared leaves it to the parser.
    private func matches(
        _ line: UnsafePointer<UInt8>, _ field: (start: Int, end: Int), _ expected: [UInt8], prefixOnly: Bool
    ) -> Bool {
        let length = field.end - field.start
        let compared = min(length, expected.count)
        for offset in 0..<compared {
            let byte = line[field.start + offset]
            if byte >= 0x80 || byte == UInt8(ascii: "\\") { return true }
            if byte != expected[offset] { return false }
        }
        // The compared part is plain ASCII and equal: the field decodes to itself.
        return prefixOnly ? length >= expected.count : length == expected.count
    }
}
