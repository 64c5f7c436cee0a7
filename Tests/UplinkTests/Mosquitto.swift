import TestSupport

/// The broker harness is TestSupport's `Mosquitto` (its module name is hidden here by the `TestSupport` enum); this
/// keeps it in scope for MQTTTLSTests.swift, which does not import TestSupport (the MQTT tests are being rewritten:
/// drop this file once they import it).
typealias Mosquitto = MosquittoBroker
