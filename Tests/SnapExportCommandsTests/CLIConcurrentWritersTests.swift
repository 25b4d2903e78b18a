import Foundation
import Synchronization
import Testing
import TestSupport

@Suite("Concurrent writer processes")
struct CLIConcurrentWritersTests {
    /// Operation `index` of `worker`: publish its own generation, switch to it, publish a generation every worker
    /// publishes with the same content, then switch to that one or roll back.
    private static func operation(_ worker: Int, _ index: Int) -> [String] {
        let own = "w\(worker)-\(index - index % 4)"
        switch index % 4 {
        case 0: return ["publish", "demo", own, "--entry", "tools/a=/opt/\(own)/a", "--entry", "tools/b=/opt/\(own)/b"]
        case 1: return ["switch", "demo", own]
        case 2:
            return [
                "publish", "demo", "shared", "--entry", "tools/a=/opt/shared/a", "--entry", "tools/b=/opt/shared/b",
            ]
        default: return index % 8 == 3 ? ["switch", "demo", "shared"] : ["rollback", "demo"]
        }
    }

    @Test("4 processes × 20 publishes, switches and rollbacks at once all succeed and leave a root verify accepts")
    func concurrentWritersLeaveAValidRoot() throws {
        let fixture = try CLIFixture()
        defer { fixture.remove() }
        let (workers, operations) = (4, 20)
        let failures = Mutex<[String]>([])
        let root = fixture.root
        let threads = (0..<workers).map { worker in
            JoinableThread {
                for index in 0..<operations {
                    let arguments = Self.operation(worker, index)
                    do {
                        let result = try snapExport(["--root", root] + arguments)
                        if result.status != 0 || result.signaled {
                            failures.withLock { $0.append("\(arguments) exited \(result.status): \(result.stderr)") }
                        }
                    } catch {
                        failures.withLock { $0.append("\(arguments): \(error)") }
                    }
                }
            }
        }
        for thread in threads { thread.join() }
        #expect(failures.withLock { $0 } == [])

        let verify = try fixture.run(["verify"], .child)
        #expect(verify.status == 0, "\(verify.stdout)")
        let status = try #require(
            try JSONSerialization.jsonObject(with: Data(try fixture.statusJSON().utf8)) as? [String: Any])
        let demo = try #require((status["names"] as? [[String: Any]])?.first)
        let generations = try #require(demo["generations"] as? [[String: Any]])
        #expect(generations.count == workers * operations / 4 + 1)
        #expect(generations.allSatisfy { ($0["entries"] as? NSNumber)?.intValue == 2 })
        #expect(demo["current"] is String && demo["previous"] is String)
    }
}
