// swift-tools-version:6.0
// Floorlink: the edge controller for barcode/RFID readers, smart lockers and pick-to-light.
// No package dependencies: the toolchain and system C libraries only (libgpiod is loaded at run time).
import PackageDescription

// Release builds put each function in its own section, so the daemon's link can lay them out (`daemonLayout`).
let strict: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .unsafeFlags(["-Xfrontend", "-function-sections"], .when(configuration: .release)),
]

// A release floorlinkd is linked by lld with the functions a running daemon executes first, in the order of
// Sources/floorlinkd/floorlinkd.order (written by `daemon-bench --order-file`): its resident code is then the pages
// of those functions, not every page the kernel maps around each one it faults in (README: "Speed").
let daemonLayout: [LinkerSetting] = [
    .unsafeFlags(
        [
            "-use-ld=lld",
            "-Xlinker", "--symbol-ordering-file=\(Context.packageDirectory)/Sources/floorlinkd/floorlinkd.order",
            "-Xlinker", "--no-warn-symbol-ordering",
            "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs",
        ],
        .when(platforms: [.linux], configuration: .release)
    )
]

let package = Package(
    name: "Floorlink",
    products: [
        .executable(name: "floorlinkd", targets: ["floorlinkd"]),
        .executable(name: "floorctl", targets: ["floorctl"]),
        .library(name: "HAL", targets: ["HAL"]),
        .library(name: "HALSimulated", targets: ["HALSimulated"]),
        .library(name: "HALLinux", targets: ["HALLinux"]),
        .library(name: "GS1", targets: ["GS1"]),
        .library(name: "Devices", targets: ["Devices"]),
    ],
    targets: [
        // libgpiod, declared here and loaded at run time (libgpiod.so.3, the v2 API, else libgpiod.so.2, the v1 API):
        // nothing is linked, so one build runs on Debian 12 and 13. Tests/CGPIODCheck/run checks the declarations.
        .systemLibrary(name: "CGPIOD"),
        // libserialport 0.1.
        .systemLibrary(
            name: "CSerialPort",
            pkgConfig: "libserialport",
            providers: [.apt(["libserialport-dev"])]
        ),

        // OpenSSL's libcrypto: pickup-code hashing, HMAC signatures, constant-time comparison.
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "openssl",
            providers: [.apt(["libssl-dev"])]
        ),

        // OpenSSL's libssl + libcrypto: TLS for mqtts://.
        .systemLibrary(
            name: "COpenSSLTLS",
            pkgConfig: "openssl",
            providers: [.apt(["libssl-dev"])]
        ),

        // Linux I/O calls Swift's Glibc module lacks (epoll, eventfd, tty ioctls): libc, header only.
        .systemLibrary(name: "CLinuxIO"),

        // The one lock type: a pthread mutex, which ThreadSanitizer sees (Synchronization.Mutex it does not).
        .target(name: "Locking", swiftSettings: strict),
        // The value Logger every layer logs through: logfmt lines, journald priorities.
        .target(name: "Logging", dependencies: ["Locking"], swiftSettings: strict),

        // The I/O engine: the one epoll loop every descriptor waits in, TCP, name resolution, TLS over OpenSSL.
        .target(
            name: "IOEngine",
            dependencies: ["Locking", "Logging", "CLinuxIO", "COpenSSLTLS"],
            swiftSettings: strict
        ),

        // Hardware abstraction: protocols (HAL), real backends (HALLinux), simulated backends (HALSimulated).
        .target(name: "HAL", dependencies: ["Locking"], swiftSettings: strict),
        .target(
            name: "HALLinux",
            dependencies: ["HAL", "Locking", "IOEngine", "CGPIOD", "CSerialPort", "CLinuxIO"],
            swiftSettings: strict
        ),
        .target(name: "HALSimulated", dependencies: ["HAL", "Locking"], swiftSettings: strict),

        // Pure identifier decoding: check digits, GS1 element strings, Digital Link, EPC binary, AIM ids.
        .target(name: "GS1", swiftSettings: strict),
        // The event model: types, JSON, the sink drivers report to.
        .target(name: "Events", swiftSettings: strict),
        // The durable append-only event log with per-uplink cursors.
        .target(name: "Outbox", dependencies: ["Events", "Locking", "IOEngine"], swiftSettings: strict),
        // Drivers: barcode scanner, RFID reader, locker bank, pick-to-light.
        .target(name: "Devices", dependencies: ["HAL", "Locking", "GS1", "Events", "COpenSSL"], swiftSettings: strict),

        // Uplinks: the MQTT 3.1.1 client (plain and TLS), the webhook, command intake.
        .target(
            name: "Uplink",
            dependencies: ["HAL", "Events", "Locking", "Logging", "IOEngine", "COpenSSL", "COpenSSLTLS"],
            swiftSettings: strict
        ),

        // The service: config, wiring, command routing, control socket, health, systemd notify, logging.
        .target(
            name: "Service",
            dependencies: [
                "HAL", "HALLinux", "HALSimulated", "GS1", "Events", "Devices", "Outbox", "Uplink", "Locking",
                "Logging", "IOEngine", "CLinuxIO",
            ],
            swiftSettings: strict
        ),

        // The daemon.
        .executableTarget(
            name: "floorlinkd",
            dependencies: ["Service"],
            exclude: ["floorlinkd.order"],
            swiftSettings: strict,
            linkerSettings: daemonLayout
        ),

        // The technician's CLI: hand-written argument parsing in swift-argument-parser's conventions.
        .executableTarget(
            name: "floorctl",
            dependencies: ["Service", "Devices", "GS1", "HAL", "HALLinux", "Events", "Uplink"],
            swiftSettings: strict
        ),

        // Speed figures, printed (never asserted by a timed unit test).
        .executableTarget(name: "floorlink-bench", dependencies: ["Devices", "GS1", "HAL"], swiftSettings: strict),

        // Builds floorlink_<version>_<arch>.deb with dpkg-deb from the static release build; debian/ holds the
        // maintainer scripts, the example site.json, copyright and changelog (Tests/Package/run installs it).
        .executableTarget(
            name: "floorlink-package",
            dependencies: ["Service"],
            exclude: ["debian"],
            swiftSettings: strict
        ),

        // Test helpers shared by the test targets (child processes with a clean signal mask).
        .target(
            name: "TestSupport",
            dependencies: ["Locking", "CLinuxIO", "Events", "Outbox"],
            path: "Tests/TestSupport",
            swiftSettings: strict
        ),

        // A gpio-sim chip made through configfs: the GPIO contract tests and the VM tests drive the kernel with it.
        .target(name: "GPIOSimSupport", path: "Tests/GPIOSimSupport", swiftSettings: strict),
        // The checks of HALLinux that Tests/VM/run boots under qemu on a kernel with gpio-sim and 16550 UARTs.
        .executableTarget(
            name: "vm-tests",
            dependencies: ["HAL", "HALLinux", "Devices", "Events", "Locking", "GPIOSimSupport"],
            path: "Tests/VMTests",
            swiftSettings: strict
        ),
        .testTarget(
            name: "HALTests",
            dependencies: ["HAL", "HALSimulated", "HALLinux", "IOEngine", "GPIOSimSupport", "TestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "IOEngineTests",
            dependencies: ["IOEngine", "Locking", "TestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "UplinkTests",
            dependencies: [
                "Uplink", "IOEngine", "Events", "Locking", "Logging", "HAL", "HALSimulated", "TestSupport",
                "TransportThreadProbe",
            ],
            swiftSettings: strict
        ),
        // Holds 65 MQTT connections open and prints the thread count before and after, alone in its process.
        .executableTarget(
            name: "TransportThreadProbe",
            dependencies: ["Uplink"],
            path: "Tests/TransportThreadProbe",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "mqtt-bench",
            dependencies: ["Uplink", "Events", "TestSupport"],
            path: "Tests/MQTTBench",
            swiftSettings: strict
        ),
        .testTarget(
            name: "FloorctlTests",
            dependencies: ["Service", "Events", "HAL", "IOEngine", "Locking", "TestSupport"],
            swiftSettings: strict
        ),
        // Appends in a loop and prints each acknowledged seq: the crash test kills it at random points.
        .executableTarget(
            name: "OutboxCrashProbe",
            dependencies: ["Outbox", "Events"],
            path: "Tests/OutboxCrashProbe",
            swiftSettings: strict
        ),
        // Appends per second and MiB/s for each fsync policy: `swift run -c release outbox-bench`.
        .executableTarget(
            name: "outbox-bench",
            dependencies: ["Outbox", "Events"],
            path: "Tests/OutboxBench",
            swiftSettings: strict
        ),
        .testTarget(
            name: "OutboxTests",
            dependencies: ["Outbox", "Events", "IOEngine", "OutboxCrashProbe", "TestSupport"],
            swiftSettings: strict
        ),
        // End to end: the built floorlinkd as a process, with mosquitto and socat where installed.
        .testTarget(
            name: "FloorlinkdTests",
            dependencies: ["Service", "Events", "HAL", "IOEngine", "Locking", "TestSupport", "Uplink"],
            swiftSettings: strict
        ),
        // Fleet figures (N daemons, one broker, a consumer group: lost, duplicates, latency, RSS, CPU), printed.
        .executableTarget(
            name: "fleet-bench",
            dependencies: ["Service", "Devices", "Events", "Locking", "Outbox", "Uplink", "TestSupport"],
            path: "Tests/FleetBench",
            swiftSettings: strict
        ),
        // Daemon figures (startup, RSS, CPU, scan-to-subscriber latency), printed: run with -c release.
        .executableTarget(
            name: "daemon-bench",
            dependencies: ["Service", "Devices", "Events", "Uplink", "Locking", "TestSupport"],
            path: "Tests/DaemonBench",
            swiftSettings: strict
        ),
        .testTarget(
            name: "ServiceTests",
            dependencies: [
                "Service", "Events", "HAL", "Uplink", "Locking", "Outbox", "Devices", "HALSimulated", "IOEngine",
                "TestSupport",
            ],
            swiftSettings: strict
        ),
        .testTarget(name: "EventsTests", dependencies: ["Events"], swiftSettings: strict),
        .testTarget(name: "LoggingTests", dependencies: ["Logging", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "GS1Tests", dependencies: ["GS1", "TestSupport"], swiftSettings: strict),
        // A locker bank that assigns and deposits in a loop, printing what was acknowledged: the crash test kills it.
        .executableTarget(
            name: "LockerCrashProbe",
            dependencies: ["Devices", "HAL", "HALSimulated", "Events"],
            path: "Tests/LockerCrashProbe",
            swiftSettings: strict
        ),
        .testTarget(
            name: "DevicesTests",
            dependencies: ["Devices", "HAL", "HALSimulated", "GS1", "Events", "TestSupport", "LockerCrashProbe"],
            swiftSettings: strict
        ),
    ]
)

if Context.environment["FLOORLINK_FUZZ"] == "1" {
    package.targets += [
        .target(name: "FuzzSupport", path: "Tests/Fuzz/Support", swiftSettings: strict),
        .executableTarget(
            name: "FuzzScanner",
            dependencies: ["FuzzSupport", "Devices", "GS1", "HAL", "Events"],
            path: "Tests/Fuzz/FuzzScanner",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "FuzzM100",
            dependencies: ["FuzzSupport", "Devices"],
            path: "Tests/Fuzz/FuzzM100",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "FuzzCU16",
            dependencies: ["FuzzSupport", "Devices"],
            path: "Tests/Fuzz/FuzzCU16",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "FuzzModbusRTU",
            dependencies: ["FuzzSupport", "Devices"],
            path: "Tests/Fuzz/FuzzModbusRTU",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "FuzzElementString",
            dependencies: ["FuzzSupport", "GS1"],
            path: "Tests/Fuzz/FuzzElementString",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "FuzzDigitalLink",
            dependencies: ["FuzzSupport", "GS1"],
            path: "Tests/Fuzz/FuzzDigitalLink",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "FuzzEPC",
            dependencies: ["FuzzSupport", "GS1"],
            path: "Tests/Fuzz/FuzzEPC",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "FuzzOutbox",
            dependencies: ["FuzzSupport", "Outbox", "Events"],
            path: "Tests/Fuzz/FuzzOutbox",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "FuzzMQTT",
            dependencies: ["FuzzSupport", "Uplink"],
            path: "Tests/Fuzz/FuzzMQTT",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "FuzzCommand",
            dependencies: ["FuzzSupport", "Uplink", "Events"],
            path: "Tests/Fuzz/FuzzCommand",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "FuzzSiteConfig",
            dependencies: ["FuzzSupport", "Service", "Events"],
            path: "Tests/Fuzz/FuzzSiteConfig",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "FuzzControlRequest",
            dependencies: ["FuzzSupport", "Service", "Events"],
            path: "Tests/Fuzz/FuzzControlRequest",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "FuzzJSON",
            dependencies: ["FuzzSupport", "Events"],
            path: "Tests/Fuzz/FuzzJSON",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "FuzzEvent",
            dependencies: ["FuzzSupport", "Events"],
            path: "Tests/Fuzz/FuzzEvent",
            swiftSettings: strict
        ),
    ]
}
