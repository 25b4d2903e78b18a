import GenerationStore

/// The two union views of snaps' exports for the host (docs/exports.md): every snap's man pages under `@man`,
/// every snap's fonts under `@fonts`. The one home of their exported names, which owner sets feed them, how a
/// union entry names its owner's content, and which owner entries are accepted.
///
/// `@` can never begin a snap instance name (`[a-z0-9-]`, plus `_<key>`), so the union names never meet a snap's
/// own exported name.
public enum UnionKind: String, CaseIterable, Sendable, Codable, Comparable {
    case man, fonts

    /// The exported name of the union: `@man`, `@fonts`.
    public var exportName: String { Self.prefix + rawValue }

    /// What every union name starts with.
    public static let prefix = "@"

    /// True for the exported name of a union.
    public static func isUnionName(_ name: String) -> Bool { name.hasPrefix(prefix) }

    public static func < (lhs: UnionKind, rhs: UnionKind) -> Bool { lhs.rawValue < rhs.rawValue }

    /// The `source` of a union generation's manifest.
    var manifestSource: String { "union:" + rawValue }

    /// The set of the font union (and of an owner's fonts): `fonts`; fontconfig reads `@fonts/current/fonts`.
    public static let fontsSet = "fonts"
    /// The owner sets of man pages start with this; the rest is the union's set (`man/man1` → `man1`).
    static let manSetPrefix = "man/"

    /// The union set an owner's set feeds, or why it feeds none (nil when the set is not of this kind at all).
    func unionSet(ofOwnerSet set: String) -> Result<String, Refusal>? {
        switch self {
        case .fonts:
            if set == Self.fontsSet { return .success(Self.fontsSet) }
            if set.hasPrefix(Self.fontsSet + "/") {
                return .failure(.init("font sets below 'fonts' are not part of the union; put the fonts in 'fonts'"))
            }
            return nil
        case .man:
            guard set.hasPrefix(Self.manSetPrefix) else { return nil }
            let rest = String(set.dropFirst(Self.manSetPrefix.count))
            let parts = rest.split(separator: "/").map(String.init)
            if parts.count == 1, Self.section(ofDirectory: parts[0]) != nil { return .success(rest) }
            if parts.count == 2, Self.isLanguage(parts[0]), Self.section(ofDirectory: parts[1]) != nil {
                return .success(rest)
            }
            return .failure(.init("'\(set)' is not a man section directory ('man/man1' … 'man/man9', 'man/<ll>/manN')"))
        }
    }

    /// `1` … `9` for `man1` … `man9`.
    static func section(ofDirectory directory: String) -> Character? {
        guard directory.count == 4, directory.hasPrefix("man"), let digit = directory.last, ("1"..."9").contains(digit)
        else { return nil }
        return digit
    }

    /// A language directory as man-db reads them: `de`, `pt_BR` (two or three lower-case letters, an optional
    /// `_` and two upper-case letters).
    static func isLanguage(_ part: String) -> Bool {
        let pieces = part.split(separator: "_", omittingEmptySubsequences: false)
        guard pieces.count <= 2, (2...3).contains(pieces[0].count),
            pieces[0].allSatisfy({ $0.isASCII && $0.isLowercase })
        else { return false }
        return pieces.count == 1 || (pieces[1].count == 2 && pieces[1].allSatisfy { $0.isASCII && $0.isUppercase })
    }

    /// How a union judges one owner's entries in one union set, with what that needs of the instance and the set
    /// worked out once (a union build judges every entry of every owner).
    struct EntryJudge {
        let kind: UnionKind
        let snap: String
        let snapDot: String
        let snapDash: String
        let section: Character?

        init(_ kind: UnionKind, unionSet set: String, instance: String) {
            self.kind = kind
            snap = String(instance.prefix { $0 != "_" })
            snapDot = snap + "."
            snapDash = snap + "-"
            section = kind == .man ? UnionKind.section(ofDirectory: String(set.split(separator: "/").last ?? "")) : nil
        }

        /// Why the entry is refused (nil when it is accepted) and, when accepted, its rank among owners contending
        /// for a free name: lower wins, then the instance name.
        ///
        /// For man pages, snapd's namespacing (PR 8079 and the forum's "support for man pages" design): a snap
        /// exports pages named after itself. The page's topic (the name before `.<section>`, compression suffixes
        /// removed) must be the snap's name, or start with the snap's name and `.` (its `<snap>.<app>` commands)
        /// or `-` (its sub-commands' pages, `<snap>-<word>`); the file's section must be the directory's. Parallel
        /// instances (`<snap>_<key>`) use the snap's name. A page whose topic is exactly the snap's name ranks
        /// before one that only shares its prefix.
        func judge(_ entry: String) -> (refusal: Refusal?, rank: Int) {
            switch kind {
            case .fonts:
                return (nil, 0)
            case .man:
                guard let section else { return (.init("not in a man section directory"), 0) }
                guard let (topic, pageSection) = UnionKind.page(entry) else {
                    return (
                        .init("'\(entry)' is not a man page file name (<topic>.<section>[.gz|.bz2|.xz|.lzma|.zst])"), 0
                    )
                }
                guard pageSection.first == section else {
                    return (
                        .init("'\(entry)' is of section \(pageSection), not of the directory's section \(section)"), 0
                    )
                }
                if topic == snap { return (nil, 0) }
                if topic.hasPrefix(snapDot) || topic.hasPrefix(snapDash) { return (nil, 1) }
                return (
                    .init(
                        "page '\(topic)' is not named after the snap (accepted: '\(snap)', '\(snap).*', '\(snap)-*')"),
                    0
                )
            }
        }
    }

    static let compressions = [".gz", ".bz2", ".xz", ".lzma", ".zst", ".Z"]

    /// `htop.1.gz` → (`htop`, `1`); nil unless there is a topic and a section starting with a digit.
    static func page(_ entry: String) -> (topic: String, section: String)? {
        var name = Substring(entry)
        for suffix in compressions where name.hasSuffix(suffix) {
            name = name.dropLast(suffix.count)
            break
        }
        guard let dot = name.lastIndex(of: ".") else { return nil }
        let topic = String(name[..<dot])
        let section = String(name[name.index(after: dot)...])
        guard !topic.isEmpty, let first = section.first, ("1"..."9").contains(first) else { return nil }
        return (topic, section)
    }

    /// Why an entry is not in a union, for people and `exports --json`.
    public struct Refusal: Sendable, Equatable, Error {
        public var reason: String
        init(_ reason: String) { self.reason = reason }
    }
}
