import Events
import Testing

@testable import Devices
@testable import Outbox
@testable import Service

@Suite("Status page and Prometheus text from a snapshot")
struct StatusPageTests {
    static let hostile = #"<script>alert("x")</script>&'"#

    /// A snapshot whose every text field holds `text`.
    static func snapshot(_ text: String, events: Int = 3) -> SiteSnapshot {
        let time = EventTime(millisecondsSinceEpoch: 1_800_000_000_000)
        let tally = EventTally()
        for seq in 1...max(1, events) {
            tally.record(
                Event(
                    id: EventID(high: UInt64(seq), low: 0),
                    seq: UInt64(seq),
                    site: text,
                    controller: text,
                    device: text,
                    type: seq == 1 ? .deviceFault : .scan,
                    time: time,
                    data: ["text": .string(text), "reason": .string(text)]
                )
            )
        }
        let counts = tally.snapshot
        return SiteSnapshot(
            site: text,
            controller: text,
            version: "1.0",
            hardware: "simulated",
            started: time,
            now: EventTime(millisecondsSinceEpoch: 1_800_000_065_000),
            devices: [
                SiteSnapshot.Device(
                    id: text,
                    kind: "barcode-scanner",
                    state: "connected",
                    detail: text,
                    events: 7,
                    faults: 1
                )
            ],
            lockers: [
                SiteSnapshot.Locker(
                    id: text,
                    doors: [
                        DoorStatus(
                            door: "A1",
                            energised: false,
                            unlockQueued: false,
                            open: true,
                            occupied: nil,
                            order: "ORDER-SECRET-9",
                            deposited: true
                        ),
                        DoorStatus(
                            door: "A2",
                            energised: true,
                            unlockQueued: false,
                            open: false,
                            occupied: false,
                            order: nil,
                            deposited: false
                        ),
                    ],
                    error: nil
                )
            ],
            pickToLight: [
                PickToLightStatus(
                    id: "ptl-1",
                    running: true,
                    testing: false,
                    edgesSeen: 0,
                    faults: [:],
                    slots: [PickToLightStatus.Slot(id: "S1", task: text, color: "green", outputs: [])]
                )
            ],
            outbox: OutboxStatus(
                depth: 12,
                oldestUndeliveredTime: time,
                usedBytes: 4096,
                quotaBytes: 1 << 20,
                cursors: ["mqtt": 3],
                lastSeq: 15,
                segmentCount: 1,
                recoveredRecords: 0,
                droppedRecords: 0,
                droppedBytes: 0,
                evictedSegments: 0
            ),
            fsyncLatency: LatencyHistogram(),
            uplinks: [
                SiteSnapshot.Uplink(
                    name: "mqtt",
                    state: "disconnected",
                    connected: false,
                    lag: 12,
                    lastError: text,
                    publishLatency: LatencyHistogram()
                )
            ],
            tally: counts,
            refusedEvents: 0,
            process: nil
        )
    }

    @Test("every site value is escaped", arguments: [hostile, "a\"b", "x<y>z", "a&b"])
    func escaped(_ text: String) {
        let page = StatusPage.render(Self.snapshot(text))
        let escaped = StatusPage.escape(text)
        #expect(!escaped.contains("<") && !escaped.contains("\"") && !escaped.contains("'"))
        if text != escaped { #expect(!page.contains(text), "raw \(text) in the page") }
        #expect(page.contains("<td>\(escaped)</td>"))
        #expect(!page.contains("<script"))
    }

    @Test(
        "escape replaces exactly the five characters",
        arguments: [
            ("<", "&lt;"), (">", "&gt;"), ("&", "&amp;"), ("\"", "&quot;"), ("'", "&#39;"), ("plain é", "plain é"),
        ]
    )
    func escapeTable(_ input: String, _ output: String) {
        #expect(StatusPage.escape(input) == output)
    }

    @Test("the page shows controller, devices, doors without orders, slots, outbox, uplinks and events")
    func content() {
        let page = StatusPage.render(Self.snapshot("dock-03", events: 60))
        #expect(page.hasPrefix("<!DOCTYPE html>"))
        #expect(page.contains(#"<meta http-equiv="refresh" content="5">"#))
        for section in ["controller", "devices", "lockers", "pick-to-light", "outbox", "uplinks", "events"] {
            #expect(page.contains(#"<section id="\#(section)">"#), "section \(section)")
        }
        #expect(page.contains("<td>65 s</td>"), "uptime")
        #expect(
            page.contains(
                #"<tr id="door-dock-03-A1"><td>A1</td><td>locked</td><td>open</td><td>-</td><td>assigned, deposited</td>"#
            )
        )
        #expect(
            page.contains(
                #"<tr id="door-dock-03-A2"><td>A2</td><td>unlocked</td><td>closed</td><td>empty</td><td>free</td>"#
            )
        )
        #expect(!page.contains("ORDER-SECRET-9"), "order ids and codes stay off the page")
        #expect(page.contains(#"<tr id="slot-ptl-1-S1"><td>S1</td><td>lit</td><td>green</td><td>dock-03</td>"#))
        #expect(page.contains("<td>12</td>"), "outbox depth")
        #expect(page.contains(#"<tr id="uplink-mqtt"><td>mqtt</td><td>disconnected</td><td>12</td>"#))
        // The last 50 of 60 events, newest first.
        #expect(page.contains(#"<tr id="event-60">"#) && page.contains(#"<tr id="event-11">"#))
        #expect(!page.contains(#"<tr id="event-10">"#))
        #expect(
            page.range(of: #"id="event-60""#)?.lowerBound ?? page.endIndex < page.range(of: #"id="event-11""#)?
                .lowerBound ?? page.startIndex
        )
        // Read-only and self-contained: no forms, scripts or external references.
        for forbidden in ["<form", "<script", "<input", "<button", "http://", "https://", "src="] {
            #expect(!page.contains(forbidden), "\(forbidden)")
        }
    }

    @Test(
        "Prometheus text: escaped labels, counters and histograms",
        arguments: [hostile, "line\nbreak", #"back\slash"#]
    )
    func metrics(_ text: String) {
        let metrics = Self.snapshot(text).metricsText
        let label = PrometheusExposition.escapeLabelValue(text)
        #expect(!label.contains("\n"))
        #expect(metrics.contains(#"floorlink_events_total{type="scan",device="\#(label)"} 2"#), "\(metrics)")
        #expect(metrics.contains(#"floorlink_device_faults_total{device="\#(label)",reason="\#(label)"} 1"#))
        #expect(metrics.contains("floorlink_outbox_records 12\n"))
        #expect(metrics.contains("floorlink_outbox_oldest_undelivered_age_seconds 65\n"))
        #expect(metrics.contains(#"floorlink_uplink_publish_duration_seconds_bucket{uplink="mqtt",le="+Inf"} 0"#))
        #expect(metrics.contains("# TYPE floorlink_outbox_fsync_duration_seconds histogram\n"))
        for line in metrics.split(separator: "\n") where !line.hasPrefix("#") {
            let name = line.prefix { $0 != "{" && $0 != " " }
            #expect(
                metrics.contains("# TYPE \(name)") || metrics.contains("# TYPE \(name.dropLast("_bucket".count))")
                    || metrics.contains("# TYPE \(name.dropLast("_count".count))")
                    || metrics.contains("# TYPE \(name.dropLast("_sum".count))"),
                "\(line) has a TYPE"
            )
        }
    }

    @Test(
        "label values escape backslash, quote and newline",
        arguments: [
            (#"a\b"#, #"a\\b"#), ("a\"b", #"a\"b"#), ("a\nb", #"a\nb"#), ("plain", "plain"),
        ]
    )
    func labelEscaping(_ input: String, _ output: String) {
        #expect(PrometheusExposition.escapeLabelValue(input) == output)
    }

    @Test("latency histogram buckets are cumulative in the text")
    func histogram() {
        var latency = LatencyHistogram(bounds: [0.01, 0.1])
        latency.record(.milliseconds(5))
        latency.record(.milliseconds(50))
        latency.record(.seconds(2))
        var out = PrometheusExposition()
        out.histogram("x_seconds", [], latency)
        #expect(
            out.text
                == "x_seconds_bucket{le=\"0.01\"} 1\nx_seconds_bucket{le=\"0.1\"} 2\nx_seconds_bucket{le=\"+Inf\"} 3\n"
                + "x_seconds_sum 2.055\nx_seconds_count 3\n"
        )
    }
}
