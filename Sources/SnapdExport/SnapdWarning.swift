/// A problem found while reading the system: the file concerned and what is wrong with it.
///
/// A warning never stops a refresh: the source it concerns is simply no candidate.
public struct SnapdWarning: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// The absolute path of the file or directory concerned.
    public var path: String
    /// What is wrong, and what follows from it.
    public var message: String

    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { "\(path): \(message)" }
}
