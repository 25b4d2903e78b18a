/// Measured durations in nanoseconds, with the percentiles the report uses.
struct Samples {
    private(set) var sorted: [UInt64]

    init(_ values: [UInt64]) { sorted = values.sorted() }

    var count: Int { sorted.count }

    /// The value below which `fraction` of the samples lie (nearest rank); 0 without samples.
    func percentile(_ fraction: Double) -> UInt64 {
        guard !sorted.isEmpty else { return 0 }
        let rank = Int((fraction * Double(sorted.count)).rounded(.up)) - 1
        return sorted[min(max(rank, 0), sorted.count - 1)]
    }

    var median: UInt64 { percentile(0.5) }
    var p99: UInt64 { percentile(0.99) }
    var maximum: UInt64 { sorted.last ?? 0 }
    var minimum: UInt64 { sorted.first ?? 0 }
}

/// `a / b` for figures, 0 when `b` is 0.
func ratio(_ a: UInt64, _ b: UInt64) -> Double { b == 0 ? 0 : Double(a) / Double(b) }

/// A duration for humans: ns, µs or ms with three significant digits.
func human(_ nanoseconds: UInt64) -> String {
    let value = Double(nanoseconds)
    if value < 1_000 { return "\(nanoseconds) ns" }
    if value < 1_000_000 { return fixed(value / 1_000) + " µs" }
    return fixed(value / 1_000_000) + " ms"
}

/// Three significant digits, without Foundation's formatters.
func fixed(_ value: Double) -> String {
    let decimals = value >= 100 ? 0 : value >= 10 ? 1 : 2
    return fixed(value, decimals)
}

/// `value` with `decimals` digits after the point.
func fixed(_ value: Double, _ decimals: Int) -> String {
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    let scaled = (abs(value) * scale).rounded()
    let whole = Int(scaled / scale)
    let fraction = Int(scaled - Double(whole) * scale)
    let sign = value < 0 && scaled != 0 ? "-" : ""
    if decimals == 0 { return sign + String(whole) }
    let digits = String(fraction)
    return sign + String(whole) + "." + String(repeating: "0", count: decimals - digits.count) + digits
}
