import Foundation
import Testing

/// Plants what interrupted writers leave: a staging tree, a trash tree and a stray `.next-*` link.
@Sendable func plantLeftovers(_ root: String) throws {
    let files = FileManager.default
    try files.createDirectory(atPath: root + "/.staging/0123456789abcdef/tools", withIntermediateDirectories: true)
    try files.createSymbolicLink(atPath: root + "/.staging/0123456789abcdef/tools/t0", withDestinationPath: "/opt/x")
    try files.createDirectory(atPath: root + "/.trash/fedcba9876543210/man/man1", withIntermediateDirectories: true)
    try files.createSymbolicLink(atPath: root + "/.trash/fedcba9876543210/man/man1/a.1", withDestinationPath: "/opt/a")
    try files.createSymbolicLink(atPath: root + "/demo/.next-00000000000000aa", withDestinationPath: "g3")
}

/// gc, repair and the snapd commands (refresh, link, unlink) through every crash state.
@Suite("Every crash state of gc, repair, refresh, link and unlink keeps the promise (docs/crash-model.md)")
struct CrashStateMoreTests {
    static let storeCases: [CrashProofCase] = [
        CrashProofCase(
            label: "gc removing two generations",
            setUp: threeGenerations + [["publish", "demo", "g4"] + entries("g4", 2), ["switch", "demo", "g3"]],
            operation: ["gc", "--grace", "0", "--keep", "0"],
            next: [["gc", "--grace", "0", "--keep", "0"], ["rollback", "demo"]]),
        CrashProofCase(
            label: "repair of a staging tree, a trash tree and a .next link",
            setUp: threeGenerations, prepare: plantLeftovers, operation: ["repair"],
            next: [["switch", "demo", "g3"], ["gc", "--grace", "0", "--keep", "0"]]),
    ]

    @Test("gc and repair: every kill and power-loss state checks out", arguments: storeCases)
    func storeStates(_ proofCase: CrashProofCase) throws {
        let report = try CrashProof.prove(proofCase)
        print("crash states, \(proofCase.label): \(report)")
        #expect(report.failures.isEmpty, "\(report)")
        #expect(report.mutations >= 4 && report.classes >= 3, "\(report)")
    }

    @Test("refresh to a new snapd revision, link and unlink: every kill and power-loss state checks out",
        arguments: ["refresh", "link", "unlink"])
    func snapdStates(_ command: String) throws {
        let (world, proofCase) = try Self.snapdCase(command)
        defer { world.directory.remove() }
        let report = try CrashProof.prove(proofCase)
        print("crash states, \(command): \(report)")
        expectProven(report)
        #expect(report.mutations >= 3 && report.classes >= 3, "\(report)")
    }
}

extension CrashStateMoreTests {
    /// A snapd world (host snapd 2.50, the snapd snap's revision 1 at 2.60) and `command` as a proof case: refresh
    /// or link to a new revision 2, or unlink of revision 2 (back to what remains).
    static func snapdCase(_ command: String) throws -> (SnapdCommandWorld, CrashProofCase) {
        let world = try SnapdCommandWorld(hostVersion: "2.50")
        try world.addSnap("snapd", "1", type: "snapd", version: "2.60")
        let globals = [
            "--host-root", world.base, "--snap-mount-dir", world.base + "/snap", "--libexec-dir",
            world.base + "/usr/lib/snapd", "--os-release", world.base + "/os-release",
        ]
        let setUp: [[String]]
        let operation: [String]
        switch command {
        case "refresh":
            setUp = [["refresh"]]
            operation = ["refresh"]
        case "link":
            setUp = [["refresh"]]
            operation = ["link", "snapd", "2"]
        default:
            setUp = [["refresh"], ["link", "snapd", "2"]]
            operation = ["unlink", "snapd", "2"]
        }
        let base = world.base
        if command == "unlink" { try SnapdCommandWorld.addRevision(base: base, "2", version: "2.61") }
        let proofCase = CrashProofCase(
            label: command, globals: globals, setUp: setUp,
            prepare: { _ in
                // A new snapd revision: refresh and link export it; unlink goes back to what remains.
                try SnapdCommandWorld.addRevision(base: base, "2", version: "2.61")
            },
            operation: operation, next: [operation, ["gc", "--grace", "0", "--keep", "0"]])
        return (world, proofCase)
    }
}

extension SnapdCommandWorld {
    /// Adds (idempotently) a snapd snap revision with the tools, made current.
    static func addRevision(base: String, _ revision: String, version: String) throws {
        let files = FileManager.default
        let snap = base + "/snap/snapd/" + revision
        try files.createDirectory(atPath: snap + "/meta", withIntermediateDirectories: true)
        try files.createDirectory(atPath: snap + "/usr/lib/snapd", withIntermediateDirectories: true)
        try files.createDirectory(atPath: snap + "/usr/bin", withIntermediateDirectories: true)
        try "name: snapd\nversion: \(version)\ntype: snapd\n".write(
            toFile: snap + "/meta/snap.yaml", atomically: false, encoding: .utf8)
        try "#!/bin/sh\n".write(toFile: snap + "/usr/bin/snap", atomically: false, encoding: .utf8)
        for tool in ["etelpmoc.sh", "info", "snap-confine", "snap-discard-ns", "snap-exec", "snap-gdb-shim",
            "snap-gdbserver-shim", "snap-update-ns", "snapctl"]
        {
            try (tool == "info" ? "VERSION=\(version)\n" : "x").write(
                toFile: snap + "/usr/lib/snapd/" + tool, atomically: false, encoding: .utf8)
        }
        let link = base + "/snap/snapd/current"
        try? files.removeItem(atPath: link)
        try files.createSymbolicLink(atPath: link, withDestinationPath: revision)
    }
}
