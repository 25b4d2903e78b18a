/// When each generation stopped being current: the `previous` link and the retirement markers.
///
/// The generation `previous` names stopped being current when that link became `previous`: its ctime, which
/// `rename` and `renameat2` set. When a switch pushes a generation out of `previous` (a switch to a third
/// generation), it records that time in a marker `<name>/.retired-<nanoseconds>-<random> -> <generation>`, one
/// `symlinkat` in the directory it fsyncs anyway. Flipping between current and previous writes no marker.
/// gc reads the latest time per generation for its grace period and prunes superseded markers.
enum RetirementMarkers {
    struct Marker {
        var entry: String
        var time: Int64
        var generation: String
    }

    struct Reading {
        var markers: [Marker]
        /// Generation → latest retirement time.
        var latest: [String: Int64]
        /// What `previous` named when it was read (nil: no `previous`).
        var previous: String? = nil
    }

    static func name(time: Int64, suffix: String) -> String {
        let digits = String(max(0, time))
        return Layout.retiredPrefix + String(repeating: "0", count: max(0, 19 - digits.count)) + digits + "-" + suffix
    }

    /// The time in the name of the marker `entry`: what `Int64(_:)` makes of the characters between the prefix and
    /// the next `-`. For an ASCII name (every name the store writes) the same bytes are read from its UTF-8 view,
    /// without walking it by characters.
    static func stamp(of entry: String) -> Int64? {
        let utf8 = entry.utf8
        if utf8.allSatisfy({ $0 < 0x80 }) {
            let digits = utf8.dropFirst(Layout.retiredPrefix.utf8.count).prefix { $0 != UInt8(ascii: "-") }
            return Int64(Substring(digits))
        }
        return Int64(entry.dropFirst(Layout.retiredPrefix.count).prefix { $0 != "-" })
    }

    /// The markers of the name directory `nameFd`; `listing` is its names when the caller has just listed it.
    static func read(
        _ system: any SystemCalls, _ nameFd: Int32, at path: String, listing: [String]? = nil, _ context: String
    ) throws(StoreError) -> Reading {
        var markers: [Marker] = []
        var latest: [String: Int64] = [:]
        let names: [String]
        if let listing { names = listing } else { names = try system.names(nameFd, at: path, context) }
        for entry in names where entry.hasPrefix(Layout.retiredPrefix) {
            guard let time = stamp(of: entry),
                let generation = try system.link(nameFd, entry, at: path + "/" + entry, context)
            else { continue }
            markers.append(Marker(entry: entry, time: time, generation: generation))
            latest[generation] = max(latest[generation] ?? .min, time)
        }
        let previous = try system.link(nameFd, Layout.previous, at: path + "/" + Layout.previous, context)
        if let previous,
            let since = try system.status(nameFd, Layout.previous, at: path + "/" + Layout.previous, context)
        {
            latest[previous] = max(latest[previous] ?? .min, since.changedNanoseconds)
        }
        return Reading(markers: markers, latest: latest, previous: previous)
    }
}
