import Foundation
import GenerationStore
import GenerationStoreTesting
import Glibc
import Testing
import TestSupport

/// The typed helpers on the `SystemCalls` seam: the one whole-file reader, realpath, typed open options.
@Suite struct SeamHelperTests {
    @Test func theWholeFileReaderReturnsEveryByteAndClosesTheFile() throws {
        let temp = try TemporaryDirectory()
        defer { temp.remove() }
        let bytes = (0..<40_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        try Data(bytes).write(to: URL(fileURLWithPath: temp.appending("file")))
        let recording = RecordingSystemCalls()
        #expect(try recording.readWholeFile(AT_FDCWD, temp.appending("file"), .readOnly) == bytes)
        #expect(recording.names == ["openat", "read", "close"])
    }

    @Test func aSizeLimitRefusesADirectoryAndALargerFile() throws {
        let temp = try TemporaryDirectory()
        defer { temp.remove() }
        try Data(count: 11).write(to: URL(fileURLWithPath: temp.appending("eleven")))
        let system = LinuxSystemCalls()
        #expect(try system.readWholeFile(AT_FDCWD, temp.appending("eleven"), .readOnly, sizeLimit: 11).count == 11)
        #expect(throws: FileReadFailure(call: "fstat", errno: .invalidArgument)) {
            try system.readWholeFile(AT_FDCWD, temp.appending("eleven"), .readOnly, sizeLimit: 10)
        }
        #expect(throws: FileReadFailure(call: "fstat", errno: .isDirectory)) {
            try system.readWholeFile(AT_FDCWD, temp.path, .readOnly, sizeLimit: 10)
        }
        #expect(throws: FileReadFailure(call: "open", errno: .noSuchFileOrDirectory)) {
            try system.readWholeFile(AT_FDCWD, temp.appending("absent"), .readOnly)
        }
    }

    @Test func noFollowRefusesASymlinkWhereReadOnlyFollowsIt() throws {
        let temp = try TemporaryDirectory()
        defer { temp.remove() }
        try Data("x".utf8).write(to: URL(fileURLWithPath: temp.appending("file")))
        #expect(symlink("file", temp.appending("link")) == 0)
        let system = LinuxSystemCalls()
        #expect(try system.readWholeFile(AT_FDCWD, temp.appending("link"), .readOnly) == Array("x".utf8))
        let error = #expect(throws: StoreError.self) {
            try system.readFile(AT_FDCWD, temp.appending("link"), at: temp.appending("link"), "test")
        }
        #expect(error?.syscall == "open")
    }

    @Test func realpathGoesThroughTheSeamAndCanBeFailed() throws {
        let temp = try TemporaryDirectory()
        defer { temp.remove() }
        try FileManager.default.createDirectory(atPath: temp.appending("a/b"), withIntermediateDirectories: true)
        #expect(symlink("a/b", temp.appending("link")) == 0)
        let recording = RecordingSystemCalls()
        let real = try recording.realpath(temp.path)
        #expect(try recording.realpath(temp.appending("link/../b/.")) == real + "/a/b")
        #expect(recording.log.last?.name == "realpath")
        #expect(recording.log.last?.arguments == [temp.appending("link/../b/.")])
        recording.inject(.permissionDenied, into: "realpath", times: 1)
        #expect(throws: Errno.permissionDenied) { try recording.realpath(temp.path) }
    }
}
