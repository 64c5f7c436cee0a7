import HAL
import IOEngine

/// An input line whose edges the kernel hands over in batches on a descriptor: both libgpiod APIs hand them out the
/// same way (the buffered ones first, else wait for the descriptor and read a batch); only the batch read differs.
protocol LinuxGPIOEdgeBatches: AnyObject, Sendable {
    /// The oldest edge read but not yet handed out; `released` once the line is closed.
    func takeBufferedEdge() -> (released: Bool, edge: GPIOEdgeEvent?)
    /// Reads what the kernel holds into the buffer (nothing when it holds nothing).
    func readEdgeBatch() throws(HALError)
}

extension LinuxGPIOEdgeBatches {
    /// A buffered edge, or waits for `fd` to be readable and reads a batch. Nil once the line is released or the
    /// task cancelled.
    func nextEdge(on fd: Int32, loop: IOLoop) async throws(HALError) -> GPIOEdgeEvent? {
        while true {
            let (released, buffered) = takeBufferedEdge()
            if released { return nil }
            if let buffered { return buffered }
            switch await loop.wait(for: .readable, on: fd, until: nil) {
            case .ready: try readEdgeBatch()
            case .cancelled, .closed: return nil
            case .timedOut: continue
            case .failed(let error): throw error
            }
        }
    }
}
