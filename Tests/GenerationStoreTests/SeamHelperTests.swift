import Foundation
import GenerationStore
import GenerationStoreTesting
import Glibc
import Testing
import TestSupport

/// The typed helpers on the `SystemCalls` seam: the one metadata reader, realpath, typed open options.
@Suite struct SeamHelperTests {
    @Test func theMetadataReaderReturnsEveryByteAndClosesTheFile() throws {
        let temp = try TemporaryDirectory()
        defer { temp.remove() }
        let bytes = (0..<140_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        try Data(bytes).write(to: URL(fileURLWithPath: temp.appending("file")))
        let recording = RecordingSystemCalls()
        #expect(try recording.readMetadata(AT_FDCWD, temp.appending("file"), cap: 1 << 20) == bytes)
        #expect(recording.names == ["openat", "fstatat", "read", "close"])
    }

    @Test func theCapRefusesADirectoryAndALargerFileNamingTheCall() throws {
        let temp = try TemporaryDirectory()
        defer { temp.remove() }
        try Data(count: 11).write(to: URL(fileURLWithPath: temp.appending("eleven")))
        let system = LinuxSystemCalls()
        #expect(try system.readMetadata(AT_FDCWD, temp.appending("eleven"), cap: 11).count == 11)
        #expect(throws: FileReadFailure(call: "fstatat", problem: .tooLarge(cap: 10))) {
            try system.readMetadata(AT_FDCWD, temp.appending("eleven"), cap: 10)
        }
        #expect(throws: FileReadFailure(call: "fstatat", problem: .notRegular(.directory))) {
            try system.readMetadata(AT_FDCWD, temp.path, cap: 10)
        }
        #expect(throws: FileReadFailure(call: "openat", problem: .failed(.noSuchFileOrDirectory))) {
            try system.readMetadata(AT_FDCWD, temp.appending("absent"), cap: 10)
        }
        #expect(FileReadFailure(call: "read", problem: .tooLarge(cap: 10)).description == "read: too large (cap 10 bytes)")
    }

    @Test func symlinksAreRefusedUnlessFollowingIsAsked() throws {
        let temp = try TemporaryDirectory()
        defer { temp.remove() }
        try Data("x".utf8).write(to: URL(fileURLWithPath: temp.appending("file")))
        #expect(symlink("file", temp.appending("link")) == 0)
        let system = LinuxSystemCalls()
        #expect(try system.readMetadata(AT_FDCWD, temp.appending("link"), cap: 10, followSymlink: true) == Array("x".utf8))
        let error = #expect(throws: StoreError.self) {
            try system.readFile(AT_FDCWD, temp.appending("link"), at: temp.appending("link"), "test", cap: 10)
        }
        #expect(error?.syscall == "openat")
        #expect(error?.errno == .tooManySymbolicLinks)
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
