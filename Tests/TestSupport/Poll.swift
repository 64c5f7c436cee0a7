/// The pause between two looks of a test's polling wait.
public enum Poll {
    /// Sleeps `duration`; false when the task is cancelled. A cancelled `Task.sleep` returns at once, so a polling
    /// loop that ignored it would spin on a cooperative thread until its deadline: with one CPU, the only such
    /// thread, and every other test stalls behind it (see the README, "The suite does not need two CPUs").
    public static func pause(_ duration: Duration) async -> Bool {
        (try? await Task.sleep(for: duration)) != nil
    }
}
