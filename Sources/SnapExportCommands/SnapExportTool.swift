import GenerationStore
import Glibc

/// The `snap-export` command line: parses the global options, dispatches to a command, maps every error to
/// its exit code and a message on standard error. Tests call `run` in-process with a `CapturedConsole`.
public enum SnapExportTool {
    /// Runs one invocation (`arguments` without the program name) and returns the exit code.
    /// The executable's entry: the process's arguments and environment as the kernel gave them, then `run`, then
    /// `exit` with its code. An argument that is not valid UTF-8 is refused (exit 64) rather than decoded with
    /// U+FFFD, which would make a name silently become another.
    ///
    /// The process exits holding what it allocated (the kernel reclaims it whole): releasing the environment and
    /// the arguments would free the process's first native string, whose deinit resolves a type by its mangled
    /// name, ≈ 0.15 ms of page faults and lookups in a run of 3 ms (docs/benchmarks.md, item 5).
    public static func runProcess(console: any Console = StandardConsole()) -> Never {
        var environment: [String: String] = [:]
        var pointer = environ
        while let entry = pointer.pointee {
            // Key and value made from the C string's bytes, with no whole-entry string made and freed on the way
            // (see below why the process frees no native string it need not).
            let bytes = UnsafeRawBufferPointer(start: entry, count: strlen(entry))
            if let equals = bytes.firstIndex(of: UInt8(ascii: "=")) {
                environment[String(decoding: bytes[..<equals], as: UTF8.self)] =
                    String(decoding: bytes[(equals + 1)...], as: UTF8.self)
            }
            pointer += 1
        }
        var arguments: [String] = []
        for index in 1..<Int(CommandLine.argc) {
            guard let raw = CommandLine.unsafeArgv[index] else { continue }
            guard let argument = String(validatingCString: raw) else {
                let bytes = Array(UnsafeBufferPointer(start: raw, count: strlen(raw))).map { UInt8(bitPattern: $0) }
                console.err(
                    Diagnostic.usage(
                        "argument \(index) is not valid UTF-8: '\(NameRules.printable(bytes: bytes))'", usage: mainUsage
                    ))
                exit(ExitCode.usage.rawValue)
            }
            arguments.append(argument)
        }
        let code = run(arguments, environment: environment, console: console)
        withExtendedLifetime((environment, arguments)) { exit(code) }
    }

    public static func run(
        _ arguments: [String], environment: [String: String], console: any Console = StandardConsole(),
        system: any SystemCalls = LinuxSystemCalls()
    ) -> Int32 {
        var arguments = Arguments(arguments)
        let options: GlobalOptions
        do {
            options = try GlobalOptions.extract(from: &arguments, environment: environment)
        } catch {
            console.err(Diagnostic.usage(error.message, usage: mainUsage))
            return ExitCode.usage.rawValue
        }
        var context = CommandContext(options: options, environment: environment, console: console, system: system)
        var words = arguments.items
        if words == ["--version"] {
            console.out("snap-export \(version)\n")
            return ExitCode.success.rawValue
        }
        guard let word = words.first(where: { !$0.hasPrefix("-") }) else {
            if options.help {
                console.out(mainHelp)
                return ExitCode.success.rawValue
            }
            let unknown = words.first.map { "unknown option \($0)" } ?? "no command given"
            console.err(Diagnostic.usage(unknown, usage: mainUsage))
            return ExitCode.usage.rawValue
        }
        if let index = words.firstIndex(of: word) { words.remove(at: index) }
        if word == "help" {
            if let topic = words.first {
                guard let command = Commands.named(topic) else {
                    console.err(Diagnostic.usage("unknown command '\(topic)'", usage: mainUsage))
                    return ExitCode.usage.rawValue
                }
                console.out(help(for: command))
            } else {
                console.out(mainHelp)
            }
            return ExitCode.success.rawValue
        }
        guard let command = Commands.named(word) else {
            console.err(Diagnostic.usage("unknown command '\(word)'", usage: mainUsage))
            return ExitCode.usage.rawValue
        }
        if options.help {
            console.out(help(for: command))
            return ExitCode.success.rawValue
        }
        var rest = Arguments(words)
        do {
            try command.syntax.check(words)
            context.command = command.name
            context.rootUse = command.rootUse
            return try command.run(&rest, context).rawValue
        } catch let error as UsageError {
            console.err(Diagnostic.usage("\(command.name): \(error.message)", usage: "snap-export \(command.usage)"))
            return ExitCode.usage.rawValue
        } catch let error as StoreError {
            console.err(Diagnostic.line("\(error)"))
            return ExitCode(error.kind).rawValue
        } catch {
            console.err(Diagnostic.line("\(error)"))
            return ExitCode.failure.rawValue
        }
    }

    /// The version `--version` prints.
    public static let version = "0.1.0"

    static var mainUsage: String { "snap-export [--root DIR] [--no-wait] COMMAND [ARGS...] (try --help)" }

    static var mainHelp: String {
        let width = Commands.all.map { $0.name.count }.max() ?? 0
        let list = Commands.all.filter { !$0.hidden }.map { "  " + $0.name.padding(width) + "  " + $0.summary }.joined(
            separator: "\n")
        return """
            snap-export keeps /var/lib/snapd/export: immutable generations of exported entries per source, and one
            'current' link per exported name, switched atomically with renameat2 so no tool is ever missing.

            usage: \(mainUsage)

            Commands:
            \(list)

            \(GlobalOptions.usage)

            \(ExitCode.table)

            Run 'snap-export COMMAND --help' for a command's options; see docs/cli.md.

            """
    }

    static func help(for command: any Command.Type) -> String {
        var text = "usage: snap-export \(command.usage)\n\n\(command.summary)\n"
        if !command.details.isEmpty { text += "\n\(command.details)\n" }
        text += "\n\(GlobalOptions.usage)\n\n\(ExitCode.table)\n"
        return text
    }
}

extension String {
    /// Pads with spaces on the right to `width` characters.
    func padding(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
