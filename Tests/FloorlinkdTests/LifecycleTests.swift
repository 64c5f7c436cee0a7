import Events
import Glibc
import Service
import TestSupport
import Testing

/// Signals, reloads and sd_notify, on a simulated site (no broker, no serial ports needed).
@Suite("floorlinkd signals, reloads and sd_notify", .timeLimit(.minutes(1)))
struct LifecycleTests {
    @Test(
        "SIGHUP reloads a valid changed config, and keeps running the old one when the new one is broken or an example"
    )
    func sighupReloads() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let socket = scratch.path("control.sock")
        let site = Sites.scanner(scratch, port: "/dev/ttySIM0", hardware: "simulated")
        let config = try scratch.write("site.json", json: site)
        let daemon = try Floorlinkd(config: config, socket: socket, scratch: scratch)
        defer { daemon.stop() }
        let before = try await daemon.waitUntilServing()
        #expect(Control.deviceIDs(before) == ["scanner-1"])

        // A valid change: the scanner is renamed, and the reloaded site serves the new name.
        try scratch.write(
            "site.json",
            json: Sites.scanner(scratch, port: "/dev/ttySIM0", hardware: "simulated", deviceID: "dock-scanner")
        )
        daemon.child.send(SIGHUP)
        let renamed = await eventually(within: .seconds(30)) { () -> [String]? in
            guard let reply = try? await Control.request(socket, op: "status"), let result = reply["result"] else {
                return nil
            }
            let ids = Control.deviceIDs(result)
            return ids == ["dock-scanner"] ? ids : nil
        }
        #expect(renamed != nil, "not reloaded; stderr:\n\(daemon.standardError)")

        // A broken config, then an example one: each refused with the reason on stderr, and the running site keeps
        // answering.
        let refused: [(JSONValue, String)] = [
            (site.setting("sitte", "typo"), "site.json: sitte: unknown key"),
            (site.setting("example", "describe this site"), "site.json: example: this is an example config"),
        ]
        for (count, (document, reason)) in refused.enumerated() {
            try scratch.write("site.json", document.jsonText)
            daemon.child.send(SIGHUP)
            let refusal = await eventually(within: .seconds(30)) { () -> String? in
                let lines = daemon.standardError.split(separator: "\n").filter {
                    $0.contains("SIGHUP: config not reloaded")
                }
                return lines.count > count ? String(lines[count]) : nil
            }
            #expect(refusal?.contains(reason) == true, "stderr:\n\(daemon.standardError)")
            #expect(daemon.child.isRunning)
            let after = try await Control.request(socket, op: "status")
            #expect(after["ok"] == true)
            #expect(after["result"].map(Control.deviceIDs) == ["dock-scanner"])
        }

        daemon.child.send(SIGTERM)
        let status = await daemon.child.waitForExit(timeout: .seconds(30))
        #expect(status == 0, "stderr:\n\(daemon.standardError)")
    }

    @Test("status names the config file the daemon runs, so floorctl doctor checks that one")
    func statusNamesConfig() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let config = try scratch.write(
            "site.json",
            json: Sites.scanner(scratch, port: "/dev/ttySIM0", hardware: "simulated")
        )
        let daemon = try Floorlinkd(config: config, socket: scratch.path("control.sock"), scratch: scratch)
        defer { daemon.stop() }
        let status = try await daemon.waitUntilServing()
        let real = try #require(realpath(config, nil))
        defer { free(real) }
        #expect(status["config"]?.stringValue == String(cString: real))
    }

    @Test("sd_notify: READY=1, WATCHDOG=1 every WATCHDOG_USEC/2, RELOADING=1 on SIGHUP, STOPPING=1 on SIGTERM")
    func systemdNotify() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let notify = try NotifySocket(path: scratch.path("notify.sock"))
        defer { notify.close() }
        let config = try scratch.write(
            "site.json",
            json: Sites.scanner(scratch, port: "/dev/ttySIM0", hardware: "simulated")
        )
        let daemon = try Floorlinkd(
            config: config,
            socket: scratch.path("control.sock"),
            scratch: scratch,
            environment: ["NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "2000000"]
        )
        defer { daemon.stop() }

        let ready = await notify.next(within: .seconds(30))
        let readyLines = ready?.split(separator: "\n").map(String.init) ?? []
        #expect(readyLines.first == "READY=1", "got \(String(describing: ready)); stderr:\n\(daemon.standardError)")
        #expect(readyLines.contains { $0.hasPrefix("STATUS=") })
        // WATCHDOG_USEC is 2 s: a ping every second, the first right after READY.
        let watchdog = await notify.next(within: .seconds(2))
        #expect(watchdog == "WATCHDOG=1")
        let second = await notify.next(within: .milliseconds(1500))
        #expect(second == "WATCHDOG=1")

        daemon.child.send(SIGHUP)
        let (reloading, _) = await notify.nextSkippingWatchdog(within: .seconds(30))
        #expect(reloading?.split(separator: "\n").first == "RELOADING=1", "got \(String(describing: reloading))")
        let (readyAgain, _) = await notify.nextSkippingWatchdog(within: .seconds(30))
        // One READY=1, sent once the reloaded site is up (it carries the new site's STATUS).
        #expect(readyAgain?.split(separator: "\n").first == "READY=1", "got \(String(describing: readyAgain))")
        #expect(readyAgain?.contains("STATUS=running") == true)

        daemon.child.send(SIGTERM)
        let (stopping, _) = await notify.nextSkippingWatchdog(within: .seconds(30))
        #expect(stopping?.split(separator: "\n").first == "STOPPING=1", "got \(String(describing: stopping))")
        let status = await daemon.child.waitForExit(timeout: .seconds(30))
        #expect(status == 0, "stderr:\n\(daemon.standardError)")
    }

    @Test("the control socket answers a malformed request with an error and keeps serving the connection")
    func malformedControlRequest() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let socket = scratch.path("control.sock")
        let config = try scratch.write(
            "site.json",
            json: Sites.scanner(scratch, port: "/dev/ttySIM0", hardware: "simulated")
        )
        let daemon = try Floorlinkd(config: config, socket: socket, scratch: scratch)
        defer { daemon.stop() }
        try await daemon.waitUntilServing()

        let stream = try UnixStream.connect(path: socket)
        defer { stream.close() }
        for malformed in [#"{"id":1,"op":"#, "status please", #"{"id":3}"#, #"{"id":4,"op":"status","args":[]}"#] {
            let reply = try await stream.exchange(malformed)
            #expect(reply["ok"] == false, "\(malformed) → \(reply.jsonText)")
            #expect(reply["id"] == .null)
            #expect(reply["error"]?["code"]?.stringValue == "malformed")
            #expect(reply["error"]?["message"]?.stringValue?.isEmpty == false)
        }
        let unknown = try await stream.exchange(#"{"id":5,"op":"reboot"}"#)
        #expect(unknown["ok"] == false)
        #expect(unknown["id"] == 5)
        #expect(unknown["error"]?["code"]?.stringValue == "unknown-op")

        let status = try await stream.exchange(#"{"id":6,"op":"status"}"#)
        #expect(status["id"] == 6)
        #expect(status["ok"] == true)
        #expect(status["result"]?["controller"]?.stringValue == "c1")
        #expect(daemon.child.isRunning)
    }
}
