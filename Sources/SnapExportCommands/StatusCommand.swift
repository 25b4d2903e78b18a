import GenerationStore

/// `snap-export status [NAME] [--json]`
enum StatusCommand: Command {
    static let name = "status"
    static let summary = "show each exported name's current, previous and generations"
    static let usage = "status [NAME] [--json]"
    static let details = """
        Reads only; never locks.
          --json   {"names": [{"name", "current", "previous", "generations": [{"name", "entries"}]}]}
        """

    static func run(_ arguments: inout Arguments, _ context: CommandContext) throws -> ExitCode {
        let json = arguments.flag("--json")
        let given = try arguments.positionals()
        if given.count > 1 { throw UsageError("unexpected argument '\(given[1])'") }
        let status = try context.store.status(only: given.first)
        context.console.out(json ? render(json: status) : render(table: status))
        return .success
    }

    static func render(json status: [NameStatus]) -> String {
        JSONValue.object([
            (
                "names",
                .array(
                    status.map { name in
                        .object([
                            ("name", .string(name.name)), ("current", .string(name.current)),
                            ("previous", .string(name.previous)),
                            (
                                "generations",
                                .array(
                                    name.generations.map {
                                        .object([("name", .string($0.name)), ("entries", .int($0.entries))])
                                    })
                            ),
                        ])
                    })
            )
        ]).rendered()
    }

    static func render(table status: [NameStatus]) -> String {
        if status.isEmpty { return "nothing exported yet\n" }
        var table = Table("NAME", "GENERATION", "ENTRIES", "STATE")
        for name in status {
            for generation in name.generations {
                var state: [String] = []
                if generation.name == name.current { state.append("current") }
                if generation.name == name.previous { state.append("previous") }
                table.add(
                    name.name, generation.name, generation.entries.map(String.init) ?? "?",
                    state.joined(separator: ","))
            }
            if name.generations.isEmpty { table.add(name.name, "-", "-", "no generations") }
        }
        return table.rendered()
    }
}
