import Logging
import Testing
import Uplink

/// What the uplink says in the log when its broker goes away and comes back.
@Suite("MQTT uplink logging")
struct MQTTUplinkLoggingTests {
    @Test("a broker stopped then restarted: one disconnected line, one connected line, status clear after recovery")
    func brokerRestart() async throws {
        let broker = try await Mosquitto()
        defer { broker.remove() }
        let logs = MemoryLogHandler()
        let uplink = try MQTTUplink(
            url: "mqtt://127.0.0.1:\(broker.port)",
            clientID: "dock-03",
            site: "ams-1",
            controller: "dock-03",
            log: MemoryEventLog(),
            logger: Logger(label: "mqtt", level: .debug, handler: logs),
            configure: TestSupport.fast
        )
        let task = Task { await uplink.run() }
        defer { task.cancel() }
        #expect(await TestSupport.eventually { await uplink.client.connectionCount == 1 })
        let atStart = logs.entries.count

        await broker.stop()
        // Several refused retries (each logged at debug level only) before the broker comes back.
        #expect(
            await TestSupport.eventually { logs.entries.filter { $0.message == "still cannot connect" }.count >= 3 }
        )
        #expect(await uplink.status().lastError != nil)
        try await broker.start()
        #expect(await TestSupport.eventually { await uplink.client.connectionCount == 2 })

        let outage = logs.entries.dropFirst(atStart).filter { $0.level >= .info }
        let lines = outage.map(\.line).joined(separator: "\n")
        #expect(outage.filter { $0.message == "disconnected" }.count == 1, "\(lines)")
        #expect(outage.filter { $0.message == "cannot connect" }.count == 1, "\(lines)")
        #expect(outage.filter { $0.message == "connected" }.count == 1, "\(lines)")
        #expect(outage.last?.message == "connected", "\(lines)")
        #expect(outage.last?.metadata["broker"] == "127.0.0.1:\(broker.port)")
        #expect(outage.first?.metadata["reason"]?.contains("lost") == true, "\(lines)")
        let status = await uplink.status()
        #expect(status.isConnected)
        #expect(status.lastError == nil, "\(status.lastError ?? "")")
        await uplink.stop()
    }
}
