import Events
import Foundation
import HAL
import HALSimulated
import IOEngine
import Logging
import TestSupport
import Testing

@testable import Uplink

@Suite("Webhook uplink")
struct WebhookUplinkTests {
    static let fast = WebhookBackoff(
        initial: .milliseconds(20),
        maximum: .milliseconds(100),
        jitter: 0.5,
        maximumRetryAfter: .seconds(2),
        rejectedRetryInterval: .seconds(60)
    )

    private func uplink(
        _ server: WebhookTestServer,
        _ log: WebhookEventLog,
        batchSize: Int = 100,
        taskExecutor: (any TaskExecutor)? = nil
    ) -> WebhookUplink {
        WebhookUplink(
            url: server.endpoint,
            secret: WebhookFixtures.secret,
            log: log,
            batchSize: batchSize,
            backoff: Self.fast,
            now: { WebhookFixtures.now },
            taskExecutor: taskExecutor
        )
    }

    /// An uplink on `clock` sending batches of up to 10, a shorter one first waiting `batchDelay` for more.
    private func lingering(
        _ server: WebhookTestServer,
        _ log: WebhookEventLog,
        clock: ManualClock,
        batchDelay: Duration
    ) -> WebhookUplink {
        WebhookUplink(
            url: server.endpoint,
            secret: WebhookFixtures.secret,
            log: log,
            batchSize: 10,
            batchDelay: batchDelay,
            backoff: Self.fast,
            now: { WebhookFixtures.now },
            clock: clock
        )
    }

    private func seqs(in body: [UInt8]) throws -> [Int64] {
        guard case .array(let events) = try JSONValue(parsing: body)["events"] else { return [] }
        return events.compactMap { $0["seq"]?.intValue }
    }

    @Test("the signing worked example matches openssl")
    func signingExample() {
        let body = Array(#"{"events":[{"v":1}]}"#.utf8)
        let expected = "sha256=1ca4d989fb700dc42fa53574add564e17a052d3e40bd6f372f76df510e9fa7f6"
        #expect(
            WebhookSigning.signature(secret: WebhookFixtures.secret, timestamp: 1_795_341_600, body: body) == expected
        )
        #expect(
            WebhookSigning.isValid(
                header: expected,
                secret: WebhookFixtures.secret,
                timestamp: 1_795_341_600,
                body: body
            )
        )
        #expect(
            !WebhookSigning.isValid(
                header: expected,
                secret: WebhookFixtures.secret,
                timestamp: 1_795_341_601,
                body: body
            )
        )
    }

    @Test(
        "batches arrive in order with the documented headers and a valid signature",
        arguments: [false, true]
    )
    func batchesInOrder(onLoop: Bool) async throws {
        let server = try WebhookTestServer()
        let log = WebhookEventLog(events: WebhookFixtures.events(1...5))
        // On the loop, the uplink and its HTTP client live there as the daemon runs them.
        let taskExecutor: (any TaskExecutor)? = onLoop ? try IOLoop.shared() : nil
        let uplink = uplink(server, log, batchSize: 2, taskExecutor: taskExecutor)
        let run = Task(executorPreference: taskExecutor) { await uplink.run() }
        let first = await log.waitForCursor("webhook", 5)
        let statusAfterFirst = await uplink.status
        #expect(first, "status \(statusAfterFirst) requests \(server.requests.count)")
        await log.append(WebhookFixtures.events(6...7))
        let second = await log.waitForCursor("webhook", 7)
        let statusAfterSecond = await uplink.status
        #expect(second, "status \(statusAfterSecond) requests \(server.requests.count)")
        run.cancel()
        await run.value
        await server.stop()

        let requests = server.requests
        try #require(requests.count == 4)
        var delivered: [Int64] = []
        for request in requests {
            #expect(request.method == "POST")
            #expect(request.path == server.path)
            #expect(request.headers["content-type"] == "application/json")
            #expect(request.headers["x-floorlink-timestamp"] == "1795341600")
            let batch = try seqs(in: request.body)
            let events = WebhookFixtures.events(1...7)
            let first = try #require(batch.first.map { events[Int($0) - 1].id.description })
            let last = try #require(batch.last.map { events[Int($0) - 1].id.description })
            #expect(request.headers["idempotency-key"] == "\(first)..\(last)")
            let signature = try #require(request.headers["x-floorlink-signature"])
            #expect(
                WebhookSigning.isValid(
                    header: signature,
                    secret: WebhookFixtures.secret,
                    timestamp: 1_795_341_600,
                    body: request.body
                )
            )
            delivered += batch
        }
        #expect(delivered == [1, 2, 3, 4, 5, 6, 7])
        #expect(try seqs(in: requests[0].body) == [1, 2])
        let expectedBody = "{\"events\":[" + WebhookFixtures.events(1...2).map(\.jsonText).joined(separator: ",") + "]}"
        #expect(requests[0].body == Array(expectedBody.utf8))
        let status = await uplink.status
        #expect(status.state == .connected)
        #expect(status.lastHTTPStatus == 200)
        #expect(status.acknowledgedSeq == 7)
        #expect(status.lagMilliseconds == 0)
        #expect(status.delivered == 4)
    }

    @Test(
        "a short batch waits batchDelay by the uplink's clock and takes the events that follow; full batches go at once",
        arguments: [(3, []), (25, [10, 10])] as [(UInt64, [Int])]
    )
    func batchDelayGathersEvents(stored: UInt64, sentAtOnce: [Int]) async throws {
        let server = try WebhookTestServer()
        let log = WebhookEventLog(events: WebhookFixtures.events(1...stored))
        let clock = ManualClock()
        let uplink = lingering(server, log, clock: clock, batchDelay: .milliseconds(200))
        let run = Task { await uplink.run() }
        await clock.waitForSleepers(1)
        #expect(clock.nextDeadline == clock.now + .milliseconds(200))
        #expect(try server.requests.map { try seqs(in: $0.body).count } == sentAtOnce)
        await log.append(WebhookFixtures.events((stored + 1)...(stored + 2)))
        clock.advance(by: .milliseconds(200))
        let delivered = await log.waitForCursor("webhook", stored + 2)
        run.cancel()
        await run.value
        await server.stop()

        #expect(delivered, "requests \(server.requests.count)")
        let batches = try server.requests.map { try seqs(in: $0.body) }
        #expect(batches.dropLast().map(\.count) == sentAtOnce)
        let firstHeld = Int64(sentAtOnce.reduce(0, +) + 1)
        #expect(batches.last == Array(firstHeld...Int64(stored) + 2))
    }

    /// A daemon that stops calls `stop` with its outbox head: what the outbox holds (`controller.stopping` last) must
    /// reach the receiver before it exits, not wait out `batchDelay` and go with the next start.
    @Test(
        "stop delivers the outbox through its head at once, without waiting out batchDelay, and run returns",
        arguments: [false, true]
    )
    func stopDeliversTheLastEvents(stopBeforeRun: Bool) async throws {
        let server = try WebhookTestServer()
        let log = WebhookEventLog(events: WebhookFixtures.events(1...3))
        let clock = ManualClock()
        let uplink = lingering(server, log, clock: clock, batchDelay: .seconds(10))
        let started = clock.now
        let run: Task<Void, Never>
        if stopBeforeRun {
            await log.append(WebhookFixtures.events(4...4))
            await uplink.stop(drainTimeout: .seconds(4), deliveringThrough: 4)
            run = Task { await uplink.run() }
        } else {
            run = Task { await uplink.run() }
            // The three events linger in `batchDelay`, waiting for more; the stopping event follows.
            await clock.waitForSleepers(1)
            #expect(server.requests.isEmpty)
            await log.append(WebhookFixtures.events(4...4))
            await uplink.stop(drainTimeout: .seconds(4), deliveringThrough: 4)
        }
        await run.value
        await server.stop()
        #expect(try server.requests.flatMap { try seqs(in: $0.body) } == [1, 2, 3, 4])
        #expect(try await log.cursor(for: "webhook") == 4)
        #expect(await uplink.status.acknowledgedSeq == 4)
        #expect(clock.now == started, "nothing waited on the uplink's clock")
    }

    @Test("stop gives up after drainTimeout when the receiver is down; the events stay in the outbox")
    func stopDoesNotWaitForADeadReceiver() async throws {
        let probe = try WebhookTestServer()
        let url = probe.endpoint
        await probe.stop()
        let log = WebhookEventLog(events: WebhookFixtures.events(1...2))
        let clock = ManualClock()
        // Retries 10 s apart, so that the drain's 4 s bound is the first wait to end.
        let backoff = WebhookBackoff(initial: .seconds(10), maximum: .seconds(10), jitter: 0)
        let uplink = WebhookUplink(url: url, secret: WebhookFixtures.secret, log: log, backoff: backoff, clock: clock)
        let run = Task { await uplink.run() }
        await clock.waitForSleepers(1)
        let started = clock.now
        let stopped = Task { await uplink.stop(drainTimeout: .seconds(4), deliveringThrough: 2) }
        // The drain: refused again and backing off, beside its 4 s bound.
        await clock.waitForSleepers(2)
        #expect(clock.nextDeadline == started + .seconds(4))
        clock.advance(by: .seconds(4))
        await stopped.value
        await run.value
        #expect(try await log.cursor(for: "webhook") == 0)
        let status = await uplink.status
        #expect(status.state == .failing)
        #expect(status.failures == 2)
    }

    @Test("500 then 200: retried with the same Idempotency-Key, acknowledged once delivered")
    func retriesServerErrors() async throws {
        let server = try WebhookTestServer(replies: [.init(status: 500, body: "boom")])
        let log = WebhookEventLog(events: WebhookFixtures.events(1...3))
        let uplink = uplink(server, log)
        let run = Task { await uplink.run() }
        #expect(await log.waitForCursor("webhook", 3))
        run.cancel()
        await run.value
        await server.stop()
        let requests = server.requests
        // `#require`: indexing a shorter array after a failed expectation would crash the whole test process.
        try #require(requests.count == 2)
        #expect(requests[0].headers["idempotency-key"] == requests[1].headers["idempotency-key"])
        #expect(requests[0].body == requests[1].body)
        let status = await uplink.status
        #expect(status.state == .connected)
        #expect(status.failures == 1)
        #expect(status.lastError == nil)
        // Only the delivering POST is timed: one batch delivered, one latency observed.
        #expect(await uplink.publishLatency.count == 1)
    }

    @Test("three 503s then 200: one line says HTTP 503 holds the batch (with the retry delay), one says delivering")
    func failureLoggedOnce() async throws {
        let busy = WebhookTestServer.Reply(status: 503, body: "busy")
        let server = try WebhookTestServer(replies: [busy, busy, busy])
        let log = WebhookEventLog(events: WebhookFixtures.events(1...2))
        let logs = MemoryLogHandler()
        let uplink = WebhookUplink(
            url: server.endpoint,
            secret: nil,
            log: log,
            backoff: Self.fast,
            now: { WebhookFixtures.now },
            logger: Logger(label: "webhook", level: .debug, handler: logs)
        )
        let run = Task { await uplink.run() }
        #expect(await log.waitForCursor("webhook", 2))
        run.cancel()
        await run.value
        await server.stop()
        let lines = logs.entries.filter { $0.level >= .info }
        let text = lines.map(\.line).joined(separator: "\n")
        #expect(server.requests.count == 4)
        #expect(lines.map(\.message) == ["HTTP 503 holds the batch", "delivering"], "\(text)")
        #expect(lines.first?.metadata["status"] == "503")
        #expect(lines.first?.metadata["retry_in_ms"].flatMap { Int($0) }.map { $0 > 0 } == true, "\(text)")
        #expect(logs.entries.filter { $0.message == "batch still held" }.count == 2, "\(text)")
        #expect(await uplink.status.lastError == nil)
    }

    @Test("429 with Retry-After: 1 waits a second by the uplink's clock before the retry")
    func honoursRetryAfter() async throws {
        let server = try WebhookTestServer(replies: [.init(status: 429, headers: ["Retry-After: 1"])])
        let log = WebhookEventLog(events: WebhookFixtures.events(1...1))
        let clock = ManualClock()
        let uplink = WebhookUplink(
            url: server.endpoint,
            secret: WebhookFixtures.secret,
            log: log,
            backoff: Self.fast,
            now: { WebhookFixtures.now },
            clock: clock
        )
        let run = Task { await uplink.run() }
        #expect(await server.waitForRequests(1))
        await clock.waitForSleepers(1)
        #expect(clock.nextDeadline == clock.now + .seconds(1))
        #expect(server.requests.count == 1)
        clock.advance(by: .seconds(1))
        let delivered = await log.waitForCursor("webhook", 1)
        let statusNow = await uplink.status
        #expect(delivered, "status \(statusNow) requests \(server.requests.count)")
        run.cancel()
        await run.value
        await server.stop()
        #expect(server.requests.count == 2)
    }

    @Test("400 is not retried quickly; status reports it and the answer's first 200 bytes")
    func rejectedIsNotRetried() async throws {
        let answer = String(repeating: "a", count: 200) + String(repeating: "b", count: 300)
        let server = try WebhookTestServer(replies: [.init(status: 400, body: answer)])
        let log = WebhookEventLog(events: WebhookFixtures.events(1...2))
        let lines = LogRecorder()
        let clock = ManualClock()
        let uplink = WebhookUplink(
            url: server.endpoint,
            secret: nil,
            log: log,
            backoff: Self.fast,
            now: { WebhookFixtures.now },
            clock: clock,
            logger: lines.logger
        )
        let run = Task { await uplink.run() }
        #expect(await server.waitForRequests(1))
        // The uplink waits the rejected-batch interval (60 s here), not the fast backoff's 20–100 ms.
        await clock.waitForSleepers(1)
        #expect(clock.nextDeadline == clock.now + Self.fast.rejectedRetryInterval)
        clock.advance(by: Self.fast.rejectedRetryInterval - .seconds(1))
        let status = await uplink.status
        run.cancel()
        await run.value
        await server.stop()
        #expect(server.requests.count == 1)
        #expect(server.requests.first?.headers["x-floorlink-signature"] == nil)
        #expect(status.state == .failing)
        #expect(status.lastHTTPStatus == 400)
        #expect(status.lastError?.contains(String(repeating: "a", count: 200)) == true)
        #expect(status.lastError?.contains("ab") == false)
        #expect(status.acknowledgedSeq == 0)
        #expect(status.lagMilliseconds == 9_999)
        #expect(try await log.cursor(for: "webhook") == 0)
        #expect(lines.all.contains { $0.contains("HTTP 400 holds the batch") && $0.contains("retry_in_ms=60000") })
    }

    @Test("a redirect is not followed: the batch is held and status names where it pointed")
    func redirectRefused() async throws {
        let server = try WebhookTestServer(replies: [
            .init(status: 301, headers: ["Location: https://elsewhere.example/floor-events"])
        ])
        let log = WebhookEventLog(events: WebhookFixtures.events(1...1))
        let clock = ManualClock()
        let uplink = WebhookUplink(url: server.endpoint, secret: nil, log: log, backoff: Self.fast, clock: clock)
        let run = Task { await uplink.run() }
        await clock.waitForSleepers(1)  // held after the refused redirect
        let status = await uplink.status
        run.cancel()
        await run.value
        await server.stop()
        #expect(server.requests.count == 1)
        #expect(status.state == .failing)
        #expect(status.lastHTTPStatus == 301)
        #expect(status.lastError?.contains("redirect to https://elsewhere.example/floor-events refused") == true)
        #expect(try await log.cursor(for: "webhook") == 0)
    }

    @Test("connection refused is retried until the server comes up")
    func serverDown() async throws {
        let probe = try WebhookTestServer()
        let port = probe.port
        let url = probe.endpoint
        await probe.stop()
        let log = WebhookEventLog(events: WebhookFixtures.events(1...2))
        let clock = ManualClock()
        let uplink = WebhookUplink(url: url, secret: WebhookFixtures.secret, log: log, backoff: Self.fast, clock: clock)
        let run = Task { await uplink.run() }
        // Two refused attempts, each followed by a backoff wait on the uplink's clock.
        await clock.waitForSleepers(1)
        clock.advance(to: try #require(clock.nextDeadline))
        await clock.waitForSleepers(1)
        let down = await uplink.status
        #expect(down.state == .failing)
        #expect(down.lastHTTPStatus == nil)
        #expect(down.lastError != nil)
        #expect(down.failures >= 2)
        let server = try WebhookTestServer(port: port, path: probe.path)
        clock.advance(to: try #require(clock.nextDeadline))
        #expect(await log.waitForCursor("webhook", 2))
        run.cancel()
        await run.value
        await server.stop()
        #expect(server.requests.count == 1)
        #expect(await uplink.status.state == .connected)
    }

    @Test(
        "Retry-After as seconds or an HTTP date",
        arguments: [
            ("1", Duration.seconds(1)), (" 120 ", .seconds(120)), ("Sun, 22 Nov 2026 10:00:30 GMT", .seconds(30)),
            ("Sun, 22 Nov 2026 09:00:00 GMT", .zero),
        ] as [(String, Duration)]
    )
    func retryAfter(_ value: String, _ expected: Duration) {
        #expect(WebhookRetryAfter.delay(value, now: WebhookFixtures.now) == expected)
    }

    @Test(
        "unreadable Retry-After values are ignored",
        arguments: ["soon", "-1", "1.5", "22 Nov 2026 10:00:30 GMT", ""]
    )
    func badRetryAfter(_ value: String) {
        #expect(WebhookRetryAfter.delay(value, now: WebhookFixtures.now) == nil)
    }

    @Test("backoff doubles up to the maximum, jittered within bounds; Retry-After is capped")
    func backoff() {
        let backoff = WebhookBackoff(initial: .milliseconds(100), maximum: .seconds(1), jitter: 0.5)
        var generator = SystemRandom()  // not SystemRandomNumberGenerator: see SystemRandom
        for (attempt, ceiling) in [(0, 100), (1, 200), (2, 400), (3, 800), (4, 1000), (40, 1000)] {
            let delay = backoff.delay(attempt: attempt, using: &generator)
            #expect(delay <= .milliseconds(ceiling))
            #expect(delay >= .milliseconds(ceiling / 2))
        }
        #expect(backoff.honouring(retryAfter: .seconds(3600)) == .seconds(300))
    }
}
