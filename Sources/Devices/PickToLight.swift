import Events
import HAL

/// The pick-to-light driver: holds a module's lamp outputs and button inputs, feeds edges, commands and time
/// into `PickToLightState`, drives the lamps it asks for and emits its events in order.
///
/// `run()` owns the lines for as long as it runs; commands work at any time and take effect on the lamps
/// while it runs. Events are emitted in the order the state produced them.
public actor PickToLight {
    private enum Input: Sendable {
        case edge(slot: String, button: PickToLightButton, GPIOEdgeEvent)
        case lineFailed(slot: String, button: PickToLightButton, detail: String)
        case wake
    }

    private struct OutputKey: Hashable, Sendable {
        var slot: String
        var output: String
    }

    private struct ButtonLine: Sendable {
        var slot: String
        var button: PickToLightButton
        var line: any GPIOInputLine
    }

    private struct EdgeWaiter {
        var count: Int
        var continuation: CheckedContinuation<Void, Never>
    }

    /// The wiring this driver was made with.
    public nonisolated let configuration: PickToLightConfiguration
    private let clock: any Clock
    private let events: any EventSink
    private var state: PickToLightState
    private var outputs: [OutputKey: any GPIOOutputLine] = [:]
    private var inbox: DeviceInbox<Input>?
    private var started = false
    private var running = false
    private var edgesSeen = 0
    private var pendingEvents: [(EventType, JSONValue)] = []
    private var draining = false
    private var readyWaiters: [CheckedContinuation<Void, Never>] = []
    private var edgeWaiters: [EdgeWaiter] = []
    private var testWaiters: [CheckedContinuation<Void, Never>] = []

    /// Makes a driver; nothing is requested until `run()`.
    public init(configuration: PickToLightConfiguration, clock: any Clock, events: any EventSink) {
        self.configuration = configuration
        self.clock = clock
        self.events = events
        state = PickToLightState(configuration: configuration)
    }

    // MARK: Running

    /// Requests the lines (lamps as outputs, off; buttons as inputs with both edges), then handles edges,
    /// commands and time until the task is cancelled, when it turns the lamps off and releases every line.
    /// Throws when a line cannot be requested, having released the ones it got. A second concurrent call returns.
    public func run() async throws(HALError) {
        guard !started else { return }
        started = true
        let buttonLines: [ButtonLine]
        do {
            (outputs, buttonLines) = try requestLines()
        } catch {
            started = false
            resumeReadyWaiters()
            throw error
        }
        let inbox = DeviceInbox<Input>(clock: clock)
        self.inbox = inbox
        running = true
        await perform(state.outputsWereReset(at: clock.now))
        resumeReadyWaiters()

        await withDiscardingTaskGroup { group in
            for button in buttonLines {
                group.addTask {
                    do {
                        for try await edge in button.line.edges {
                            inbox.send(.edge(slot: button.slot, button: button.button, edge))
                        }
                    } catch {
                        inbox.send(.lineFailed(slot: button.slot, button: button.button, detail: "\(error)"))
                    }
                }
            }
            await loop(inbox)
            for button in buttonLines {
                button.line.close()
            }
            group.cancelAll()
        }
        await shutDown(inbox)
    }

    /// Returns once `run()` holds its lines (or has failed to get them): a start-up barrier for the service and
    /// for tests.
    public func waitUntilRunning() async {
        guard !running else { return }
        await withCheckedContinuation { readyWaiters.append($0) }
    }

    /// Returns once the driver has handled `count` button edges since start: how a test or simulator knows that
    /// the edges it drove were consumed before it moves the clock.
    public func waitUntilHandled(edges count: Int) async {
        guard edgesSeen < count, running else { return }
        await withCheckedContinuation { edgeWaiters.append(EdgeWaiter(count: count, continuation: $0)) }
    }

    // MARK: Commands

    /// Lights `slot` in `color` for `task` (`ptl.light`, `floorctl ptl light`).
    public func light(
        slot: String,
        color: String = LightPattern.defaultColor,
        task: String?
    )
        async throws(PickToLightError)
    {
        let actions = try state.light(slot: slot, color: color, task: task, at: clock.now)
        inbox?.send(.wake)
        await perform(actions)
    }

    /// Darkens `slot`, or every slot when nil (`ptl.clear`, `floorctl ptl clear`).
    public func clear(slot: String?) async throws(PickToLightError) {
        let actions = try state.clear(slot: slot, at: clock.now)
        inbox?.send(.wake)
        await perform(actions)
    }

    /// Lights every lamp of every slot in turn for `testStep` and returns when done (`floorctl ptl test`);
    /// returns at once when the driver is not running. Task lamps are dark meanwhile and show again after.
    public func test() async {
        guard running else { return }
        let actions = state.startTest(at: clock.now)
        inbox?.send(.wake)
        await perform(actions)
        guard state.isTesting, running else { return }
        await withCheckedContinuation { testWaiters.append($0) }
    }

    /// Lights each slot in turn and waits up to `timeout` for its confirm button (`floorctl ptl test`); returns
    /// every slot's outcome in configuration order once the last has answered or timed out. A press meanwhile is
    /// the test's answer, not a confirmation or a fault; task lamps are dark meanwhile and show again after. When
    /// the driver is not running, or stops during the test, the slots not reached fail saying so.
    public func testButtons(timeout: Duration) async -> [PickToLightState.ButtonTestResult] {
        guard running else {
            return configuration.slots.map {
                .init(slot: $0.id, passed: false, detail: "the pick-to-light is not running (see floorctl status)")
            }
        }
        let actions = state.startButtonTest(timeout: timeout, at: clock.now)
        inbox?.send(.wake)
        await perform(actions)
        while state.isTesting, running {
            await withCheckedContinuation { testWaiters.append($0) }
        }
        state.endButtonTest(remaining: "the pick-to-light stopped during the test")
        return state.buttonTestResults
    }

    /// What every slot shows, and the driver's counters.
    public func status() -> PickToLightStatus {
        PickToLightStatus(
            id: configuration.id,
            running: running,
            testing: state.isTesting,
            testingSlot: state.buttonTestSlot,
            edgesSeen: edgesSeen,
            faults: state.faults,
            slots: state.slots.map { slot in
                let assignment = state.assignment(of: slot.id)
                return PickToLightStatus.Slot(
                    id: slot.id,
                    task: assignment?.task,
                    color: assignment?.color,
                    outputs: slot.outputs
                )
            }
        )
    }

    // MARK: Internals

    private func loop(_ inbox: DeviceInbox<Input>) async {
        while true {
            switch await inbox.next(until: state.deadline) {
            case .input(.edge(let slot, let button, let edge)):
                edgesSeen += 1
                let active = edge.kind == .rising
                await perform(state.buttonLevel(slot: slot, button: button, active: active, at: edge.timestamp))
                resumeEdgeWaiters()
            case .input(.lineFailed(let slot, let button, let detail)):
                await perform([state.recordFault(reason: "io-error", detail: "\(button) button of \(slot): \(detail)")])
            case .input(.wake):
                break
            case .deadline:
                await perform(state.expire(at: clock.now))
            case .closed:
                return
            }
            if !state.isTesting {
                resumeTestWaiters()
            }
        }
    }

    private func requestLines() throws(HALError) -> ([OutputKey: any GPIOOutputLine], [ButtonLine]) {
        var outputs: [OutputKey: any GPIOOutputLine] = [:]
        var buttons: [ButtonLine] = []
        do {
            for slot in configuration.slots {
                let consumer = "floorlink/\(configuration.id)/\(slot.id)"
                for key in slot.outputKeys {
                    guard let pin = slot.lights[key] else { continue }
                    outputs[OutputKey(slot: slot.id, output: key)] = try pin.chip.requestOutput(
                        offset: pin.offset,
                        consumer: consumer,
                        configuration: GPIOOutputConfiguration(initialValue: false)
                    )
                }
                // Kernel debounce where the backend has it (libgpiod 2.x); the state debounces the rest in software.
                let input = GPIOInputConfiguration(
                    bias: slot.buttonActiveLow ? .pullUp : .pullDown,
                    activeLow: slot.buttonActiveLow,
                    edges: .both,
                    debounce: configuration.debounce > .zero ? configuration.debounce : nil
                )
                var pins: [(PickToLightButton, GPIOPin)] = [(.confirm, slot.button)]
                if let shortage = slot.shortageButton {
                    pins.append((.shortage, shortage))
                }
                for (button, pin) in pins {
                    let line = try pin.chip.requestInput(offset: pin.offset, consumer: consumer, configuration: input)
                    buttons.append(ButtonLine(slot: slot.id, button: button, line: line))
                    state.resetButton(
                        slot: slot.id,
                        button: button,
                        active: try line.read(),
                        kernelDebounced: line.debounce != nil
                    )
                }
            }
        } catch {
            outputs.values.forEach { $0.close() }
            buttons.forEach { $0.line.close() }
            throw error
        }
        return (outputs, buttons)
    }

    private func shutDown(_ inbox: DeviceInbox<Input>) async {
        inbox.close()
        self.inbox = nil
        for slot in configuration.slots {
            for key in slot.outputKeys {
                guard let line = outputs[OutputKey(slot: slot.id, output: key)] else { continue }
                do {
                    try line.write(false)
                } catch {
                    enqueue(state.recordFault(reason: "io-error", detail: "turning off \(key) of \(slot.id): \(error)"))
                }
                line.close()
            }
        }
        outputs.removeAll()
        running = false
        started = false
        resumeTestWaiters()
        let waiters = edgeWaiters
        edgeWaiters.removeAll()
        waiters.forEach { $0.continuation.resume() }
        await drainEvents()
    }

    private func perform(_ actions: [PickToLightState.Action]) async {
        for action in actions {
            switch action {
            case .setLight(let slot, let output, let on):
                guard let line = outputs[OutputKey(slot: slot, output: output)] else { continue }
                do {
                    try line.write(on)
                } catch {
                    enqueue(state.recordFault(reason: "io-error", detail: "driving \(output) of \(slot): \(error)"))
                }
            case .emit:
                enqueue(action)
            }
        }
        await drainEvents()
    }

    private func enqueue(_ action: PickToLightState.Action) {
        if case .emit(let type, let data) = action {
            pendingEvents.append((type, data))
        }
    }

    /// Emits queued events one at a time, so that events reach the sink in the order the state made them even
    /// when a command and the loop interleave at an `await`.
    private func drainEvents() async {
        guard !draining else { return }
        draining = true
        while !pendingEvents.isEmpty {
            let (type, data) = pendingEvents.removeFirst()
            await events.emit(type, device: configuration.id, data: data)
        }
        draining = false
    }

    private func resumeReadyWaiters() {
        let waiters = readyWaiters
        readyWaiters.removeAll()
        waiters.forEach { $0.resume() }
    }

    private func resumeEdgeWaiters() {
        let ready = edgeWaiters.filter { $0.count <= edgesSeen }
        edgeWaiters.removeAll { $0.count <= edgesSeen }
        ready.forEach { $0.continuation.resume() }
    }

    private func resumeTestWaiters() {
        let waiters = testWaiters
        testWaiters.removeAll()
        waiters.forEach { $0.resume() }
    }
}
