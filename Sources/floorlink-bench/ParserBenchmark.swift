import Devices
import GS1
import HAL

/// Throughput of the byte-level parsers on the scan path: the scanner framer, the M100 RFID codec, and GS1 /
/// EPC decoding. Inputs are realistic frames repeated; every result is checked so the work cannot be skipped.
enum ParserBenchmark {
    static func run(iterations: Int) -> [Figure] {
        [scannerFramer(iterations), m100Codec(iterations), gs1Decode(iterations), epcDecode(iterations)]
    }

    /// GS1-128 reads with CRLF, fed in 64-byte chunks as a USB-serial adapter delivers them.
    static func scannerFramer(_ iterations: Int) -> Figure {
        let frame = Array("]C1010950600013435217261231\u{1D}10ABC123\u{1D}21SERIAL0042\r\n".utf8)
        let stream = Array([[UInt8]](repeating: frame, count: 1000).joined())
        var framer = ScannerFramer(configuration: .init(terminator: .crlf))
        var frames = 0
        let elapsed = measure {
            for round in 0..<max(1, iterations / 1000) {
                let now = ClockInstant(sinceOrigin: .milliseconds(round))
                var start = 0
                while start < stream.count {
                    let end = min(start + 64, stream.count)
                    frames += framer.append(stream[start..<end], at: now).count
                    start = end
                }
            }
        }
        return Figure(name: "scanner framer", unit: "frames/s", count: frames, elapsed: elapsed)
    }

    /// M100 inventory notices (96-bit EPC), back to back, in 256-byte reads.
    static func m100Codec(_ iterations: Int) -> Figure {
        let epc: [UInt8] = [0x30, 0x74, 0x25, 0x7B, 0xF7, 0x19, 0x4E, 0x40, 0x00, 0x00, 0x1A, 0x85]
        let notice = M100Protocol.frame(
            type: .notice,
            command: 0x22,
            payload: [0xC9, 0x30, 0x00] + epc + [0x12, 0x34]
        )
        let stream = Array([[UInt8]](repeating: notice, count: 1000).joined())
        var codec = M100Protocol()
        var tags = 0
        let elapsed = measure {
            for _ in 0..<max(1, iterations / 1000) {
                var start = 0
                while start < stream.count {
                    let end = min(start + 256, stream.count)
                    tags += codec.decode(stream[start..<end]).count
                    start = end
                }
            }
        }
        return Figure(name: "M100 RFID codec", unit: "frames/s", count: tags, elapsed: elapsed)
    }

    /// Full scan decoding: AIM identifier, GS1 element string with four AIs, each validated.
    static func gs1Decode(_ iterations: Int) -> Figure {
        let text = "]C1010950600013435217261231\u{1D}10ABC123\u{1D}21SERIAL0042"
        var elements = 0
        let elapsed = measure {
            for _ in 0..<iterations {
                elements += ScannedData.decode(text).gs1?.count ?? 0
            }
        }
        return Figure(name: "GS1 scan decode", unit: "scans/s", count: elements / 4, elapsed: elapsed)
    }

    /// SGTIN-96 to pure-identity URI and GTIN.
    static func epcDecode(_ iterations: Int) -> Figure {
        let epc: [UInt8] = [0x30, 0x74, 0x25, 0x7B, 0xF7, 0x19, 0x4E, 0x40, 0x00, 0x00, 0x1A, 0x85]
        var decoded = 0
        let elapsed = measure {
            for _ in 0..<iterations {
                if let value = try? EPC.decode(bytes: epc), value.gtin != nil { decoded += 1 }
            }
        }
        return Figure(name: "EPC SGTIN-96 decode", unit: "tags/s", count: decoded, elapsed: elapsed)
    }
}
