import Foundation
import Testing
import TestSupport

/// export-bench keeps building and producing valid JSON; its figures are checked by people, not here.
@Suite struct BenchSmokeTests {
    static var bench: String { TestEnvironment.productsDirectory + "/export-bench" }

    /// Runs `export-bench --smoke` into a temporary directory and returns the decoded JSON and the SVG text.
    func smokeRun() throws -> (json: [String: Any], svg: String, scaleSVG: String) {
        let directory = try TemporaryDirectory("export-bench-smoke")
        defer { directory.remove() }
        let jsonPath = directory.appending("bench.json")
        let svgPath = directory.appending("bench.svg")
        let scaleSVGPath = directory.appending("scale.svg")
        let result = try run([
            Self.bench, "--smoke", "--json", jsonPath, "--svg", svgPath, "--scale-svg", scaleSVGPath, "--markdown",
            directory.appending("bench.md"), "--dir", directory.path,
        ])
        #expect(result.status == 0, "export-bench failed: \(result.stderr)")
        let data = try Data(contentsOf: URL(fileURLWithPath: jsonPath))
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let svg = try String(contentsOfFile: svgPath, encoding: .utf8)
        let scaleSVG = try String(contentsOfFile: scaleSVGPath, encoding: .utf8)
        return (json, svg, scaleSVG)
    }

    @Test func theSmokeRunWritesEveryKeyTheIssueAsksForWithSaneValues() throws {
        let (json, svg, scaleSVG) = try smokeRun()
        for key in [
            "switch_ratio_nosync", "switch_ratio_fsync", "switch_p50_ns", "switch_p99_ns", "scaling_ratio",
            "publish_ratio",
        ] {
            let value = try #require(json[key] as? Double, "\(key) is missing or not a number")
            #expect(value > 0, "\(key) is \(value)")
        }
        for key in [
            "cli_refresh_noop_ms", "cli_switch_ms", "cli_peak_rss_kib", "cli_floor_json_ms", "cli_floor_plain_ms",
            "cli_switch_floor_ratio", "cli_refresh_floor_ratio",
        ] {
            // Present always; null only when the command does not exist in this build.
            #expect(json.keys.contains(key), "\(key) is missing")
        }
        #expect((json["cli_switch_ms"] as? Double ?? 0) > 0)
        #expect((json["cli_peak_rss_kib"] as? Double ?? 0) > 0)
        #expect((json["cli_switch_floor_ratio"] as? Double ?? 0) > 0, "the floors were built and measured")
        let readers = try #require(json["readers"] as? [String: Any])
        for method in ["generation", "per_file", "unlink_symlink"] {
            let result = try #require(readers[method] as? [String: Any], "readers.\(method) is missing")
            for key in ["lookups", "failures", "mixed"] {
                #expect(result[key] is NSNumber, "readers.\(method).\(key) is missing")
            }
            #expect((result["lookups"] as? Int ?? 0) >= 10_000)
        }
        let generation = try #require(readers["generation"] as? [String: Any])
        #expect(generation["failures"] as? Int == 0, "a reader saw no tool during a generation flip")
        #expect(generation["mixed"] as? Int == 0, "a reader saw two generations at once")
        // Item 9 (scale): every headline key present; the per-size commands measured and the raw walk read every
        // generation's manifest.
        for key in [
            "scale_refresh_noop_ms", "scale_refresh_noop_growth", "scale_refresh_noop_growth_vs_smallest",
            "scale_refresh_no_gc_ms", "scale_gc_dry_run_ms", "scale_status_json_ms", "scale_gc_dry_run_raw_ratio",
            "scale_status_json_raw_ratio", "scale_refresh_noop_peak_rss_kib", "scale_in_use_mountinfo_ratio",
            "scale_status_rss_ratio", "scale_refresh_after_state_growth_vs_smallest",
        ] {
            #expect(json.keys.contains(key), "\(key) is missing")
        }
        for key in ["scale_refresh_noop_ms", "scale_gc_dry_run_raw_ratio", "scale_status_rss_ratio"] {
            #expect((json[key] as? Double ?? 0) > 0, "\(key) is \(String(describing: json[key]))")
        }
        let scale = try #require(json["scale"] as? [String: Any])
        let sizes = try #require(scale["sizes"] as? [[String: Any]])
        #expect(sizes.count >= 2)
        for size in sizes {
            let instances = size["instances"] as? Int ?? 0
            // 3 revisions per instance, snapd's generation and the man union's at least.
            #expect((size["generations"] as? Int ?? 0) >= 3 * instances + 2, "\(size)")
            let commands = try #require(size["commands"] as? [[String: Any]])
            // refresh, refresh --no-gc, gc --dry-run, status --json, refresh right after snapd's state was written.
            #expect(commands.count == 5)
            #expect(commands.allSatisfy { $0["unavailable"] == nil }, "\(commands)")
        }
        if geteuid() == 0 {
            #expect((json["scale_in_use_mountinfo_ratio"] as? Double ?? 0) > 0, "root: the namespaces were measured")
        }
        #expect(scaleSVG.hasPrefix("<svg") && scaleSVG.contains("gc --dry-run") && scaleSVG.contains("polyline"))
        let machine = try #require(json["machine"] as? [String: Any])
        #expect((machine["cores"] as? Int ?? 0) > 0)
        #expect(svg.hasPrefix("<svg") && svg.contains("store"))
    }

    @Test func anUnknownArgumentIsAUsageError() throws {
        let result = try run([Self.bench, "--no-such-option"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("unknown argument"))
    }
}
