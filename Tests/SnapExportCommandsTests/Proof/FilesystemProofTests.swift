import Foundation
import Glibc
import Testing
import TestSupport

/// The filesystems a root lives on (issue 10, "filesystems"): the crash-state proof and the fault sweep of
/// publish, switch (both paths) and gc, run on a root on each, so that what the kernel does there (the
/// `renameat2` flags, `d_type`, the mount ids gc compares) is what the proof checks.
struct ProofFilesystem: Sendable, CustomStringConvertible {
    var name: String
    /// The `mkfs` program, or nil for tmpfs (mounted without an image).
    var mkfs: String?
    var mkfsArguments: [String]
    var description: String { name }

    static let all: [ProofFilesystem] = [
        ProofFilesystem(name: "tmpfs", mkfs: nil, mkfsArguments: []),
        // xfs wants at least 300 MiB; -K: no discard of the sparse image's blocks.
        ProofFilesystem(name: "xfs", mkfs: "/usr/sbin/mkfs.xfs", mkfsArguments: ["-q", "-K", "-f"]),
        ProofFilesystem(name: "btrfs", mkfs: "/usr/sbin/mkfs.btrfs", mkfsArguments: ["-q", "-K", "-f"]),
    ]

    /// Why this filesystem cannot be tried here, or nil.
    var unavailable: String? {
        if !TestEnvironment.isRoot { return "mounting needs root" }
        if let mkfs, access(mkfs, X_OK) != 0 { return "\(mkfs) is not installed (.ci/run installs it)" }
        return nil
    }

    /// Mounts a fresh, empty filesystem of this kind at a new directory inside `scratch`; returns the mount point.
    func mount(in scratch: TemporaryDirectory) throws -> String {
        let point = scratch.appending("mnt")
        try FileManager.default.createDirectory(atPath: point, withIntermediateDirectories: true)
        if let mkfs {
            let image = scratch.appending("image")
            guard FileManager.default.createFile(atPath: image, contents: nil), truncate(image, 320 << 20) == 0 else {
                throw CLIFailure(message: "cannot make \(image)")
            }
            let made = try run([mkfs] + mkfsArguments + [image])
            guard made.status == 0 else { throw CLIFailure(message: "\(mkfs): \(made.stderr)") }
            let mounted = try run(["/bin/mount", "-o", "loop", "-t", name, image, point])
            guard mounted.status == 0 else { throw CLIFailure(message: "mount \(name): \(mounted.stderr)") }
        } else {
            let mounted = try run(["/bin/mount", "-t", "tmpfs", "-o", "size=256m", "proof", point])
            guard mounted.status == 0 else { throw CLIFailure(message: "mount tmpfs: \(mounted.stderr)") }
        }
        return point
    }

    static func unmount(_ point: String) { _ = try? run(["/bin/umount", "-l", point]) }
}

@Suite("The crash-state proof and the fault sweep hold on tmpfs, xfs and btrfs too", .serialized)
struct FilesystemProofTests {
    static let cases: [CrashProofCase] = [
        publishProof, switchProofs[0], switchProofs[4], CrashStateMoreTests.storeCases[0],
    ]

    @Test("every crash state and every injected fault of publish, switch (exchange and fallback) and gc", arguments: ProofFilesystem.all)
    func proofOn(_ filesystem: ProofFilesystem) throws {
        if let reason = filesystem.unavailable {
            print("skipped on \(filesystem): \(reason)")
            return
        }
        let scratch = try TemporaryDirectory("proof-\(filesystem.name)")
        defer { scratch.remove() }
        let point = try filesystem.mount(in: scratch)
        defer { ProofFilesystem.unmount(point) }
        // The proof must really run there: the root's filesystem type is the one mounted.
        let type = try run(["/usr/bin/stat", "-f", "-c", "%T", point]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(type == filesystem.name, "the mounted filesystem is \(type)")
        for proofCase in Self.cases {
            let report = try CrashProof.prove(proofCase, in: point)
            print("crash states on \(filesystem), \(proofCase.label): \(report)")
            #expect(report.failures.isEmpty, "\(filesystem), \(proofCase.label): \(report)")
            let sweep = try FaultSweep.sweep(proofCase, in: point)
            print("fault sweep on \(filesystem), \(proofCase.label): \(sweep)")
            #expect(sweep.failures.isEmpty, "\(filesystem), \(proofCase.label): \(sweep)")
        }
    }
}
