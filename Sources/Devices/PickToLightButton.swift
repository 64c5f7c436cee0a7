/// Which button of a pick-to-light slot was pressed: the picker's "done" or "not enough stock here".
public enum PickToLightButton: String, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// Confirms the pick shown on the slot (`ptl.confirmed`).
    case confirm
    /// Reports that the slot holds too little for the pick (`ptl.shortage`).
    case shortage

    public var description: String { rawValue }
}
