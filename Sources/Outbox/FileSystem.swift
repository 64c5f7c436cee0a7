import Glibc

/// The Glibc file calls the outbox makes: each retries `EINTR` and turns a failure into `OutboxError.system`
/// naming the call and the path.
enum FileSystem {
    /// The error for the call that just failed, with the current `errno`.
    static func failure(_ operation: String, _ path: String, _ code: Int32 = errno) -> OutboxError {
        .system(operation: operation, path: path, errno: code)
    }

    /// `open(2)` with `O_CLOEXEC`; returns the descriptor.
    static func openFile(_ path: String, flags: Int32, mode: mode_t = 0o644) throws(OutboxError) -> Int32 {
        while true {
            let descriptor = open(path, flags | O_CLOEXEC, mode)
            if descriptor >= 0 { return descriptor }
            guard errno == EINTR else { throw failure("open", path) }
        }
    }

    /// `close(2)`; not retried (on Linux the descriptor is gone even after `EINTR`).
    static func closeFile(_ descriptor: Int32) {
        _ = close(descriptor)
    }

    /// Writes all of `bytes`, continuing after short writes: at the file offset (`write(2)`), or at `offset`
    /// (`pwrite(2)`) when one is given.
    static func writeAll(_ descriptor: Int32, _ bytes: [UInt8], at offset: Int? = nil, path: String) throws(OutboxError)
    {
        let operation = offset == nil ? "write" : "pwrite"
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { buffer in
                let start = buffer.baseAddress.map { $0 + written }
                let count = buffer.count - written
                return offset.map { pwrite(descriptor, start, count, off_t($0 + written)) }
                    ?? write(descriptor, start, count)
            }
            if result > 0 {
                written += result
            } else if result == 0 {
                throw failure(operation, path, EIO)
            } else if errno != EINTR {
                throw failure(operation, path)
            }
        }
    }

    /// Up to `count` bytes at `offset` (fewer only at the end of the file).
    static func read(_ descriptor: Int32, offset: Int, count: Int, path: String) throws(OutboxError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let result = bytes.withUnsafeMutableBytes { buffer in
                pread(descriptor, buffer.baseAddress.map { $0 + filled }, count - filled, off_t(offset + filled))
            }
            if result > 0 {
                filled += result
            } else if result == 0 {
                break
            } else if errno != EINTR {
                throw failure("pread", path)
            }
        }
        if filled < count { bytes.removeLast(count - filled) }
        return bytes
    }

    /// `fdatasync(2)`: the file's data and the metadata needed to read it back (its size).
    static func syncData(_ descriptor: Int32, path: String) throws(OutboxError) {
        while fdatasync(descriptor) != 0 {
            guard errno == EINTR else { throw failure("fdatasync", path) }
        }
    }

    /// `fsync(2)`, for directories (entries created, renamed, removed) and cursor files.
    static func sync(_ descriptor: Int32, path: String) throws(OutboxError) {
        while fsync(descriptor) != 0 {
            guard errno == EINTR else { throw failure("fsync", path) }
        }
    }

    /// `ftruncate(2)`.
    static func truncate(_ descriptor: Int32, to size: Int, path: String) throws(OutboxError) {
        while ftruncate(descriptor, off_t(size)) != 0 {
            guard errno == EINTR else { throw failure("ftruncate", path) }
        }
    }

    /// `rename(2)`.
    static func rename(_ source: String, to destination: String) throws(OutboxError) {
        while Glibc.rename(source, destination) != 0 {
            guard errno == EINTR else { throw failure("rename to \(destination)", source) }
        }
    }

    /// `unlink(2)`; a file that is already gone is not an error.
    static func remove(_ path: String) throws(OutboxError) {
        while unlink(path) != 0 {
            if errno == ENOENT { return }
            guard errno == EINTR else { throw failure("unlink", path) }
        }
    }

    /// `mkdir(2)`; returns false when the directory already existed.
    @discardableResult
    static func makeDirectory(_ path: String) throws(OutboxError) -> Bool {
        while mkdir(path, 0o755) != 0 {
            if errno == EEXIST { return false }
            guard errno == EINTR else { throw failure("mkdir", path) }
        }
        return true
    }

    /// The size in bytes of the file open as `descriptor`.
    static func size(_ descriptor: Int32, path: String) throws(OutboxError) -> Int {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw failure("fstat", path) }
        return Int(info.st_size)
    }

    /// Where the records of a segment end: its size less the zeros the writer fills ahead of them (a record
    /// never ends in a zero byte: its payload is JSON, ending in `}`), read backwards a block at a time (a segment
    /// closed cleanly has no zeros, so opening the outbox reads one block of each).
    static func dataEnd(_ descriptor: Int32, size: Int, path: String) throws(OutboxError) -> Int {
        var end = size
        while end > 0 {
            let start = max(0, end - 4096)
            let bytes = try read(descriptor, offset: start, count: end - start, path: path)
            guard bytes.count == end - start else { throw failure("pread (file shrank)", path, EIO) }
            if let last = bytes.lastIndex(where: { $0 != 0 }) { return start + last + 1 }
            end = start
        }
        return 0
    }

    /// Where the records of the segment at `path` end (see `dataEnd(_:size:path:)`).
    static func dataEnd(ofFile path: String) throws(OutboxError) -> Int {
        let descriptor = try openFile(path, flags: O_RDONLY)
        defer { closeFile(descriptor) }
        return try dataEnd(descriptor, size: try size(descriptor, path: path), path: path)
    }

    /// The names in directory `path`, without `.` and `..`.
    static func listDirectory(_ path: String) throws(OutboxError) -> [String] {
        guard let directory = opendir(path) else { throw failure("opendir", path) }
        defer { closedir(directory) }
        var names: [String] = []
        while true {
            errno = 0
            guard let entry = readdir(directory) else {
                if errno != 0 { throw failure("readdir", path) }
                return names
            }
            let name = withUnsafePointer(to: &entry.pointee.d_name) { pointer in
                pointer.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
    }

    /// Takes an exclusive `flock(2)` on `descriptor` without waiting; false when another process holds it.
    static func lockExclusively(_ descriptor: Int32, path: String) throws(OutboxError) -> Bool {
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            if errno == EWOULDBLOCK { return false }
            guard errno == EINTR else { throw failure("flock", path) }
        }
        return true
    }
}
