import Events
import Foundation
import Service

/// A simulated site with what a technician's floorctl commands act on: a locker bank (`lockers-A`, doors A1 and
/// A2 on GPIO) and a pick-to-light module (`ptl-1`, slots S1 and S2), in a scratch directory of its own.
struct TechnicianSite {
    let directory: String
    let configuration: SiteConfiguration

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("technician-\(UUID())").path
        let document: JSONValue = [
            "site": "t", "controller": "c1", "hardware": "simulated", "board": "raspberry-pi-5",
            "dataDir": .string(directory + "/data"),
            "devices": [
                [
                    "id": "lockers-A", "kind": "locker-bank",
                    "doors": [
                        ["id": "A1", "lock": "GPIO17", "sensor": "GPIO27"],
                        ["id": "A2", "lock": "GPIO22", "sensor": "GPIO23"],
                    ],
                ],
                [
                    "id": "ptl-1", "kind": "pick-to-light",
                    "slots": [
                        ["id": "S1", "light": "GPIO5", "button": "GPIO6"],
                        ["id": "S2", "light": "GPIO12", "button": "GPIO13"],
                    ],
                ],
            ],
            "control": ["socket": .string(directory + "/control.sock")],
        ]
        configuration = try SiteConfiguration.parse(document, file: "site.json", hal: repositoryHALSearch)
    }

    /// Deletes the scratch directory.
    func remove() {
        try? FileManager.default.removeItem(atPath: directory)
    }
}
