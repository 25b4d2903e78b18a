import Glibc

/// The switch latency chart: per filesystem and method, p1–p99 whiskers, a p25–p75 box, the median, the max.
enum Chart {
    static let colors: [String: String] = [
        "raw": "#9e9e9e", "raw+marker": "#90caf9", "store": "#1565c0",
        "raw fsync": "#616161", "raw+marker fsync": "#64b5f6", "store fsync": "#0d47a1",
    ]

    static func svg(_ report: Report) -> String {
        let rowHeight = 22.0
        let groupGap = 18.0
        let left = 260.0
        let plotWidth = 620.0
        let top = 56.0
        var rows: [(label: String, method: String, samples: Samples)] = []
        var groups: [(String, Int)] = []
        for (filesystem, samples) in report.switching {
            let methods = SwitchBenchmark.methods.filter { samples[$0] != nil }
            groups.append((filesystem, methods.count))
            for method in methods { if let s = samples[method] { rows.append((filesystem, method, s)) } }
        }
        let lows: [UInt64] = rows.map { $0.samples.percentile(0.01) }.filter { $0 > 0 }
        let highs: [UInt64] = rows.map { $0.samples.maximum }
        let low: UInt64 = lows.min() ?? 1_000
        let high: UInt64 = highs.max() ?? 1_000_000
        let lowExponent = floor(log10(Double(low)))
        let highExponent = min(ceil(log10(Double(Swift.max(high, low * 10)))), lowExponent + 6)
        func x(_ value: UInt64) -> Double {
            let exponent = log10(Double(max(value, 1)))
            let clamped = min(max(exponent, lowExponent), highExponent)
            return left + (clamped - lowExponent) / (highExponent - lowExponent) * plotWidth
        }
        let height = top + Double(rows.count) * rowHeight + Double(groups.count) * groupGap + 50
        let width = left + plotWidth + 30
        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" \
            viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif" font-size="12">
            <rect width="100%" height="100%" fill="white"/>
            <text x="\(left)" y="20" font-size="15" font-weight="bold">Switch latency per flip (log scale)</text>
            <text x="\(left)" y="38" fill="#555">whiskers p1–p99, box p25–p75, bar = median, dot = max; \
            \(report.machine.cores) cores, Linux \(escape(report.machine.kernel)), \(report.build) build, \
            \(report.scale.rawValue) run</text>

            """
        // Grid lines at each power of ten.
        var exponent = lowExponent
        let gridBottom = height - 40
        while exponent <= highExponent {
            let value = UInt64(pow(10, exponent))
            let position = x(value)
            svg +=
                "<line x1=\"\(fixed(position, 1))\" y1=\"\(top - 6)\" x2=\"\(fixed(position, 1))\" "
                + "y2=\"\(gridBottom)\" stroke=\"#e0e0e0\"/>\n"
            svg +=
                "<text x=\"\(fixed(position, 1))\" y=\"\(gridBottom + 16)\" text-anchor=\"middle\" fill=\"#555\">"
                + "\(escape(human(value)))</text>\n"
            exponent += 1
        }
        var y = top
        var index = 0
        for (filesystem, count) in groups {
            svg += "<text x=\"8\" y=\"\(fixed(y + 4, 1))\" font-weight=\"bold\">\(escape(filesystem))</text>\n"
            y += 10
            for _ in 0..<count {
                let row = rows[index]
                index += 1
                let middle = y + rowHeight / 2
                let color = colors[row.method] ?? "#333"
                let s = row.samples
                svg +=
                    "<text x=\"\(left - 8)\" y=\"\(fixed(middle + 4, 1))\" text-anchor=\"end\">"
                    + "\(escape(row.method)) (\(escape(human(s.median))))</text>\n"
                svg +=
                    "<line x1=\"\(fixed(x(s.percentile(0.01)), 1))\" y1=\"\(fixed(middle, 1))\" "
                    + "x2=\"\(fixed(x(s.p99), 1))\" y2=\"\(fixed(middle, 1))\" stroke=\"\(color)\" "
                    + "stroke-width=\"1.5\"/>\n"
                let boxLeft = x(s.percentile(0.25))
                let boxWidth = max(1.5, x(s.percentile(0.75)) - boxLeft)
                svg +=
                    "<rect x=\"\(fixed(boxLeft, 1))\" y=\"\(fixed(middle - 6, 1))\" "
                    + "width=\"\(fixed(boxWidth, 1))\" "
                    + "height=\"12\" fill=\"\(color)\" fill-opacity=\"0.55\" stroke=\"\(color)\"/>\n"
                svg +=
                    "<line x1=\"\(fixed(x(s.median), 1))\" y1=\"\(fixed(middle - 8, 1))\" "
                    + "x2=\"\(fixed(x(s.median), 1))\" y2=\"\(fixed(middle + 8, 1))\" "
                    + "stroke=\"black\" stroke-width=\"2\"/>\n"
                svg +=
                    "<circle cx=\"\(fixed(x(s.maximum), 1))\" cy=\"\(fixed(middle, 1))\" r=\"2.5\" "
                    + "fill=\"\(color)\"/>\n"
                y += rowHeight
            }
            y += groupGap - 10
        }
        return svg + "</svg>\n"
    }

    static func escape(_ text: String) -> String {
        var result = ""
        for character in text {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            default: result.append(character)
            }
        }
        return result
    }
}
