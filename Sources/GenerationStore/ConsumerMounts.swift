import CExportShims
import Glibc

/// The consumer side: what snap-confine does with the export when it builds a mount namespace.
///
/// `pin` bind-mounts the resolved current generation's set read-only onto a directory (the namespace keeps
/// that generation until it is rebuilt; gc sees it through mountinfo). `follow` mounts a small read-only
/// tmpfs there with one symlink per entry to `<root>/<name>/current/<set>/<entry>` (every later switch is
/// seen at once; gc protects it through `previous` and the grace period). Either succeeds completely or
/// leaves no mount behind.
public struct ConsumerMounts: Sendable {
    /// How the namespace consumes the export.
    public enum Mode: String, Sendable, CaseIterable {
        case pin, follow
    }

    /// What to mount where: the set `set` of exported name `name` on `directory` (the snapd layer's defaults,
    /// `snapd` and `tools`, are the command's, not the store's).
    public struct Request: Sendable {
        public var directory: String
        public var name: String
        public var set: String
        public var mode: Mode
        /// Skip the checks that refuse to mount in the host's namespace or on a shared mount.
        public var allowHostNamespace: Bool

        public init(
            directory: String, name: String, set: String, mode: Mode = .pin,
            allowHostNamespace: Bool = false
        ) {
            self.directory = directory
            self.name = name
            self.set = set
            self.mode = mode
            self.allowHostNamespace = allowHostNamespace
        }
    }

    /// What was mounted.
    public struct Outcome: Sendable, Equatable {
        /// The generation `current` named when the mount was made.
        public var generation: String
        /// pin: the directory bind-mounted; follow: the directory the links point into.
        public var source: String
        /// The entries visible under the directory.
        public var entries: [String]
    }

    public let store: ExportStore
    public let mounts: any MountCalls
    public let procRoot: String

    public init(store: ExportStore, mounts: any MountCalls = LinuxMountCalls(), procRoot: String = "/proc") {
        self.store = store
        self.mounts = mounts
        self.procRoot = procRoot
    }

    /// Checks every precondition (root, directory, namespace, current generation, set), then mounts.
    public func mountTools(_ request: Request) throws(StoreError) -> Outcome {
        let context = "cannot mount \(request.name)/\(request.set) on \(request.directory)"
        let system = store.system
        try NameRules.validateComponent(request.name, what: "exported name", context: context)
        try NameRules.validateSetPath(request.set, context: context)
        if geteuid() != 0 {
            throw StoreError(.cannotCreate, context, "mounting needs root (effective uid \(geteuid()))")
        }
        let status: FileStatus
        do {
            status = try system.fstatat(AT_FDCWD, request.directory, 0)
        } catch {
            throw .system("stat", error, path: request.directory, context)
        }
        guard status.kind == .directory else {
            throw StoreError(.badData, context, "not a directory", path: request.directory)
        }
        if !request.allowHostNamespace { try checkNamespace(request.directory, context) }

        guard let generation = try store.link(Layout.current, of: request.name) else {
            throw StoreError(
                .missingInput, context, "\(request.name) has no current generation",
                path: store.path(request.name, Layout.current))
        }
        try NameRules.validateComponent(generation, what: "generation named by current", context: context)
        // Open every component without following a link, so exactly the directory checked is mounted.
        guard let rootFd = try store.openRoot(context) else {
            throw StoreError(.missingInput, context, "export root does not exist", path: store.root)
        }
        let nameFd = try system.openDirectory(rootFd.raw, request.name, at: store.path(request.name), context)
        var setFd = try system.openDirectory(
            nameFd.raw, generation, at: store.path(request.name, generation), context)
        var setPath = store.path(request.name, generation)
        for part in request.set.split(separator: "/").map(String.init) {
            setPath += "/" + part
            setFd = try system.openDirectory(setFd.raw, part, at: setPath, context)
        }
        let entries = try system.names(setFd.raw, at: setPath, context).sorted()
        switch request.mode {
        case .pin:
            try pin(setFd.raw, onto: request.directory, context)
            return Outcome(generation: generation, source: setPath, entries: entries)
        case .follow:
            let root = store.root.hasPrefix("/") ? store.root : Self.workingDirectory() + "/" + store.root
            let target = [root, request.name, Layout.current, request.set].joined(separator: "/")
            try follow(target, entries, onto: request.directory, context)
            return Outcome(generation: generation, source: target, entries: entries)
        }
    }

    /// Refuses the host's mount namespace (the same as pid 1's) and a shared mount under `directory`.
    private func checkNamespace(_ directory: String, _ context: String) throws(StoreError) {
        let system = store.system
        if try sameNamespaceAsInit(context) {
            throw StoreError(
                .other, context,
                "this is the host's mount namespace (the same as pid 1's); run inside a new one "
                    + "(unshare -m) or pass --allow-host-namespace")
        }
        let best = try MountInfo.containing(directory, system: system, procRoot: procRoot, context).mount
        if let best, best.isShared {
            let group = best.optionalFields.first { $0.hasPrefix("shared:") } ?? "shared"
            throw StoreError(
                .other, context,
                "\(best.mountPoint) is a shared mount (\(group)): the mount would propagate to other namespaces; "
                    + "make it private first (unshare -m --propagation private, or mount --make-rprivate /) "
                    + "or pass --allow-host-namespace",
                path: directory)
        }
    }

    /// Compares `/proc/self/ns/mnt` with `/proc/1/ns/mnt`; where pid 1's link cannot be read (a container
    /// manager's init), compares the mount ids of both mountinfo files, which are unique across namespaces.
    private func sameNamespaceAsInit(_ context: String) throws(StoreError) -> Bool {
        let system = store.system
        do {
            let mine = try system.fstatat(AT_FDCWD, procRoot + "/self/ns/mnt", 0)
            let initial = try system.fstatat(AT_FDCWD, procRoot + "/1/ns/mnt", 0)
            return mine.device == initial.device && mine.inode == initial.inode
        } catch .permissionDenied, .notPermitted {
            let mine = procRoot + "/self/mountinfo"
            let initial = procRoot + "/1/mountinfo"
            let ours = Set(
                MountInfo.parse(
                    try system.readFile(
                        AT_FDCWD, mine, at: mine, context, cap: MetadataCap.mountInfo, followSymlink: true)
                ).map(\.id))
            let theirs = Set(
                MountInfo.parse(
                    try system.readFile(
                        AT_FDCWD, initial, at: initial, context, cap: MetadataCap.mountInfo, followSymlink: true)
                ).map(\.id))
            return ours == theirs
        } catch {
            throw .system("stat", error, path: procRoot + "/1/ns/mnt", context + " (cannot compare mount namespaces)")
        }
    }

    /// MS_BIND of the opened set directory (through /proc/self/fd), then MS_REMOUNT|MS_BIND|MS_RDONLY.
    private func pin(_ setFd: Int32, onto directory: String, _ context: String) throws(StoreError) {
        do {
            try mounts.mount("\(procRoot)/self/fd/\(setFd)", directory, nil, CX_MS_BIND, nil)
        } catch {
            throw .system("mount(MS_BIND)", error, path: directory, context)
        }
        do {
            try mounts.mount(nil, directory, nil, CX_MS_REMOUNT | CX_MS_BIND | CX_MS_RDONLY, nil)
        } catch {
            undo(directory)
            throw .system("mount(MS_REMOUNT|MS_BIND|MS_RDONLY)", error, path: directory, context)
        }
    }

    /// A tmpfs (nodev, noexec, nosuid, mode 0755) with one symlink per entry into `target`, then read-only.
    private func follow(_ target: String, _ entries: [String], onto directory: String, _ context: String)
        throws(StoreError)
    {
        let flags = CX_MS_NODEV | CX_MS_NOEXEC | CX_MS_NOSUID
        do {
            try mounts.mount("snap-export", directory, "tmpfs", flags, "mode=0755")
        } catch {
            throw .system("mount(tmpfs)", error, path: directory, context)
        }
        let system = store.system
        do throws(StoreError) {
            let top = try system.call("openat", at: directory, context) { () throws(Errno) -> Descriptor in
                try system.openDescriptor(AT_FDCWD, directory, .directory)
            }
            for entry in entries {
                try system.call("symlinkat", at: directory + "/" + entry, context) { () throws(Errno) in
                    try system.symlinkat(target + "/" + entry, top.raw, entry)
                }
            }
        } catch {
            undo(directory)
            throw error
        }
        do {
            try mounts.mount(nil, directory, nil, CX_MS_REMOUNT | CX_MS_RDONLY | flags, "mode=0755")
        } catch {
            undo(directory)
            throw .system("mount(MS_REMOUNT|MS_RDONLY)", error, path: directory, context)
        }
    }

    /// Takes back a half-made mount: umount2, lazily if it is busy.
    private func undo(_ directory: String) {
        do {
            try mounts.unmount(directory, 0)
        } catch {
            try? mounts.unmount(directory, CX_MNT_DETACH)
        }
    }

    static func workingDirectory() -> String {
        guard let cwd = getcwd(nil, 0) else { return "." }
        defer { free(cwd) }
        return String(cString: cwd)
    }
}
