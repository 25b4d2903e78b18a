import Glibc

/// The stamp a deriving layer leaves at the root (`Layout.stamp`; docs/format.md, "The stamp"): what it checked
/// the root against, in its own words. The store reads it, removes it before a writer's first change, and writes
/// it for the layer under the lock; it never looks at what it holds.
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
        stampDropped = false
    }

    /// Removes the stamp before this writer's first change: every operation that changes the root (publish,
    /// switch, rollback, retire, repair, removing a generation, emptying `.staging` or `.trash` of something,
    /// completing an interrupted switch, gc's rewrite of a header cache, its pruning of markers and its removal of
    /// a retired name's directory) calls it first, so nothing is ever changed in a root whose stamp is still there,
    /// and a writer that changes nothing (`gc --dry-run`, a gc pass with nothing to remove) leaves it. One `unlinkat` per writer
    /// (until it writes a stamp); a directory there (no stamp the store wrote, never read as one) is left for
    /// `repair`. A stamp that cannot be removed stops the operation before it changes anything.
    func dropStamp(_ context: String) throws(StoreError) {
        if stampDropped { return }
        do {
            try system.unlinkat(rootFd, Layout.stamp, 0)
        } catch .noSuchFileOrDirectory, .isDirectory {
        } catch {
            throw .system("unlinkat", error, path: store.path(Layout.stamp), context)
        }
        stampDropped = true
    }
}
