import Glibc

/// Which generations the live mount namespaces hold, read from `/proc/<pid>/mountinfo`.
///
/// Every process is visited, but each mount namespace is read once: namespaces are told apart by the
/// device and inode of `/proc/<pid>/ns/mnt` (a process whose link cannot be read has its mountinfo read on its
/// own). A process that exits while it is being read is skipped, not an error; a process whose mountinfo cannot
/// be read (not root) is counted in `unreadable`, so that a caller that needs certainty (gc) can refuse to decide.
public struct MountNamespaceScan: Sendable, Equatable {
    /// One mount namespace: its identity, the pids seen in it, and the generations its mounts hold.
    public struct Namespace: Sendable, Equatable {
        /// `mnt:[<inode>]`, as `readlink /proc/<pid>/ns/mnt` shows it (`mnt:[pid N]` when that link is unreadable).
        public var identity: String
        /// Every pid found in this namespace, ascending.
        public var pids: [Int32]
        /// The mounts of this namespace whose root lies inside a generation.
        public var holds: [Hold]

        public init(identity: String, pids: [Int32], holds: [Hold]) {
            self.identity = identity
            self.pids = pids
            self.holds = holds
        }
    }

    /// One mount that holds a generation.
    public struct Hold: Sendable, Equatable {
        public var name: String
        public var generation: String
        /// Where the namespace has it mounted.
        public var mountPoint: String

        public init(name: String, generation: String, mountPoint: String) {
            self.name = name
            self.generation = generation
            self.mountPoint = mountPoint
        }
    }

    /// One namespace holding a given generation, with its pids and mount points.
    public struct Holder: Sendable, Equatable, CustomStringConvertible {
        public var namespace: String
        public var pids: [Int32]
        public var mountPoints: [String]

        public init(namespace: String, pids: [Int32], mountPoints: [String]) {
            self.namespace = namespace
            self.pids = pids
            self.mountPoints = mountPoints
        }

        public var description: String {
            let shown = pids.prefix(5).map(String.init).joined(separator: ",")
            return "\(namespace) pid \(shown)\(pids.count > 5 ? ",…" : "")"
        }
    }

    /// Namespaces that hold at least one generation, in the order first seen.
    public var namespaces: [Namespace]
    /// How many distinct mount namespaces were read.
    public var namespacesRead: Int
    /// Pids whose mountinfo could not be read for a reason other than exiting (EACCES…).
    public var unreadable: [Int32]

    public init(namespaces: [Namespace], namespacesRead: Int, unreadable: [Int32]) {
        self.namespaces = namespaces
        self.namespacesRead = namespacesRead
        self.unreadable = unreadable
    }

    /// The namespaces that hold `name`/`generation`.
    public func holders(of name: String, _ generation: String) -> [Holder] {
        namespaces.compactMap { namespace in
            let points = namespace.holds.filter { $0.name == name && $0.generation == generation }.map(\.mountPoint)
            return points.isEmpty
                ? nil : Holder(namespace: namespace.identity, pids: namespace.pids, mountPoints: points)
        }
    }

    /// The size of the buffer each mountinfo file is read into (it grows, up to the cap, for a longer line).
    public static let readSize = 256 << 10

    /// Reads every process under `procRoot` and returns the namespaces that hold a generation of `location`.
    ///
    /// Each namespace's mountinfo is read with `pread` into one buffer of `bufferSize` bytes, reused for every
    /// namespace, and scanned as bytes (`MountInfoScanner`): only lines on the export root's device whose root
    /// lies below the export root are parsed. (procfs hands out at most a page of mountinfo per read whatever
    /// the buffer; a large one saves the copies, not the calls.)
    public static func scan(
        _ location: ExportLocation, system: any SystemCalls = LinuxSystemCalls(), procRoot: String = "/proc",
        bufferSize: Int = readSize
    ) throws(StoreError) -> MountNamespaceScan {
        let context = "cannot scan mount namespaces"
        let scanner = MountInfoScanner(location)
        var buffer = [UInt8](repeating: 0, count: max(1, bufferSize))
        let proc = try system.openDirectory(AT_FDCWD, procRoot, at: procRoot, context)
        let pids = try system.names(proc.raw, at: procRoot, context).compactMap { Int32($0) }.sorted()
        /// A namespace told apart by its `ns/mnt` inode, or, where that link cannot be read (EACCES: a process
        /// of a more privileged container manager), by the one pid whose mountinfo is read on its own.
        enum Identity: Hashable {
            case inode(device: UInt64, inode: UInt64)
            case process(Int32)

            var label: String {
                switch self {
                case .inode(_, let inode): "mnt:[\(inode)]"
                case .process(let pid): "mnt:[pid \(pid)]"
                }
            }
        }
        var order: [Identity] = []
        var members: [Identity: [Int32]] = [:]
        for pid in pids {
            let identity: Identity
            do {
                let status = try system.fstatat(proc.raw, "\(pid)/ns/mnt", 0)
                identity = .inode(device: status.device, inode: status.inode)
            } catch .noSuchFileOrDirectory, .noSuchProcess, .invalidArgument {
                continue  // exited (or a zombie) since the directory was listed
            } catch {
                identity = .process(pid)
            }
            if members[identity] == nil { order.append(identity) }
            members[identity, default: []].append(pid)
        }
        var namespaces: [Namespace] = []
        var unreadable: [Int32] = []
        var read = 0
        for identity in order {
            // Any live member will do; try the next one if a member exits while we read it.
            var holds: [Hold]?
            for pid in members[identity, default: []] {
                let file = "\(pid)/mountinfo"
                do {
                    holds = try Self.holds(
                        proc.raw, file, location, scanner, system: system, buffer: &buffer)
                    break
                } catch {
                    switch error.problem {
                    case .failed(.noSuchFileOrDirectory), .failed(.noSuchProcess), .failed(.invalidArgument):
                        continue
                    default:
                        unreadable.append(pid)
                    }
                }
            }
            guard let holds else { continue }
            read += 1
            if holds.isEmpty { continue }
            namespaces.append(Namespace(identity: identity.label, pids: members[identity, default: []], holds: holds))
        }
        return MountNamespaceScan(namespaces: namespaces, namespacesRead: read, unreadable: unreadable.sorted())
    }

    /// The holds of one mountinfo file (`file` below `dirfd`), opened as every metadata file is
    /// (`openMetadata`), read with `pread` into `buffer` and scanned as it comes: the complete lines of each
    /// read are scanned, a partial last line is moved to the front and completed by the next read. The buffer
    /// doubles when one line fills it; more than `MetadataCap.mountInfo` bytes in all is refused.
    static func holds(
        _ dirfd: Int32, _ file: String, _ location: ExportLocation, _ scanner: MountInfoScanner,
        system: any SystemCalls, buffer: inout [UInt8]
    ) throws(FileReadFailure) -> [Hold] {
        let cap = MetadataCap.mountInfo
        let descriptor = try system.openMetadata(dirfd, file, cap: cap, followSymlink: true)
        var holds: [Hold] = []
        func hold(_ mount: MountInfo) {
            if let held = location.generation(heldBy: mount.device, mountRoot: mount.root) {
                holds.append(Hold(name: held.name, generation: held.generation, mountPoint: mount.mountPoint))
            }
        }
        var kept = 0  // bytes of a partial line at the front of `buffer`
        var offset: Int64 = 0
        while true {
            if kept == buffer.count {
                guard buffer.count <= cap else { throw FileReadFailure(call: "pread", problem: .tooLarge(cap: cap)) }
                buffer.append(contentsOf: repeatElement(0, count: min(buffer.count, cap + 1 - buffer.count)))
            }
            let result = buffer.withUnsafeMutableBytes { bytes in
                Result { () throws(Errno) in
                    try system.pread(descriptor.raw, UnsafeMutableRawBufferPointer(rebasing: bytes[kept...]), offset)
                }
            }
            let count: Int
            switch result {
            case .success(let read): count = read
            case .failure(let error): throw FileReadFailure(call: "pread", problem: .failed(error))
            }
            offset += Int64(count)
            if offset > Int64(cap) { throw FileReadFailure(call: "pread", problem: .tooLarge(cap: cap)) }
            let filled = kept + count
            let consumed = buffer.withUnsafeBytes { bytes in
                scanner.scan(UnsafeRawBufferPointer(rebasing: bytes[..<filled]), final: count == 0, hold)
            }
            if count == 0 { return holds }
            kept = filled - consumed
            if kept > 0 && consumed > 0 {
                buffer.withUnsafeMutableBytes { bytes in
                    guard let base = bytes.baseAddress else { return }
                    memmove(base, base + consumed, kept)
                }
            }
        }
    }
}
