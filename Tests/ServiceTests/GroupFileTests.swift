import Glibc
import Testing

@testable import Service

/// The control socket's group found in `/etc/group` without NSS: the right line, and nothing from a line that only
/// looks like it.
struct GroupFileTests {
    static let file = """
        root:x:0:
        floorlinkers:x:1001:
        dialout:x:20:floorlink
        floorlink:x:997:alice,bob
        floorlink:x:998:
        broken
        """

    @Test(
        "a group's GID is read from its line",
        arguments: [
            ("floorlink", 997), ("root", 0), ("dialout", 20), ("floorlinkers", 1001),
            ("floor", nil), ("alice", nil), ("x", nil), ("", nil), ("broken", nil),
        ] as [(String, gid_t?)]
    )
    func groupID(name: String, expected: gid_t?) {
        #expect(GroupFile.groupID(named: name, in: Self.file) == expected)
    }

    @Test("a GID that is not a number is no GID", arguments: ["floorlink:x::", "floorlink:x:99x:", "floorlink:x:-1:"])
    func badGID(line: String) {
        #expect(GroupFile.groupID(named: "floorlink", in: line) == nil)
    }

    @Test("the real /etc/group agrees with getgrnam for root; a missing file reads as empty")
    func realFile() {
        #expect(GroupFile.groupID(named: "root", in: GroupFile.read("/etc/group")) == getgrnam("root")?.pointee.gr_gid)
        #expect(GroupFile.read("/nonexistent/group").isEmpty)
    }
}
