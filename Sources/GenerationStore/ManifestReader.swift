import CExportShims

/// The one parser of manifests: reads one in a single pass and never holds its entries, only the one at hand.
///
/// A manifest is JSON (RFC 8259) whose top level is an object with `format`, `source`, `version`, `method`,
/// `published`, `entries` and `sets` (docs/format.md); other keys are skipped. From a file it reads with `pread`:
/// the first 4 KiB, then 64 KiB at a time, so a format 2 header (which comes before `sets`) costs one system call
/// whatever the number of entries. The same parser reads `publish --manifest` input from memory.
///
/// The layout the store writes (format 2, header first: `entries` present) is checked as it is read: the header
/// comes before `sets`, `sets` is last, sets and entries are in strictly increasing byte order (so no name appears
/// twice), and `entries` is the number of entries. Anything else (format 1, the released one, keys sorted so that
/// `source` follows `sets`; or hand-written input) is read whole, in any order.
struct ManifestReader: ~Copyable {
    /// Why a manifest cannot be read, before it is given its path.
    enum Failure: Error {
        case malformed(String)
        case system(String, Errno)
    }

    private let system: (any SystemCalls)?
    private let fd: Int32
    private var buffer: [UInt8]
    /// The next byte to look at, and the end of the valid bytes, in `buffer`.
    private var position = 0
    private var end = 0
    /// The file offset of the next `pread`.
    private var fileOffset: Int64 = 0
    private var atEnd = false
    /// The last `pread` returned less than it was given room for.
    private var lastReadShort = false
    /// Reading stops with an error once this many bytes are read (an unchecked header read's size cap).
    var limit: Int64 = .max
    /// Reused for every string that holds an escape or crosses the end of the buffer.
    private var scratch: [UInt8] = []
    /// Where the string `scanString` read last is: at `token` in `buffer` when it lay there whole without an escape
    /// (most strings: not copied), else in `scratch`. Read through `withToken`, before anything else is read (a
    /// refill moves the buffer).
    private var token: Range<Int> = 0..<0
    private var tokenInScratch = false
    /// Set while a header cache record is read (`readHeaderRecord`): its `generation` and `inode` keys,
    /// which a manifest does not have, are taken into it instead of skipped.
    private var record: HeaderCache.RecordKeys?

    /// The size of the first read: a format 2 header fits in it.
    static let headerReadSize = 4096
    static let readSize = 65536

    /// Reads from `fd` (a regular file, from offset 0) through `system`.
    init(system: any SystemCalls, fd: Int32) {
        self.system = system
        self.fd = fd
        buffer = [UInt8](repeating: 0, count: Self.headerReadSize)
    }

    /// Reads `bytes`.
    init(bytes: [UInt8]) {
        self.init(bytes: bytes, range: 0..<bytes.count)
    }

    /// Reads the part `range` of `bytes`, without copying it (a header cache's lines, each read on its own).
    init(bytes: [UInt8], range: Range<Int>) {
        system = nil
        fd = -1
        buffer = bytes
        position = range.lowerBound
        end = range.upperBound
        atEnd = true
    }

    /// Reads the part `range` of the bytes given to `init(bytes:range:)` next, as a new reader of them would, but
    /// with the string buffer of the reads before (a header cache's lines, read one after another).
    mutating func restart(at range: Range<Int>) {
        precondition(system == nil, "only a reader of bytes restarts")
        position = range.lowerBound
        end = range.upperBound
        record = nil
    }

    // MARK: Reading

    /// Moves what is left to the front and reads more; false at the end of the input.
    private mutating func refill() throws(Failure) -> Bool {
        guard !atEnd, let system else { return false }
        if fileOffset >= limit { throw .malformed("more than \(limit) bytes, the manifest size cap") }
        if position > 0 {
            let left = end - position
            if left > 0 {
                buffer.withUnsafeMutableBytes { raw in
                    guard let base = raw.baseAddress else { return }
                    base.copyMemory(from: base + position, byteCount: left)
                }
            }
            end = left
            position = 0
        }
        // The first read fills the 4 KiB a format 2 header fits in; only a manifest read on past it grows the
        // buffer, by 64 KiB, and only while reads fill what they are given: after a short read (most likely the
        // end of the file) the next read, which finds the end, goes into the room left.
        if fileOffset > 0 && (end == buffer.count || (!lastReadShort && buffer.count - end < Self.readSize / 2)) {
            buffer += [UInt8](repeating: 0, count: Self.readSize)
        }
        let (start, offset, fd) = (end, fileOffset, fd)
        var failure: Errno?
        let count = buffer.withUnsafeMutableBytes { raw -> Int in
            do throws(Errno) {
                return try system.pread(fd, UnsafeMutableRawBufferPointer(rebasing: raw[start...]), offset)
            } catch {
                failure = error
                return 0
            }
        }
        if let failure { throw .system("pread", failure) }
        if count == 0 {
            atEnd = true
            return false
        }
        lastReadShort = count < buffer.count - start
        fileOffset += Int64(count)
        end += count
        return true
    }

    /// The next byte, without consuming it; nil at the end.
    private mutating func peek() throws(Failure) -> UInt8? {
        if position == end, try !refill() { return nil }
        return buffer[position]
    }

    private mutating func skipWhitespace() throws(Failure) {
        while let byte = try peek() {
            guard byte == 0x20 || byte == 0x0A || byte == 0x09 || byte == 0x0D else { return }
            position += 1
        }
    }

    private mutating func expect(_ byte: UInt8, _ what: String) throws(Failure) {
        try skipWhitespace()
        guard try peek() == byte else { throw .malformed("not valid JSON (expected \(what))") }
        position += 1
    }

    /// Runs `body` with the bytes of the string `scanString` read last.
    private func withToken<Result>(_ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result {
        if tokenInScratch { return scratch.withUnsafeBufferPointer(body) }
        let token = token
        return buffer.withUnsafeBufferPointer { body(UnsafeBufferPointer(rebasing: $0[token])) }
    }

    /// A JSON string (escapes undone), then read with `withToken`; the opening quote is next.
    private mutating func scanString() throws(Failure) {
        try skipWhitespace()
        guard try peek() == UInt8(ascii: "\"") else { throw .malformed("not valid JSON (expected a string)") }
        position += 1
        // The whole string in the buffer, without an escape or a control character: left where it is.
        let (first, last) = (position, end)
        let close = buffer.withUnsafeBufferPointer { bytes -> Int? in
            var run = first
            while run < last {
                let byte = bytes[run]
                if byte == UInt8(ascii: "\"") { return run }
                if byte == UInt8(ascii: "\\") || byte < 0x20 { return nil }
                run += 1
            }
            return nil
        }
        if let close {
            token = first..<close
            tokenInScratch = false
            position = close + 1
            return
        }
        tokenInScratch = true
        scratch.removeAll(keepingCapacity: true)
        while true {
            // The run up to a quote, a backslash or a control character, found and copied through the buffers'
            // pointers (no bounds check per byte, one copy per run).
            let (start, stop) = (position, end)
            let run = buffer.withUnsafeBufferPointer { bytes -> Int in
                var run = start
                while run < stop {
                    let byte = bytes[run]
                    if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte < 0x20 { break }
                    run += 1
                }
                if run > start { scratch.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<run])) }
                return run
            }
            position = run
            // At the end of the buffer `peek` reads more; the loop then scans on.
            guard let byte = try peek() else { throw .malformed("not valid JSON (unterminated string)") }
            if byte == UInt8(ascii: "\"") {
                position += 1
                return
            }
            if byte == UInt8(ascii: "\\") {
                position += 1
                try scanEscape()
            } else if byte < 0x20 {
                throw .malformed("not valid JSON (control character in a string)")
            }
        }
    }

    private mutating func scanEscape() throws(Failure) {
        guard let escape = try peek() else { throw .malformed("not valid JSON (unterminated string)") }
        position += 1
        switch escape {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): scratch.append(escape)
        case UInt8(ascii: "b"): scratch.append(0x08)
        case UInt8(ascii: "f"): scratch.append(0x0C)
        case UInt8(ascii: "n"): scratch.append(0x0A)
        case UInt8(ascii: "r"): scratch.append(0x0D)
        case UInt8(ascii: "t"): scratch.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try hex4()
            if (0xD800...0xDBFF).contains(scalar) {
                guard try peek() == UInt8(ascii: "\\") else { throw .malformed("not valid JSON (lone surrogate)") }
                position += 1
                guard try peek() == UInt8(ascii: "u") else { throw .malformed("not valid JSON (lone surrogate)") }
                position += 1
                let low = try hex4()
                guard (0xDC00...0xDFFF).contains(low) else { throw .malformed("not valid JSON (lone surrogate)") }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00...0xDFFF).contains(scalar) {
                throw .malformed("not valid JSON (lone surrogate)")
            }
            guard let unicode = Unicode.Scalar(scalar) else { throw .malformed("not valid JSON (bad escape)") }
            UTF8.encode(unicode) { scratch.append($0) }
        default:
            throw .malformed("not valid JSON (bad escape)")
        }
    }

    private mutating func hex4() throws(Failure) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let byte = try peek() else { throw .malformed("not valid JSON (bad escape)") }
            position += 1
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw .malformed("not valid JSON (bad escape)")
            }
            value = value << 4 | UInt32(digit)
        }
        return value
    }

    /// The string read last as a `String`; invalid UTF-8 is refused.
    /// `where` is only built for the error: a manifest of 20,000 entries names 20,000 places.
    private func scratchString(_ where: @autoclosure () -> String) throws(Failure) -> String {
        let text = withToken { bytes -> String? in
            // ASCII (nearly every name and target) is valid UTF-8 as it is; only other bytes need the validation.
            if bytes.allSatisfy({ $0 < 0x80 }) { return String(decoding: bytes, as: UTF8.self) }
            return String(validating: bytes, as: UTF8.self)
        }
        guard let text else { throw .malformed("invalid value at '\(`where`())' (not UTF-8)") }
        return text
    }

    private mutating func string(_ where: @autoclosure () -> String) throws(Failure) -> String {
        try skipWhitespace()
        guard try peek() == UInt8(ascii: "\"") else { throw .malformed("wrong type at '\(`where`())'") }
        try scanString()
        return try scratchString(`where`())
    }

    /// A JSON integer (no fraction, no exponent) that fits in 64 bits.
    private mutating func integer(_ where: String) throws(Failure) -> Int64 {
        try skipWhitespace()
        var negative = false
        if try peek() == UInt8(ascii: "-") {
            negative = true
            position += 1
        }
        var value: Int64 = 0
        var digits = 0
        var leadingZero = false
        while let byte = try peek(), byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
            if digits == 1 && leadingZero { throw .malformed("not valid JSON (leading zero)") }
            if digits == 0 && byte == UInt8(ascii: "0") { leadingZero = true }
            let digit = Int64(byte - UInt8(ascii: "0"))
            let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) =
                negative ? times.subtractingReportingOverflow(digit) : times.addingReportingOverflow(digit)
            if overflow1 || overflow2 { throw .malformed("wrong type at '\(`where`)'") }
            value = sum
            digits += 1
            position += 1
        }
        guard digits > 0 else { throw .malformed("wrong type at '\(`where`)'") }
        if let byte = try peek(), byte == UInt8(ascii: ".") || byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
            throw .malformed("wrong type at '\(`where`)'")
        }
        return value
    }

    /// True (and consumed) when `null` is next.
    private mutating func null() throws(Failure) -> Bool {
        try skipWhitespace()
        guard try peek() == UInt8(ascii: "n") else { return false }
        try literal("null")
        return true
    }

    private mutating func literal(_ word: StaticString) throws(Failure) {
        for index in 0..<word.utf8CodeUnitCount {
            guard try peek() == word.utf8Start[index] else { throw .malformed("not valid JSON") }
            position += 1
        }
    }

    /// Any JSON value, discarded.
    private mutating func skipValue(depth: Int = 0) throws(Failure) {
        guard depth < 64 else { throw .malformed("not valid JSON (nested too deeply)") }
        try skipWhitespace()
        guard let byte = try peek() else { throw .malformed("not valid JSON") }
        switch byte {
        case UInt8(ascii: "\""):
            try scanString()
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            let close = byte == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]")
            position += 1
            try skipWhitespace()
            if try peek() == close {
                position += 1
                return
            }
            while true {
                if close == UInt8(ascii: "}") {
                    try scanString()
                    try expect(UInt8(ascii: ":"), "':'")
                }
                try skipValue(depth: depth + 1)
                try skipWhitespace()
                guard let next = try peek() else { throw .malformed("not valid JSON") }
                position += 1
                if next == close { return }
                guard next == UInt8(ascii: ",") else { throw .malformed("not valid JSON") }
            }
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        default:
            var seen = 0
            while let next = try peek(),
                (next >= UInt8(ascii: "0") && next <= UInt8(ascii: "9")) || next == UInt8(ascii: "-")
                    || next == UInt8(ascii: "+") || next == UInt8(ascii: ".") || next == UInt8(ascii: "e")
                    || next == UInt8(ascii: "E")
            {
                position += 1
                seen += 1
            }
            if seen == 0 { throw .malformed("not valid JSON") }
        }
    }

    /// After a member: true when another follows (`,`), false at `}`.
    private mutating func nextMember() throws(Failure) -> Bool {
        try skipWhitespace()
        guard let byte = try peek() else { throw .malformed("not valid JSON") }
        position += 1
        if byte == UInt8(ascii: ",") { return true }
        if byte == UInt8(ascii: "}") { return false }
        throw .malformed("not valid JSON (expected ',' or '}')")
    }

    /// True (and consumed) when the object just opened is empty.
    private mutating func emptyObject() throws(Failure) -> Bool {
        try skipWhitespace()
        guard try peek() == UInt8(ascii: "}") else { return false }
        position += 1
        return true
    }

    // MARK: The manifest

    /// Reads the manifest. With `headerOnly`, a format 2 manifest is read only up to `sets` (its header); anything
    /// else is read to the end. `entry` gets every entry (set path, entry name, target) in file order.
    /// `set` gets each set path as it begins (so an empty set is seen too).
    mutating func read(
        headerOnly: Bool, set: (String) throws(Failure) -> Void = { _ in },
        entry: (String, String, String) throws(Failure) -> Void = { _, _, _ in }
    ) throws(Failure) -> ManifestHeader {
        var format: Int?
        var source: String?
        var version: String?
        var method = Manifest.Method.symlink
        var published: Int64?
        var declared: Int?
        var inputs: [String: String]?
        var notes: [String: String]?
        var counted = 0
        var sawSets = false
        var seenKnown: UInt32 = 0
        var seen: [String] = []
        try expect(UInt8(ascii: "{"), "an object")
        if try !emptyObject() {
            repeat {
                try scanString()
                // A known key is matched by its bytes (no `String` made per key: gc and `status` parse a header per
                // generation); any other is made a `String`, for the duplicate check and the messages.
                let known = withToken(Key.matching)
                let key: String
                if let known { key = known.name } else { key = try scratchString("") }
                try expect(UInt8(ascii: ":"), "':'")
                if let known {
                    if seenKnown & known.bit != 0 { throw .malformed("key '\(key)' appears twice") }
                    seenKnown |= known.bit
                } else {
                    if seen.contains(key) { throw .malformed("key '\(key)' appears twice") }
                    seen.append(key)
                }
                if sawSets && declared != nil {
                    throw .malformed("invalid value at '\(key)' (with 'entries', 'sets' comes last)")
                }
                switch known {
                case .format:
                    let value = try integer(key)
                    guard Manifest.formats.contains(Int(value)) else {
                        throw .malformed("manifest format \(value) is not supported (expected 1 or 2)")
                    }
                    format = Int(value)
                case .source:
                    source = try string(key)
                case .version:
                    version = try null() ? nil : try string(key)
                case .method:
                    let text = try string(key)
                    guard let value = Manifest.Method(rawValue: text) else {
                        throw .malformed("invalid value at 'method'")
                    }
                    method = value
                case .published:
                    published = try null() ? nil : try integer(key)
                case .entries:
                    let value = try integer(key)
                    guard value >= 0 else { throw .malformed("invalid value at 'entries'") }
                    declared = Int(value)
                case .inputs:
                    inputs = try null() ? nil : try stringObject(key)
                case .notes:
                    notes = try null() ? nil : try stringObject(key)
                case .generation where record != nil:
                    let value = try string(key)
                    record?.generation = value
                case .inode where record != nil:
                    let value = try integer(key)
                    record?.inode = value
                case .sets:
                    if headerOnly, let source, let declared {
                        return ManifestHeader(
                            format: format ?? 1, source: source, version: version, method: method,
                            published: published, entries: declared, inputs: inputs, notes: notes)
                    }
                    try sets(ordered: declared != nil, count: &counted, set, entry)
                    sawSets = true
                default:
                    try skipValue()
                }
            } while try nextMember()
        }
        try skipWhitespace()
        if try peek() != nil { throw .malformed("not valid JSON (text after the object)") }
        guard let source else { throw .malformed("missing key 'source'") }
        guard sawSets else { throw .malformed("missing key 'sets'") }
        if let declared, declared != counted {
            throw .malformed("invalid value at 'entries' (says \(declared), the sets hold \(counted))")
        }
        return ManifestHeader(
            format: format ?? 1, source: source, version: version, method: method, published: published,
            entries: counted, inputs: inputs, notes: notes)
    }

    /// The top-level keys `read` knows: a manifest's, and those of a header cache record.
    private enum Key: Int, CaseIterable {
        case format, source, version, method, published, entries, inputs, notes, sets
        case generation, inode

        var name: String {
            switch self {
            case .format: "format"
            case .source: "source"
            case .version: "version"
            case .method: "method"
            case .published: "published"
            case .entries: "entries"
            case .inputs: "inputs"
            case .notes: "notes"
            case .sets: "sets"
            case .generation: "generation"
            case .inode: "inode"
            }
        }

        var bit: UInt32 { 1 << UInt32(rawValue) }

        /// The key whose name is `bytes`, if any.
        static func matching(_ bytes: UnsafeBufferPointer<UInt8>) -> Key? {
            // By length and first byte, then one comparison of the bytes with the name's.
            guard let first = bytes.first else { return nil }
            let candidate: Key? =
                switch (bytes.count, first) {
                case (4, UInt8(ascii: "s")): .sets
                case (5, UInt8(ascii: "n")): .notes
                case (5, UInt8(ascii: "i")): .inode
                case (6, UInt8(ascii: "f")): .format
                case (6, UInt8(ascii: "s")): .source
                case (6, UInt8(ascii: "m")): .method
                case (6, UInt8(ascii: "i")): .inputs
                case (7, UInt8(ascii: "v")): .version
                case (7, UInt8(ascii: "e")): .entries
                case (9, UInt8(ascii: "p")): .published
                case (10, UInt8(ascii: "g")): .generation
                default: nil
                }
            guard let candidate else { return nil }
            // A literal's bytes are contiguous: compared in place.
            let equal = candidate.name.utf8.withContiguousStorageIfAvailable { name in
                name.count == bytes.count && (1..<bytes.count).allSatisfy { name[$0] == bytes[$0] }
            }
            return equal ?? candidate.name.utf8.elementsEqual(bytes) ? candidate : nil
        }
    }

    /// One record of a name's header cache (`HeaderCache`), read whole: an object with `generation` and `inode`,
    /// then a manifest header with `entries`, and last `"sets": {}`; nothing may follow it. What the keys of
    /// a manifest header may hold is checked as in a manifest.
    mutating func readHeaderRecord() throws(Failure) -> (keys: HeaderCache.RecordKeys, header: ManifestHeader) {
        record = HeaderCache.RecordKeys()
        // With `entries` before `sets`, the header read stops at `sets`; without, it reads to the end and the
        // `{` below is missing.
        let header = try read(headerOnly: true)
        guard let keys = record else { throw .malformed("not a header record") }
        try expect(UInt8(ascii: "{"), "an empty 'sets'")
        try expect(UInt8(ascii: "}"), "an empty 'sets'")
        try expect(UInt8(ascii: "}"), "the end of the record")
        try skipWhitespace()
        if try peek() != nil { throw .malformed("not valid JSON (text after the record)") }
        return (keys, header)
    }

    /// An object of strings (`inputs`, `notes`).
    private mutating func stringObject(_ where: String) throws(Failure) -> [String: String] {
        try skipWhitespace()
        guard try peek() == UInt8(ascii: "{") else { throw .malformed("wrong type at '\(`where`)'") }
        position += 1
        var result: [String: String] = [:]
        if try emptyObject() { return result }
        repeat {
            try scanString()
            let name = try scratchString(`where`)
            try expect(UInt8(ascii: ":"), "':'")
            result[name] = try string("\(`where`).\(name)")
        } while try nextMember()
        return result
    }

    private mutating func sets(
        ordered: Bool, count: inout Int, _ begin: (String) throws(Failure) -> Void,
        _ entry: (String, String, String) throws(Failure) -> Void
    ) throws(Failure) {
        try expect(UInt8(ascii: "{"), "an object at 'sets'")
        if try emptyObject() { return }
        var previousSet: [UInt8] = []
        var previousEntry: [UInt8] = []
        repeat {
            try scanString()
            if ordered && !previousSet.isEmpty && !withToken({ previousSet.lexicographicallyPrecedes($0) }) {
                throw .malformed("invalid value at 'sets' (with 'entries', sets are in byte order, each once)")
            }
            previousSet.removeAll(keepingCapacity: true)
            withToken { previousSet.append(contentsOf: $0) }
            let set = try scratchString("sets")
            try expect(UInt8(ascii: ":"), "':'")
            try skipWhitespace()
            guard try peek() == UInt8(ascii: "{") else { throw .malformed("wrong type at 'sets.\(set)'") }
            position += 1
            try begin(set)
            if try emptyObject() { continue }
            previousEntry.removeAll(keepingCapacity: true)
            repeat {
                try scanString()
                if ordered && !previousEntry.isEmpty && !withToken({ previousEntry.lexicographicallyPrecedes($0) }) {
                    throw .malformed(
                        "invalid value at 'sets.\(set)' (with 'entries', entries are in byte order, each once)")
                }
                previousEntry.removeAll(keepingCapacity: true)
                withToken { previousEntry.append(contentsOf: $0) }
                let name = try scratchString("sets.\(set)")
                try expect(UInt8(ascii: ":"), "':'")
                let target = try string("sets.\(set).\(name)")
                try entry(set, name, target)
                count += 1
            } while try nextMember()
        } while try nextMember()
    }
}

extension ManifestReader.Failure {
    /// The store's error for a manifest at `path`.
    func storeError(path: String, _ context: String) -> StoreError {
        switch self {
        case .malformed(let reason): StoreError(.badData, context, "malformed manifest: \(reason)", path: path)
        case .system(let call, let errno): .system(call, errno, path: path, context)
        }
    }
}

extension SystemCalls {
    /// Opens a manifest for reading through the one metadata opener (`openMetadata`): `openat` without following a
    /// symlink, without waiting on a FIFO and never taking a terminal, then `fstat`: regular, at most 64 MiB.
    func openManifest(
        _ dirfd: Int32, _ relative: String, at path: @autoclosure () -> String, checked: Bool = true,
        _ context: String
    ) throws(StoreError) -> Descriptor {
        do {
            return try openMetadata(dirfd, relative, cap: MetadataCap.manifest, checked: checked)
        } catch {
            throw .read(error, path: path(), context)
        }
    }

    /// Streams the manifest of the generation `directory` below `dirfd` (`""`: `dirfd` itself): the header, and
    /// each entry to `entry` unless `headerOnly` (then a format 2 manifest costs one `pread` of 4 KiB).
    func streamManifest(
        _ dirfd: Int32, below directory: String = "", at directoryPath: @autoclosure () -> String, headerOnly: Bool,
        checked: Bool = true, _ context: String,
        set: (String) throws(StoreError) -> Void = { _ in },
        entry: (String, String, String) throws(StoreError) -> Void = { _, _, _ in }
    ) throws(StoreError) -> ManifestHeader {
        let relative = directory.isEmpty ? Manifest.fileName : directory + "/" + Manifest.fileName
        func path() -> String { directoryPath() + "/" + Manifest.fileName }
        // An unchecked header read (gc's and status's, one per generation) has no `fstat` before its `pread`: what
        // is not a regular file fails the `pread` (a FIFO, opened without blocking: ESPIPE; a directory: EISDIR) or
        // the parse, and is then refused with the `fstat`'s reason; the size cap is kept by the reader, which stops
        // at it (a format 1 header is read to the end of its file).
        let unchecked = headerOnly && !checked
        let file = try openManifest(dirfd, relative, at: path(), checked: !unchecked, context)
        var reader = ManifestReader(system: self, fd: file.raw)
        if unchecked { reader.limit = Int64(MetadataCap.manifest) }
        var failure: StoreError?
        do throws(ManifestReader.Failure) {
            return try reader.read(
                headerOnly: headerOnly,
                set: { (path) throws(ManifestReader.Failure) in
                    do throws(StoreError) {
                        try set(path)
                    } catch {
                        failure = error
                        throw .malformed("")
                    }
                },
                entry: { (path, name, target) throws(ManifestReader.Failure) in
                    do throws(StoreError) {
                        try entry(path, name, target)
                    } catch {
                        failure = error
                        throw .malformed("")
                    }
                })
        } catch {
            if failure == nil && unchecked {
                do throws(FileReadFailure) {
                    try checkMetadata(file.raw, cap: .max)
                } catch {
                    throw .read(error, path: path(), context)
                }
            }
            throw failure ?? error.storeError(path: path(), context)
        }
    }

    /// The header of a generation's manifest (see `streamManifest`).
    func readManifestHeader(
        _ dirfd: Int32, below directory: String = "", at directoryPath: @autoclosure () -> String,
        checked: Bool = true, _ context: String
    ) throws(StoreError) -> ManifestHeader {
        try streamManifest(dirfd, below: directory, at: directoryPath(), headerOnly: true, checked: checked, context)
    }
}
