import Foundation
import Testing
import TestSupport

/// The units in dist/systemd pass `systemd-analyze verify` with no message at all.
@Suite struct GCSystemdUnitsTests {
    static let unitDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("dist/systemd").path
    static let units = [
        "snap-export-gc.service", "snap-export-gc.timer", "snap-export-refresh.service", "snap-export-refresh.path",
    ]

    @Test(.enabled(if: TestEnvironment.has("systemd-analyze"), "needs systemd-analyze (package systemd)"))
    func theUnitsVerifyCleanlyWithTheBuiltBinary() throws {
        let temp = try TemporaryDirectory()
        defer { temp.remove() }
        // verify insists that ExecStart exists: point a copy of each unit at the built binary.
        for unit in Self.units {
            let text = try String(contentsOfFile: Self.unitDirectory + "/" + unit, encoding: .utf8)
            #expect(unit.hasSuffix(".service") == text.contains("ExecStart=/usr/bin/snap-export "))
            try text.replacingOccurrences(of: "/usr/bin/snap-export", with: TestEnvironment.snapExport)
                .write(toFile: temp.appending(unit), atomically: true, encoding: .utf8)
        }
        let analyze = try #require(TestEnvironment.which("systemd-analyze"))
        let result = try run([analyze, "verify", "--man=no"] + Self.units.map { temp.appending($0) })
        #expect(result.status == 0)
        #expect(result.stdout + result.stderr == "")
    }

    @Test func theTimerIsDailyWithARandomizedDelayAndThePathWatchesSnapdAndCore() throws {
        let timer = try String(contentsOfFile: Self.unitDirectory + "/snap-export-gc.timer", encoding: .utf8)
        #expect(timer.contains("OnCalendar=daily"))
        #expect(timer.contains("RandomizedDelaySec="))
        let path = try String(contentsOfFile: Self.unitDirectory + "/snap-export-refresh.path", encoding: .utf8)
        #expect(path.contains("PathChanged=/snap/snapd\n"))
        #expect(path.contains("PathChanged=/snap/core\n"))
        let refresh = try String(contentsOfFile: Self.unitDirectory + "/snap-export-refresh.service", encoding: .utf8)
        #expect(refresh.contains("ExecStart=/usr/bin/snap-export refresh\n"))
    }
}
