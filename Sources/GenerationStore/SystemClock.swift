import Glibc

/// Wall-clock and monotonic time (`clock_gettime`); named so as not to shadow the standard library's `Clock`.
public enum SystemClock {
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
}
