/// The Floorlink release this build belongs to, shared by the daemon and `floorctl`.
public enum FloorlinkVersion {
    /// The semantic version printed by `floorctl --version` and reported by the daemon.
    public static let current = "0.1.0"
}
