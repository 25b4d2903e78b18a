import GenerationStore

/// The process exit codes, after `sysexits.h`; listed in `--help` and docs/cli.md.
public enum ExitCode: Int32, Sendable, CaseIterable {
    case success = 0
    case failure = 1
    case usage = 64
    case badData = 65
    case missingInput = 66
    case cannotCreate = 73
    case ioError = 74
    case tryAgain = 75

    /// One line per code, for `--help`.
    static let table = """
        Exit codes:
          0   success (verify: no problem found)
          1   other failure (verify: problems found; gc/repair: something left behind)
          64  usage error (unknown command or option, missing argument)
          65  bad data (invalid name, target or manifest)
          66  missing input (no such exported name, generation, file or previous link; not an export root)
          73  cannot create (generation exists with other content, read-only, permission denied)
          74  input/output error (disk full, EIO)
          75  try again (another writer holds the lock and --no-wait was given)
        """

    init(_ kind: StoreError.Kind) {
        switch kind {
        case .badData: self = .badData
        case .missingInput: self = .missingInput
        case .cannotCreate: self = .cannotCreate
        case .ioError: self = .ioError
        case .busy: self = .tryAgain
        case .other: self = .failure
        }
    }
}
