import Glibc

/// The kernel's table of file locks (`/proc/locks`, see proc(5)), read to see who holds or waits for a lock.
public enum FileLocks {
    /// The process ids queued (blocked, the `->` lines) for a `flock(2)` lock on the file at `path`.
    public static func flockWaiters(on path: String) -> [Int32] {
        var st = stat()
        guard stat(path, &st) == 0 else { return [] }
        // /proc/locks names a file as MAJOR:MINOR:INODE, major and minor in (at least two) hex digits.
        let dev = UInt64(st.st_dev)
        let major = ((dev >> 8) & 0xfff) | ((dev >> 32) & ~UInt64(0xfff))
        let minor = (dev & 0xff) | ((dev >> 12) & ~UInt64(0xff))
        func hex(_ value: UInt64) -> String {
            let digits = String(value, radix: 16)
            return digits.count < 2 ? "0" + digits : digits
        }
        let file = "\(hex(major)):\(hex(minor)):\(st.st_ino)"
        // "1: -> FLOCK  ADVISORY  WRITE 14199 fe:00:16222017 0 EOF"
        return table().compactMap { line in
            let fields = line.split(whereSeparator: { $0 == " " })
            guard fields.count >= 7, fields[1] == "->", fields[2] == "FLOCK", fields[6] == file else { return nil }
            return Int32(fields[5])
        }
    }

    private static func table() -> [Substring] {
        guard let stream = fopen("/proc/locks", "r") else { return [] }
        defer { fclose(stream) }
        var text: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = fread(&buffer, 1, buffer.count, stream)
            if count <= 0 { break }
            text += buffer[0..<count]
        }
        return String(decoding: text, as: UTF8.self).split(separator: "\n")
    }
}
