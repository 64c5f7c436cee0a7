import Events

extension SiteSnapshot {
    /// The snapshot as Prometheus text (`GET /metrics`): names prefixed `floorlink_`, base units (`_seconds`,
    /// `_bytes`), counters ending in `_total`, plus the standard `process_*` families.
    public var metricsText: String {
        var out = PrometheusExposition()
        let controllerLabels = [("site", site), ("controller", controller)]
        out.family("floorlink_build_info", .gauge, help: "Version and hardware of the running daemon; always 1.")
        out.sample("floorlink_build_info", controllerLabels + [("version", version), ("hardware", hardware)], 1)

        out.family(
            "floorlink_events_total",
            .counter,
            help: "Events stored in the outbox since start, by type and device."
        )
        for (key, count) in tally.events.sorted(by: { $0.key < $1.key }) {
            out.sample("floorlink_events_total", [("type", key.first), ("device", key.second)], Double(count))
        }
        out.single(
            "floorlink_events_refused_total",
            .counter,
            help: "Events the outbox refused (disk quota full or a failed write) since start.",
            Double(refusedEvents)
        )

        out.family("floorlink_device_connected", .gauge, help: "1 when the device is connected or running, else 0.")
        for device in devices {
            let up = device.state == "connected" || device.state == "running"
            out.sample("floorlink_device_connected", [("device", device.id), ("kind", device.kind)], up ? 1 : 0)
        }
        out.family(
            "floorlink_device_faults_total",
            .counter,
            help: "device.fault events since start, by device and reason."
        )
        for (key, count) in tally.faults.sorted(by: { $0.key < $1.key }) {
            out.sample("floorlink_device_faults_total", [("device", key.first), ("reason", key.second)], Double(count))
        }

        out.single(
            "floorlink_outbox_records",
            .gauge,
            help: "Events in the outbox not yet acknowledged by the slowest uplink.",
            Double(outbox.depth)
        )
        out.single(
            "floorlink_outbox_bytes",
            .gauge,
            help: "Bytes of outbox segment files on disk.",
            Double(outbox.usedBytes)
        )
        out.single(
            "floorlink_outbox_quota_bytes",
            .gauge,
            help: "The disk the outbox may use (outbox.quotaBytes).",
            Double(outbox.quotaBytes)
        )
        out.single(
            "floorlink_outbox_last_sequence",
            .gauge,
            help: "The sequence number of the newest durable event.",
            Double(outbox.lastSeq)
        )
        out.single(
            "floorlink_outbox_oldest_undelivered_age_seconds",
            .gauge,
            help: "Age of the oldest event an uplink has not acknowledged; 0 when none waits.",
            oldestUndeliveredAgeSeconds
        )
        out.family(
            "floorlink_outbox_fsync_duration_seconds",
            .histogram,
            help: "Duration of the outbox's group-commit syncs."
        )
        out.histogram("floorlink_outbox_fsync_duration_seconds", [], fsyncLatency)

        out.family("floorlink_uplink_connected", .gauge, help: "1 when the uplink is connected, else 0.")
        for uplink in uplinks {
            out.sample("floorlink_uplink_connected", [("uplink", uplink.name)], uplink.connected ? 1 : 0)
        }
        out.family("floorlink_uplink_lag_events", .gauge, help: "Events in the outbox the uplink has not acknowledged.")
        for uplink in uplinks {
            out.sample("floorlink_uplink_lag_events", [("uplink", uplink.name)], Double(uplink.lag))
        }
        out.family(
            "floorlink_uplink_publish_duration_seconds",
            .histogram,
            help: "From handing an event to the uplink's client to the broker's acknowledgement."
        )
        for uplink in uplinks {
            guard let latency = uplink.publishLatency else { continue }
            out.histogram("floorlink_uplink_publish_duration_seconds", [("uplink", uplink.name)], latency)
        }

        out.family(
            "floorlink_commands_total",
            .counter,
            help: "Commands answered since start, by result (ok or error code)."
        )
        for (result, count) in tally.commands.sorted(by: { $0.key < $1.key }) {
            out.sample("floorlink_commands_total", [("result", result)], Double(count))
        }

        out.single(
            "floorlink_uptime_seconds",
            .gauge,
            help: "Seconds since the site started (or was last reloaded).",
            Double(now.millisecondsSinceEpoch - started.millisecondsSinceEpoch) / 1000
        )
        if let process {
            out.single(
                "process_resident_memory_bytes",
                .gauge,
                help: "Resident memory size in bytes.",
                process.residentMemoryBytes
            )
            out.single(
                "process_cpu_seconds_total",
                .counter,
                help: "Total user and system CPU time spent in seconds.",
                process.cpuSeconds
            )
            out.single(
                "process_start_time_seconds",
                .gauge,
                help: "Start time of the process since unix epoch in seconds.",
                process.startTimeSeconds
            )
        }
        return out.text
    }
}
