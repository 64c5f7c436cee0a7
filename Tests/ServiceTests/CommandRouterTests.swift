import Events
import Foundation
import Service
import Testing
import Uplink

@Suite("Command router")
struct CommandRouterTests {
    static let site = #"""
        {"site": "ams-1", "controller": "dock-03", "hardware": "simulated", "board": "raspberry-pi-5",
         "devices": [
           {"id": "scanner-1", "kind": "barcode-scanner", "port": "/dev/floorlink/scanner-1"},
           {"id": "lockers-A", "kind": "locker-bank", "doors": [{"id": "A1", "lock": "GPIO17", "sensor": "GPIO27"}]},
           {"id": "ptl-1", "kind": "pick-to-light", "slots": [{"id": "S1", "light": "GPIO5", "button": "GPIO6"}]}
         ]}
        """#

    static func route(
        _ json: String,
        registry: DeviceRegistry = DeviceRegistry()
    ) async throws -> Result<JSONValue?, CommandFailure> {
        let configuration = try SiteConfiguration.parse(
            JSONValue(parsing: site),
            file: "site.json",
            hal: repositoryHALSearch
        )
        let command = try Command(parsing: Array(json.utf8))
        return await CommandRouter(registry: registry, configuration: configuration).execute(command)
    }

    @Test(
        "a command that cannot be carried out gets the code an upstream can act on",
        arguments: [
            (#"{"id":"c1","command":"ptl.light","device":"ptl-9","args":{"slot":"S1"}}"#, "unknown-device"),
            (#"{"id":"c2","command":"ptl.light","device":"lockers-A","args":{"slot":"S1"}}"#, "wrong-device-kind"),
            (#"{"id":"c3","command":"locker.open","device":"scanner-1","args":{"door":"A1"}}"#, "wrong-device-kind"),
            (#"{"id":"c4","command":"ptl.light","device":"ptl-1","args":{}}"#, "bad-args"),
            (#"{"id":"c5","command":"locker.assign","device":"lockers-A","args":{"door":"A1"}}"#, "bad-args"),
            (#"{"id":"c6","command":"locker.open","device":"lockers-A","args":{"door":"A1"}}"#, "device-unavailable"),
            (#"{"id":"c7","command":"device.reset","device":"nope"}"#, "unknown-device"),
        ]
    )
    func failures(json: String, code: String) async throws {
        let result = try await Self.route(json)
        guard case .failure(let failure) = result else {
            Issue.record("expected \(code), got \(result)")
            return
        }
        #expect(failure.code == code, "\(failure.detail)")
    }

    /// Each required argument of each command, from the table `floorctl schema` prints.
    static let requiredArguments: [(CommandName, String)] = CommandName.allCases.flatMap { command in
        command.arguments.filter { $0.requirement == .required }.map { (command, $0.name) }
    }

    @Test(
        "a command without an argument its schema requires is refused with bad-args naming it",
        arguments: requiredArguments
    )
    func missingRequiredArgument(command: CommandName, missing: String) async throws {
        var args: [(String, JSONValue)] = []
        var groups: Set<String> = []
        for argument in command.arguments where argument.name != missing {
            switch argument.requirement {
            case .required: args.append((argument.name, "x"))
            case .oneOfGroup(let group) where groups.insert(group).inserted: args.append((argument.name, "123456"))
            case .optional, .oneOfGroup: break
            }
        }
        let device = command.rawValue.hasPrefix("ptl.") ? "ptl-1" : "lockers-A"
        let json: JSONValue = [
            "id": "c-missing", "command": .string(command.rawValue), "device": .string(device), "args": .object(args),
        ]
        let result = try await Self.route(json.jsonText)
        guard case .failure(let failure) = result else {
            Issue.record("expected bad-args, got \(result)")
            return
        }
        #expect(failure.code == "bad-args")
        #expect(failure.detail == "\(command.rawValue) needs \"\(missing)\"")
    }
}
