/// How full the outbox is against its quota; an alarm is appended each time the level rises.
enum QuotaLevel: Int, Comparable, Sendable {
    case normal
    /// At least 80 %.
    case warning
    /// At least 95 %.
    case critical

    /// The level for `usedBytes` of `quotaBytes`.
    init(usedBytes: Int, quotaBytes: Int) {
        if usedBytes * 100 >= quotaBytes * 95 {
            self = .critical
        } else if usedBytes * 100 >= quotaBytes * 80 {
            self = .warning
        } else {
            self = .normal
        }
    }

    static func < (lhs: QuotaLevel, rhs: QuotaLevel) -> Bool { lhs.rawValue < rhs.rawValue }
}
