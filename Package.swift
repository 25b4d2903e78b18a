// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "snap-export",
    products: [
        .executable(name: "snap-export", targets: ["snap-export"]),
        .executable(name: "export-bench", targets: ["export-bench"]),
        .library(name: "GenerationStore", targets: ["GenerationStore"]),
    ],
    targets: [
        // What Swift's Glibc cannot reach: renameat2, RENAME_*, open/at/mount flags, syncfs, flock, statx mount ids.
        .target(
            name: "CExportShims",
            cSettings: [.define("_GNU_SOURCE")]
        ),
        // Raw C loops for the benchmark only (baselines, reader threads, whole processes); not in the product.
        .target(
            name: "CExportBenchLoops",
            path: "bench/CExportBenchLoops",
            cSettings: [.define("_GNU_SOURCE")]
        ),
        // The generic generation store: syscalls, names, manifests, publish/switch/rollback/verify/repair/gc.
        // It knows nothing of snaps.
        .target(
            name: "GenerationStore",
            dependencies: ["CExportShims"]
        ),
        // Test doubles of the store's seams (RecordingSystemCalls); only test targets link it.
        .target(
            name: "GenerationStoreTesting",
            dependencies: ["GenerationStore"]
        ),
        // snapd's world: snap mount dir, host tools, provider rule, Debian versions, refresh/link/unlink.
        .target(
            name: "SnapdExport",
            dependencies: ["GenerationStore", "CExportShims"]
        ),
        // Argument parsing, output, exit codes: every command, drivable in-process by tests.
        .target(
            name: "SnapExportCommands",
            dependencies: ["GenerationStore", "SnapdExport", "CExportShims"]
        ),
        .executableTarget(
            name: "snap-export",
            dependencies: ["SnapExportCommands"]
        ),
        .executableTarget(
            name: "export-bench",
            dependencies: [
                "GenerationStore", "SnapdExport", "SnapExportCommands", "CExportShims", "CExportBenchLoops",
                "startup-floor-json", "startup-floor-plain",
            ],
            path: "bench/export-bench"
        ),
        // Start-up floors for export-bench's whole-process item: a static Swift program that only decodes a small
        // JSON document with FoundationEssentials, and one with no imports. Not part of the product.
        .executableTarget(name: "startup-floor-json", path: "bench/startup-floor-json"),
        .executableTarget(name: "startup-floor-plain", path: "bench/startup-floor-plain"),
        // Helpers shared by the test targets: temporary directories, child processes, skip conditions.
        .target(
            name: "TestSupport",
            path: "Tests/TestSupport"
        ),
        .testTarget(
            name: "GenerationStoreTests",
            dependencies: ["GenerationStore", "CExportShims", "GenerationStoreTesting", "TestSupport", "snap-export"]
        ),
        .testTarget(
            name: "SnapdExportTests",
            dependencies: ["SnapdExport", "GenerationStore", "GenerationStoreTesting", "TestSupport", "snap-export"]
        ),
        .testTarget(
            name: "SnapExportCommandsTests",
            dependencies: [
                "SnapExportCommands", "GenerationStore", "GenerationStoreTesting", "TestSupport", "snap-export",
                "export-bench",
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
