import Glibc

/// The stamp a deriving layer leaves at the root (`Layout.stamp`; docs/format.md, "The stamp"): what it checked
/// the root against, in its own words. The store reads it, removes it when a writer takes the lock, and writes it
/// for the layer under the lock; it never looks at what it holds.
extension ExportStore {
    /// What the stamp holds; nil when there is none, or it is not a regular file of at most `Layout.stampCap`
    /// bytes, or it cannot be read (all of which a layer must take as "not checked").
    public func stamp() -> [UInt8]? {
        try? system.readMetadata(AT_FDCWD, path(Layout.stamp), cap: Layout.stampCap)
    }
}

extension StoreWriter {
    /// Writes the stamp: `bytes` (at most `Layout.stampCap`) in `<root>/.stamp`, truncated and written in place,
    /// not synced. A reader that meets it half-written reads bytes the layer did not write, which it takes as no
    /// stamp; a crash before it is on disk leaves no stamp or an older one that the layer's words tell apart (a
    /// layer names what it checked against, such as the boot).
    public func writeStamp(_ bytes: [UInt8]) throws(StoreError) {
        let path = store.path(Layout.stamp)
        let context = "cannot write the stamp"
        guard bytes.count <= Layout.stampCap else {
            throw StoreError(.badData, context, "\(bytes.count) bytes, more than \(Layout.stampCap)", path: path)
        }
        let file = try system.call("openat", at: path, context) { () throws(Errno) -> Descriptor in
            try system.openDescriptor(rootFd, Layout.stamp, [.writeOnly, .create, .truncate, .noFollow], mode: 0o644)
        }
        try system.call("write", at: path, context) { () throws(Errno) in try system.write(file.raw, bytes) }
    }

    /// Removes the stamp, as every writer does once it holds the lock: nothing is changed in a root whose stamp
    /// is still there. One `unlinkat`; a directory there (not a stamp the store wrote, and never read as one) is
    /// left for `repair`.
    static func dropStamp(_ system: any SystemCalls, _ rootFd: Int32, _ store: ExportStore) throws(StoreError) {
        do {
            try system.unlinkat(rootFd, Layout.stamp, 0)
        } catch .noSuchFileOrDirectory, .isDirectory {
        } catch {
            throw .system("unlinkat", error, path: store.path(Layout.stamp), "cannot lock export root")
        }
    }
}
