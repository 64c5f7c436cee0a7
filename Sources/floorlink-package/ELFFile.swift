import Glibc

/// What a 64-bit little-endian ELF executable says about how it runs: its machine, the shared libraries the dynamic
/// linker loads for it (`DT_NEEDED`), and the symbol versions it needs from each (`.gnu.version_r`). Read from the
/// section headers, which `strip` keeps, so it works on any architecture's binary on any host (no `readelf`).
struct ELFFile {
    /// `e_machine`: 62 is x86-64, 183 is AArch64.
    let machine: UInt16
    /// The `DT_NEEDED` sonames, in the order the file lists them (`libc.so.6`, `libssl.so.3`, …).
    let neededLibraries: [String]
    /// Per soname, the versions needed from it (`GLIBC_2.34`, `OPENSSL_3.0.0`, …).
    let neededVersions: [String: [String]]
    /// `DT_RUNPATH` and `DT_RPATH` entries (SwiftPM adds `$ORIGIN` unless built with `--disable-local-rpath`).
    let librarySearchPaths: [String]

    /// Parses the file at `path`; any error names the file and what was expected.
    init(path: String) throws(PackagingError) {
        let bytes = try FileSystem.read(path)
        try self.init(bytes: bytes, path: path)
    }

    init(bytes: [UInt8], path: String) throws(PackagingError) {
        let reader = Reader(bytes: bytes, path: path)
        guard bytes.count >= 64, bytes[0..<4] == [0x7F, 0x45, 0x4C, 0x46] else {
            throw PackagingError("\(path): not an ELF file")
        }
        guard bytes[4] == 2, bytes[5] == 1 else {
            throw PackagingError(
                "\(path): expected a 64-bit little-endian ELF file (class \(bytes[4]), data \(bytes[5]))"
            )
        }
        machine = try reader.uint16(at: 0x12)
        let sectionTable = Int(try reader.uint64(at: 0x28))
        let sectionSize = Int(try reader.uint16(at: 0x3A))
        let sectionCount = Int(try reader.uint16(at: 0x3C))
        var sections: [Section] = []
        for index in 0..<sectionCount {
            let base = sectionTable + index * sectionSize
            sections.append(
                Section(
                    type: try reader.uint32(at: base + 4),
                    offset: Int(try reader.uint64(at: base + 0x18)),
                    size: Int(try reader.uint64(at: base + 0x20)),
                    link: Int(try reader.uint32(at: base + 0x28)),
                    info: Int(try reader.uint32(at: base + 0x2C))
                )
            )
        }
        func strings(of section: Section) throws(PackagingError) -> Section {
            guard section.link < sections.count else {
                throw PackagingError("\(path): section string table \(section.link) out of range")
            }
            return sections[section.link]
        }

        var needed: [String] = []
        var searchPaths: [String] = []
        for dynamic in sections where dynamic.type == Self.dynamicSection {
            let names = try strings(of: dynamic)
            for entry in stride(from: dynamic.offset, to: dynamic.offset + dynamic.size, by: 16) {
                let tag = try reader.uint64(at: entry)
                if tag == 0 { break }
                guard [Self.neededTag, Self.runPathTag, Self.rpathTag].contains(tag) else { continue }
                let text = try reader.string(at: names.offset + Int(try reader.uint64(at: entry + 8)))
                if tag == Self.neededTag { needed.append(text) } else { searchPaths.append(text) }
            }
        }
        neededLibraries = needed
        librarySearchPaths = searchPaths

        var versions: [String: [String]] = [:]
        for requirements in sections where requirements.type == Self.versionNeedSection {
            let names = try strings(of: requirements)
            var file = requirements.offset
            for _ in 0..<requirements.info {
                let count = Int(try reader.uint16(at: file + 2))
                let library = try reader.string(at: names.offset + Int(try reader.uint32(at: file + 4)))
                var auxiliary = file + Int(try reader.uint32(at: file + 8))
                for _ in 0..<count {
                    versions[library, default: []].append(
                        try reader.string(at: names.offset + Int(try reader.uint32(at: auxiliary + 8)))
                    )
                    auxiliary += Int(try reader.uint32(at: auxiliary + 12))
                }
                let next = Int(try reader.uint32(at: file + 12))
                if next == 0 { break }
                file += next
            }
        }
        neededVersions = versions
    }

    static let dynamicSection: UInt32 = 6
    static let versionNeedSection: UInt32 = 0x6FFF_FFFE
    static let neededTag: UInt64 = 1
    static let rpathTag: UInt64 = 15
    static let runPathTag: UInt64 = 29

    struct Section {
        var type: UInt32
        var offset: Int
        var size: Int
        var link: Int
        var info: Int
    }

    /// Little-endian reads that fail with the file's name instead of trapping past its end.
    struct Reader {
        let bytes: [UInt8]
        let path: String

        func uint16(at offset: Int) throws(PackagingError) -> UInt16 {
            UInt16(truncatingIfNeeded: try integer(at: offset, width: 2))
        }

        func uint32(at offset: Int) throws(PackagingError) -> UInt32 {
            UInt32(truncatingIfNeeded: try integer(at: offset, width: 4))
        }

        func uint64(at offset: Int) throws(PackagingError) -> UInt64 {
            try integer(at: offset, width: 8)
        }

        private func integer(at offset: Int, width: Int) throws(PackagingError) -> UInt64 {
            guard offset >= 0, offset + width <= bytes.count else {
                throw PackagingError("\(path): truncated ELF file (reading \(width) bytes at \(offset))")
            }
            var value: UInt64 = 0
            for index in (0..<width).reversed() { value = value << 8 | UInt64(bytes[offset + index]) }
            return value
        }

        /// The NUL-terminated string at `offset`.
        func string(at offset: Int) throws(PackagingError) -> String {
            guard offset >= 0, offset < bytes.count, let end = bytes[offset...].firstIndex(of: 0) else {
                throw PackagingError("\(path): string table entry at \(offset) runs past the end of the file")
            }
            return String(decoding: bytes[offset..<end], as: UTF8.self)
        }
    }
}
