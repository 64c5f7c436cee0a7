import Service

/// Parses a command line against the tree, runs the command, and turns every outcome into output and an exit
/// code: help and version to stdout, usage errors and failures to stderr.
struct CommandRunner: Sendable {
    let root: Command

    /// Runs `arguments` (without the program name) and returns the exit code.
    func run(_ arguments: [String]) async -> ExitCode {
        let outcome: ParseOutcome
        do throws(UsageError) {
            outcome = try ArgumentParser(root: root).parse(arguments)
        } catch {
            return report(error)
        }
        switch outcome {
        case .version:
            Console.line("\(root.name) \(FloorlinkVersion.current)")
            return .success
        case .help(let stack):
            Console.out(HelpFormatter(commandStack: stack).help)
            return .success
        case .run(let stack, let parsed):
            guard let command = stack.last, let action = command.action else {
                Console.out(HelpFormatter(commandStack: stack).help)
                return .success
            }
            do {
                return try await action(CommandContext(commandPath: stack.map(\.name), arguments: parsed))
            } catch let error as UsageError {
                return report(error)
            } catch let failure as CommandFailure {
                Console.error("Error: \(failure.message)\n")
                return failure.exitCode
            } catch {
                Console.error("Error: \(error)\n")
                return .failure
            }
        }
    }

    private func report(_ error: UsageError) -> ExitCode {
        let stack = commandStack(for: error.commandPath)
        Console.error("Error: \(error.message)\n" + HelpFormatter(commandStack: stack).usageReminder)
        return .usage
    }

    /// The commands named by `path` (the root first).
    private func commandStack(for path: [String]) -> [Command] {
        var stack = [root]
        for name in path.dropFirst() {
            guard let next = stack.last?.subcommand(named: name) else { break }
            stack.append(next)
        }
        return stack
    }
}
