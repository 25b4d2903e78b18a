/// Retirement markers: `<name>/.retired-<nanoseconds>-<random> -> <generation>`, one per switch.
///
/// A switch writes one marker (a single `symlinkat` in the directory it fsyncs anyway) to record durably
/// when the displaced generation stopped being current; gc reads the latest marker per generation for its
/// grace period and prunes markers that are superseded or name a removed generation.
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
    }

    static func name(time: Int64) -> String {
        let digits = String(time)
        return Layout.retiredPrefix + String(repeating: "0", count: max(0, 19 - digits.count)) + digits + "-"
            + Clock.randomSuffix()
    }

    static func read(_ system: any SystemCalls, _ nameFd: Int32, at path: String, _ context: String) throws(StoreError)
        -> Reading
    {
        var markers: [Marker] = []
        var latest: [String: Int64] = [:]
        for entry in try system.names(nameFd, at: path, context) where entry.hasPrefix(Layout.retiredPrefix) {
            let stamp = entry.dropFirst(Layout.retiredPrefix.count).prefix { $0 != "-" }
            guard let time = Int64(stamp),
                let generation = try system.link(nameFd, entry, at: path + "/" + entry, context)
            else { continue }
            markers.append(Marker(entry: entry, time: time, generation: generation))
            latest[generation] = max(latest[generation] ?? .min, time)
        }
        return Reading(markers: markers, latest: latest)
    }
}
