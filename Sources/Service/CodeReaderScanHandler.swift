import Devices

/// Takes a locker bank's code-reader scans as pickup-code attempts: handled locally (works offline), never
/// published, and the scanner beeps good only for a code that opened a door.
struct CodeReaderScanHandler: ScanHandler {
    let bank: String
    let keypad: String
    let registry: DeviceRegistry
    let logger: Logger

    func handle(_ scan: Scan) async -> ScanOutcome {
        guard let locker = registry.lockerBank(bank) else {
            logger.warning("pickup code read while the locker bank is not running", ["locker": bank, "keypad": keypad])
            return .rejected
        }
        do throws(LockerError) {
            let door = try await locker.submitCode(scan.decoded.payload, keypad: keypad)
            logger.info("pickup code accepted", ["locker": bank, "door": door])
            return .accepted
        } catch {
            // The bank has already emitted locker.code.rejected; the code itself is never logged.
            logger.info("pickup code rejected", ["locker": bank, "keypad": keypad, "reason": error.code])
            return .rejected
        }
    }
}
