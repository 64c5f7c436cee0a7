import TestSupport
import Testing

/// `daemon-bench --order-file` reads a callgrind profile into the release link's function order: a mistake there
/// lays the daemon out by a wrong profile, and nothing else would notice.
@Suite struct FunctionOrderTests {
    /// Two objects, names given once and referred to by id, a call whose inclusive cost must not count as the
    /// caller's own, a recursive frame, and an address callgrind could not name.
    static let profile = """
        version: 1
        creator: callgrind-3.19.0
        events: Ir
        ob=(1) /usr/lib/x86_64-linux-gnu/libc.so.6
        fl=(1) ???
        fn=(1) memcpy
        0 900
        ob=(2) /opt/floorlink/bin/floorlinkd
        fl=(2) ???
        fn=(2) $s6Outbox6appendyyF
        0 40
        cob=(1)
        cfi=(1)
        cfn=(1)
        calls=3 0
        0 5000
        0 2
        fn=(3) swift_retain
        0 30
        +1 12
        fn=(4) 0x00000000002ecd30
        0 99
        fn=(5) $s3GS15parseyyF
        0 42
        fn=(2)
        0 1
        fn=(7) $s6Outbox6appendyyF'2
        0 3
        ob=(1)
        fn=(6) free
        0 7000
        """

    @Test func ownCostOfTheObjectsFunctionsOnly() {
        let order = FunctionOrder(profile: Self.profile, objectName: "floorlinkd")
        #expect(order.selfCost["$s6Outbox6appendyyF"] == 46)
        #expect(order.selfCost["swift_retain"] == 42)
        #expect(order.selfCost["$s3GS15parseyyF"] == 42)
        #expect(order.selfCost["memcpy"] == nil)
        #expect(order.selfCost["free"] == nil)
    }

    @Test func busiestFirstTiesByNameUnnamedLeftOut() {
        let order = FunctionOrder(profile: Self.profile, objectName: "floorlinkd")
        #expect(order.symbols == ["$s6Outbox6appendyyF", "$s3GS15parseyyF", "swift_retain"])
    }

    @Test(arguments: ["", "version: 1\nevents: Ir\n", "ob=(1) /usr/bin/other\nfn=(1) main\n0 10\n"])
    func profilesWithoutTheObjectGiveNothing(_ profile: String) {
        #expect(FunctionOrder(profile: profile, objectName: "floorlinkd").symbols.isEmpty)
    }
}
