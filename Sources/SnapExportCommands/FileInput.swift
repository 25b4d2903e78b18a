import GenerationStore
import Glibc

/// Reading a file that a user named on the command line (a manifest), with errors that name it.
enum FileInput {
    static func read(_ path: String, system: any SystemCalls, _ context: String) throws(StoreError) -> [UInt8] {
        let fd: Int32
        do {
            fd = try system.openat(AT_FDCWD, path, O_RDONLY, 0)
        } catch {
            throw .system("open", error, path: path, context)
        }
        defer { system.close(fd) }
        do {
            return try system.read(fd)
        } catch {
            throw .system("read", error, path: path, context)
        }
    }
}
