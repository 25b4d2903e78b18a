import GenerationStore
import Testing

/// Which name of a publication a test value goes into.
enum NamePosition: String, CaseIterable, Sendable {
    case exportedName, generation, setPart, entry

    /// `(name, generation, manifest)` with `value` in this position and valid names elsewhere.
    func publication(_ value: String) -> (String, String, Manifest) {
        switch self {
        case .exportedName: return (value, "g1", manifest("x"))
        case .generation: return ("demo", value, manifest("x"))
        case .setPart:
            // A set part cannot hold '/', which separates parts: test that rule with an empty part instead.
            let set = value == "a/b" ? "man//b" : "man/" + value
            return ("demo", "g1", Manifest(source: "t", sets: [set: ["ls.1": "/usr/share/man/man1/ls.1"]]))
        case .entry: return ("demo", "g1", Manifest(source: "t", sets: ["tools": [value: "/usr/bin/true"]]))
        }
    }

    /// Where the accepted value shows on disk, relative to the root.
    func path(_ value: String) -> String {
        switch self {
        case .exportedName: return value + "/g1"
        case .generation: return "demo/" + value
        case .setPart: return "demo/g1/man/" + value + "/ls.1"
        case .entry: return "demo/g1/tools/" + value
        }
    }
}

@Suite("Publish validates every name before writing")
struct PublishValidationTests {
    @Test(
        "publish rejects a name breaking a rule, says which, and creates nothing",
        arguments: NamePosition.allCases, componentRejections)
    func publishRejects(_ position: NamePosition, _ rejection: Rejection) throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        let (name, generation, manifest) = position.publication(rejection.value)
        let error = #expect(throws: StoreError.self) {
            try fixture.write { try $0.publish(name: name, generation: generation, manifest: manifest) }
        }
        #expect(error?.kind == .badData)
        if position != .setPart || rejection.value == "" {
            #expect(error?.description.contains("'\(rejection.shown)'") == true)
        }
        // Only the lock file and the root marker exist: no name directory, no staging directory.
        #expect(fixture.names() == [".lock", Layout.marker])
    }

    @Test(
        "publish accepts a name obeying every rule and makes it visible under that name",
        arguments: NamePosition.allCases, componentAcceptances)
    func publishAccepts(_ position: NamePosition, _ value: String) throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        let (name, generation, manifest) = position.publication(value)
        let outcome = try fixture.write { try $0.publish(name: name, generation: generation, manifest: manifest) }
        #expect(outcome == .published)
        #expect(fixture.exists(position.path(value)))
        #expect(try fixture.store().verify() == [])
    }

    @Test("publish rejects a target breaking a rule and creates nothing", arguments: targetRejections)
    func publishRejectsTarget(_ rejection: Rejection) throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        let manifest = Manifest(source: "t", sets: ["tools": ["snap-exec": rejection.value]])
        let error = #expect(throws: StoreError.self) {
            try fixture.write { try $0.publish(name: "demo", generation: "g1", manifest: manifest) }
        }
        #expect(error?.kind == .badData)
        #expect(error?.description.contains("'\(rejection.shown)'") == true)
        #expect(fixture.names() == [".lock", Layout.marker])
    }

    @Test("publish stores an accepted target byte for byte", arguments: targetAcceptances)
    func publishStoresTarget(_ target: String) throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        let manifest = Manifest(source: "t", sets: ["tools": ["snap-exec": target]])
        try fixture.write { try $0.publish(name: "demo", generation: "g1", manifest: manifest) }
        #expect(fixture.link("demo/g1/tools/snap-exec") == target)
    }

    @Test("switch and rollback reject invalid names before touching anything", arguments: componentRejections)
    func switchRejects(_ rejection: Rejection) throws {
        let fixture = try StoreFixture()
        defer { fixture.remove() }
        try fixture.write { try $0.publish(name: "demo", generation: "g1", manifest: manifest("a")) }
        let before = fixture.names("demo")
        for body: (StoreWriter) throws -> Void in [
            { _ = try $0.switchCurrent(name: "demo", to: rejection.value) },
            { _ = try $0.switchCurrent(name: rejection.value, to: "g1") },
            { _ = try $0.rollback(name: rejection.value) },
        ] {
            let error = #expect(throws: StoreError.self) { try fixture.write(LinuxSystemCalls(), body) }
            #expect(error?.kind == .badData)
        }
        #expect(fixture.names("demo") == before)
    }
}
