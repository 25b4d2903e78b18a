import Glibc

/// Wall-clock and monotonic time, and the random suffixes of temporary names.
public enum Clock {
    /// Nanoseconds since the Unix epoch (`CLOCK_REALTIME`).
    public static func wallNanoseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
    }

    /// Nanoseconds of `CLOCK_MONOTONIC`, for measuring durations.
    public static func monotonicNanoseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }

    /// Sixteen random hex digits, for `.staging/<random>`, `.next-<random>` and `.trash/<random>`.
    public static func randomSuffix() -> String {
        let value = UInt64.random(in: .min ... .max)
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
