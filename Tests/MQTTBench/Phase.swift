/// Which measurement the subscriber is in.
actor Phase {
    private(set) var isWarm = false
    func warm() { isWarm = true }
}
