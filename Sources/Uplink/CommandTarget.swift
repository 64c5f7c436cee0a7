import Events

/// What carries out an authorised, new command (the service's command router implements it).
public protocol CommandTarget: Sendable {
    /// Carries out `command`; returns optional result data, or a failure with a stable code.
    func execute(_ command: Command) async -> Result<JSONValue?, CommandFailure>
}
