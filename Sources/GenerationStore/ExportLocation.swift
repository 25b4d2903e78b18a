import Glibc

/// Where the export root lives as every mount namespace sees it: the device of its filesystem and its path
/// relative to that filesystem's root (the `root` field a bind mount of it shows in `mountinfo`).
///
/// Found from `/proc/self/mountinfo`: the mount whose mount point is the longest prefix of the root's real
/// path (the last one listed when several are stacked) gives the device and the path of the mount's source.
public struct ExportLocation: Sendable, Equatable {
    /// `major:minor` of the export root's filesystem, as mountinfo prints it.
    public var device: String
    /// The export root's path relative to its filesystem's root, absolute (`/var/lib/snapd/export`).
    public var pathInFileSystem: String

    public init(device: String, pathInFileSystem: String) {
        self.device = device
        self.pathInFileSystem = pathInFileSystem
    }

    /// Locates `root` through the calling process's mountinfo (`procRoot`/self/mountinfo).
    public static func locate(
        root: String, system: any SystemCalls = LinuxSystemCalls(), procRoot: String = "/proc"
    ) throws(StoreError) -> ExportLocation {
        let context = "cannot locate the export root's filesystem"
        let (best, real, file) = try MountInfo.containing(root, system: system, procRoot: procRoot, context)
        guard let best else {
            throw StoreError(.other, context, "no mount in \(file) contains it", path: real)
        }
        let suffix = best.mountPoint == "/" ? real : String(real.dropFirst(best.mountPoint.count))
        return ExportLocation(device: best.device, pathInFileSystem: join(best.root, suffix))
    }

    /// True when `path` is `directory` or below it.
    static func contains(_ directory: String, _ path: String) -> Bool {
        directory == "/" || path == directory || path.hasPrefix(directory + "/")
    }

    /// `base` + `suffix` (which is empty or starts with `/`) without doubled slashes.
    static func join(_ base: String, _ suffix: String) -> String {
        if suffix.isEmpty || suffix == "/" { return base }
        return base == "/" ? suffix : base + suffix
    }

    /// The name and generation a mount of `mountRoot` (on `device`) holds, if it lies inside a generation
    /// directory `<root>/<name>/<generation>[/...]`; nil for anything else (the root itself, a name
    /// directory, the store's dot-directories, other filesystems, deleted directories).
    public func generation(heldBy device: String, mountRoot: String) -> (name: String, generation: String)? {
        guard device == self.device, !mountRoot.hasSuffix("//deleted") else { return nil }
        let prefix = pathInFileSystem == "/" ? "/" : pathInFileSystem + "/"
        guard mountRoot.hasPrefix(prefix) else { return nil }
        let parts = mountRoot.dropFirst(prefix.count).split(separator: "/", maxSplits: 2)
        guard parts.count >= 2 else { return nil }
        let name = String(parts[0])
        let generation = String(parts[1])
        guard !name.hasPrefix("."), Layout.isGenerationName(generation) else { return nil }
        return (name, generation)
    }
}
