import Events
import HAL
import Service

/// One line of `doctor`'s report.
struct DoctorFinding: Hashable, Sendable {
    enum Verdict: String, Hashable, Sendable {
        case pass = "PASS"
        case warn = "WARN"
        case fail = "FAIL"
    }

    var verdict: Verdict
    /// What was checked, e.g. `config`, `serial scanner-1`.
    var subject: String
    /// What was found.
    var detail: String
    /// What to do about a WARN or FAIL.
    var hint: String?

    static func pass(_ subject: String, _ detail: String) -> DoctorFinding {
        DoctorFinding(verdict: .pass, subject: subject, detail: detail, hint: nil)
    }

    static func warn(_ subject: String, _ detail: String, hint: String) -> DoctorFinding {
        DoctorFinding(verdict: .warn, subject: subject, detail: detail, hint: hint)
    }

    static func fail(_ subject: String, _ detail: String, hint: String) -> DoctorFinding {
        DoctorFinding(verdict: .fail, subject: subject, detail: detail, hint: hint)
    }

    var json: JSONValue {
        .object([
            ("verdict", .string(verdict.rawValue)), ("check", .string(subject)), ("detail", .string(detail)),
            ("hint", hint.map { .string($0) } ?? .null),
        ])
    }
}

/// `doctor`: checks the installation and prints PASS/WARN/FAIL per line, each problem with a fix.
enum DoctorCommand {
    static let defaultConfigPath = "/etc/floorlink/site.json"

    static var command: Command {
        Command(
            "doctor",
            abstract: "Check config, ports, GPIO, permissions, data dir, uplinks, clock and the daemon.",
            discussion: "Prints PASS, WARN or FAIL per check, with a fix for each problem. Exits 1 when any "
                + "check fails.",
            options: [
                .option(
                    "config",
                    value: "path",
                    "The site config to check (default: the one the running floorlinkd uses, else "
                        + "\(defaultConfigPath))."
                ),
                DaemonClient.socketOption, FloorctlCommands.jsonFlag,
            ]
        ) { context in
            let socketOverride = DaemonClient.socketOverride(context)
            let explicit = context.arguments.option("config")
            // Without --config, the config the daemon runs (it answers with its path), else the default.
            var daemonConfig: String?
            if explicit == nil {
                let client = DaemonClient(socketPath: socketOverride ?? DaemonClient.defaultSocketPath)
                daemonConfig = (try? await client.call("status", timeout: .seconds(5)))?["config"]?.stringValue
            }
            let configPath = explicit ?? daemonConfig ?? defaultConfigPath
            let findings = await DoctorChecks(
                configPath: configPath,
                socketOverride: socketOverride,
                configFromDaemon: daemonConfig != nil
            ).run()
            if context.arguments.flag("json") {
                Console.line(JSONValue.array(findings.map(\.json)).jsonText)
            } else {
                Console.out(report(findings))
            }
            return findings.contains { $0.verdict == .fail } ? .failure : .success
        }
    }

    /// `PASS  config  …` lines, hints indented below, then a one-line summary.
    static func report(_ findings: [DoctorFinding]) -> String {
        let width = findings.map(\.subject.count).max() ?? 0
        var text = ""
        for finding in findings {
            text += "\(finding.verdict.rawValue)  \(finding.subject.padding(to: width))  \(finding.detail)\n"
            if let hint = finding.hint {
                text += String(repeating: " ", count: width + 8) + "fix: \(hint)\n"
            }
        }
        let count = { (verdict: DoctorFinding.Verdict) in findings.filter { $0.verdict == verdict }.count }
        text += "\n\(count(.pass)) passed, \(count(.warn)) warnings, \(count(.fail)) failed.\n"
        return text
    }
}
