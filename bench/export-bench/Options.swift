/// The command line of export-bench.
struct Options {
    /// How much work each item does.
    enum Scale: String {
        /// The tiny counts of the smoke test (well under a few seconds).
        case smoke
        /// Small counts for every item: seconds in all.
        case quick
        /// The counts the issue asks for; about ten minutes at most on 2 cores.
        case full
    }

    var scale = Scale.full
    var jsonPath: String?
    var svgPath: String?
    /// Item 9's chart: time against instances per command.
    var scaleSVGPath: String?
    /// Adds item 9's host of 3,000 instances to the full run.
    var markdownPath: String?
    /// Where the scratch directory for "the working directory's filesystem" is made.
    var workingDirectory = "."
    var allowDebug = false
    var only: Set<String> = []
    /// `--scale-host N DIR`: only build item scale's host of N instances in DIR (kept) and print its options.
    var scaleHost: (instances: Int, directory: String)?

    static let usage = """
        usage: export-bench [--quick | --smoke] [--json FILE] [--svg FILE] [--scale-svg FILE]
                            [--markdown FILE] [--dir DIR] [--only ITEM,...] [--allow-debug]
               export-bench --scale-host N DIR
          --quick          every item with small counts (seconds in all)
          --smoke          even smaller counts, for the smoke test
          --json FILE      write every figure and sample count as JSON
          --svg FILE       write the switch latency chart (per method and filesystem) as SVG
          --scale-svg FILE write item scale's chart (median time against instances, per command) as SVG
          --markdown FILE  write the result tables as Markdown (for docs/benchmarks.md)
          --dir DIR        make the scratch directory here (default: the working directory); its filesystem
                           is the "working directory" filesystem of the report
          --only ITEMS     run only these items: switch, scaling, publish, readers, cli, gc, union, scale
          --allow-debug    run the full benchmark in a debug build anyway (figures are meaningless)
          --scale-host N DIR  build item scale's host of N instances in DIR (an empty or new directory), keep
                           it, print the global options that point snap-export at it, and exit (for perf)
        Run as root to add a private tmpfs, loop-mounted xfs and btrfs images, and mount namespaces for gc and
        for item scale's in-use.
        """

    static func parse(_ arguments: [String]) -> Result<Options, BenchError> {
        var options = Options()
        var index = 0
        func value(_ option: String) -> Result<String, BenchError> {
            index += 1
            guard index < arguments.count, !arguments[index].isEmpty else {
                return .failure(BenchError("option \(option) needs a value"))
            }
            return .success(arguments[index])
        }
        while index < arguments.count {
            let argument = arguments[index]
            switch argument {
            case "--quick": options.scale = .quick
            case "--smoke": options.scale = .smoke
            case "--allow-debug": options.allowDebug = true
            case "--json", "--svg", "--scale-svg", "--markdown", "--dir", "--only":
                switch value(argument) {
                case .failure(let error): return .failure(error)
                case .success(let text):
                    switch argument {
                    case "--json": options.jsonPath = text
                    case "--svg": options.svgPath = text
                    case "--scale-svg": options.scaleSVGPath = text
                    case "--markdown": options.markdownPath = text
                    case "--dir": options.workingDirectory = text
                    default:
                        options.only = Set(text.split(separator: ",").map(String.init))
                        let known: Set = ["switch", "scaling", "publish", "readers", "cli", "gc", "union", "scale"]
                        if let bad = options.only.subtracting(known).first {
                            return .failure(BenchError("unknown item '\(bad)'"))
                        }
                    }
                }
            case "--scale-host":
                guard index + 2 < arguments.count, let count = Int(arguments[index + 1]), count > 0,
                    !arguments[index + 2].isEmpty
                else {
                    return .failure(BenchError("--scale-host needs a number of instances and a directory"))
                }
                options.scaleHost = (count, arguments[index + 2])
                index += 2
            case "-h", "--help": return .failure(BenchError(""))
            default: return .failure(BenchError("unknown argument '\(argument)'"))
            }
            index += 1
        }
        return .success(options)
    }

    /// True when `item` should run.
    func runs(_ item: String) -> Bool { only.isEmpty || only.contains(item) }
}

/// A failure that stops the benchmark, with a message for stderr.
struct BenchError: Error {
    var message: String
    init(_ message: String) { self.message = message }
}
