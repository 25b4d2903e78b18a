/// An open file descriptor that is closed exactly once, when it goes out of scope, on every path.
struct Descriptor: ~Copyable {
    let raw: Int32
    private let system: any SystemCalls

    init(_ raw: Int32, _ system: any SystemCalls) {
        self.raw = raw
        self.system = system
    }

    deinit { system.close(raw) }
}
