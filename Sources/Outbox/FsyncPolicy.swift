/// When `Outbox.append` makes a record durable before returning.
public enum FsyncPolicy: Sendable, Equatable {
    /// Every append is synced to disk before it returns, with no added delay.
    case always
    /// Appends arriving within `maxDelay` of the first unsynced one share one sync; each returns after it.
    case groupCommit(maxDelay: Duration)
}
