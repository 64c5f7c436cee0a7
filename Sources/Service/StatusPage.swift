import Devices
import Events

/// The read-only status page (`GET /`): one self-contained HTML document with its CSS inline, no scripts, no
/// forms, no external assets; it reloads itself every `refreshSeconds`. Every value from the site is
/// HTML-escaped. Locker doors show whether an order is assigned, never the order's pickup code.
public enum StatusPage {
    /// How often the page reloads itself.
    public static let refreshSeconds = 5

    /// `text` with `&`, `<`, `>`, `"` and `'` replaced by character references: safe in element content and
    /// in quoted attribute values.
    public static func escape(_ text: String) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.append(character)
            }
        }
        return escaped
    }

    /// The page for `snapshot`.
    public static func render(_ snapshot: SiteSnapshot) -> String {
        let title = escape("Floorlink \(snapshot.site)/\(snapshot.controller)")
        var html = """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta http-equiv="refresh" content="\(refreshSeconds)">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(title)</title>
            <style>\(css)</style>
            </head>
            <body>
            <h1>\(title)</h1>

            """
        let uptime = (snapshot.now.millisecondsSinceEpoch - snapshot.started.millisecondsSinceEpoch) / 1000
        html += "<section id=\"controller\"><h2>Controller</h2>"
        html += table(
            ["site", "controller", "version", "hardware", "uptime", "page time"],
            [
                [
                    snapshot.site, snapshot.controller, snapshot.version, snapshot.hardware, "\(uptime) s",
                    snapshot.now.description,
                ]
            ],
            rowID: { _ in "controller-row" }
        )
        html += "</section>\n<section id=\"devices\"><h2>Devices</h2>"
        html += table(
            ["id", "kind", "state", "detail", "events", "faults"],
            snapshot.devices.map { [$0.id, $0.kind, $0.state, $0.detail, "\($0.events)", "\($0.faults)"] },
            rowID: { "device-" + $0[0] }
        )
        html += "</section>\n<section id=\"lockers\"><h2>Lockers</h2>"
        if snapshot.lockers.isEmpty { html += "<p class=\"none\">No locker banks.</p>" }
        for locker in snapshot.lockers {
            html += "<h3>\(escape(locker.id))</h3>"
            if let error = locker.error { html += "<p class=\"error\">\(escape(error))</p>" }
            html += table(
                ["door", "lock", "door sensor", "occupancy", "order"],
                locker.doors.map { door in
                    [
                        door.door, door.energised ? "unlocked" : (door.unlockQueued ? "unlock queued" : "locked"),
                        door.open ? "open" : "closed", door.occupied.map { $0 ? "occupied" : "empty" } ?? "-",
                        door.order == nil
                            ? "free" : (door.deposited ? "assigned, deposited" : "assigned, awaiting deposit"),
                    ]
                },
                rowID: { "door-\(locker.id)-\($0[0])" }
            )
        }
        html += "</section>\n<section id=\"pick-to-light\"><h2>Pick-to-light</h2>"
        if snapshot.pickToLight.isEmpty { html += "<p class=\"none\">No pick-to-light modules.</p>" }
        for module in snapshot.pickToLight {
            html += "<h3>\(escape(module.id))</h3>"
            html += table(
                ["slot", "light", "colour", "task"],
                module.slots.map { [$0.id, $0.lit ? "lit" : "dark", $0.color ?? "-", $0.task ?? "-"] },
                rowID: { "slot-\(module.id)-\($0[0])" }
            )
        }
        html += "</section>\n<section id=\"outbox\"><h2>Outbox</h2>"
        let outbox = snapshot.outbox
        html += table(
            ["waiting", "oldest undelivered", "bytes used", "quota", "last seq", "refused"],
            [
                [
                    "\(outbox.depth)", "\(Int(snapshot.oldestUndeliveredAgeSeconds)) s", "\(outbox.usedBytes)",
                    "\(outbox.quotaBytes)", "\(outbox.lastSeq)", "\(snapshot.refusedEvents)",
                ]
            ],
            rowID: { _ in "outbox-row" }
        )
        html += "</section>\n<section id=\"uplinks\"><h2>Uplinks</h2>"
        if snapshot.uplinks.isEmpty {
            html += "<p class=\"none\">No uplinks: events reach local subscribers only.</p>"
        } else {
            html += table(
                ["uplink", "state", "lag (events)", "last error"],
                snapshot.uplinks.map { [$0.name, $0.state, "\($0.lag)", $0.lastError ?? "-"] },
                rowID: { "uplink-" + $0[0] }
            )
        }
        html += "</section>\n<section id=\"events\"><h2>Last \(EventTally.recentCapacity) events</h2>"
        html += table(
            ["seq", "time", "type", "device", "data"],
            snapshot.tally.recent.reversed().map {
                ["\($0.seq)", $0.time.description, $0.type.rawValue, $0.device, $0.data.jsonText]
            },
            rowID: { "event-" + $0[0] }
        )
        html += "</section>\n</body>\n</html>\n"
        return html
    }

    /// A table with a header row; every cell escaped, each row given an id (escaped too).
    private static func table(_ header: [String], _ rows: [[String]], rowID: ([String]) -> String) -> String {
        var html = "<table><thead><tr>" + header.map { "<th>\(escape($0))</th>" }.joined() + "</tr></thead><tbody>"
        for row in rows {
            html += "<tr id=\"\(escape(rowID(row)))\">" + row.map { "<td>\(escape($0))</td>" }.joined() + "</tr>"
        }
        return html + "</tbody></table>"
    }

    private static let css = """
        body{font-family:system-ui,sans-serif;margin:1.5em;color:#222;background:#fafafa}\
        h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.5em}h3{font-size:1em}\
        table{border-collapse:collapse;margin:.5em 0}th,td{border:1px solid #ccc;padding:.25em .6em;text-align:left;\
        vertical-align:top}th{background:#eee}td{font-family:ui-monospace,monospace;font-size:.9em;\
        max-width:40em;overflow-wrap:anywhere}.error{color:#a00}.none{color:#666}
        """
}
