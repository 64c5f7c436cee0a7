/// The functions a callgrind profile saw run in one object, busiest first: the symbol ordering file the release
/// floorlinkd is linked with (Package.swift, `daemonLayout`). Reads callgrind's output format as valgrind writes it
/// with `--demangle=no`: names given once as `fn=(7) name` and referred to later as `fn=(7)`, cost lines (position,
/// instructions) under each `fn=`, and after a `calls=` line one cost line that is the call's inclusive cost, not
/// the caller's own; a recursive call's frames (`name'2`) count as the function's.
public struct FunctionOrder {
    /// Each function's own instruction count, by symbol name.
    public private(set) var selfCost: [String: UInt64] = [:]

    /// Reads `profile`, keeping the functions of the object whose path ends with `/objectName`.
    public init(profile: String, objectName: String) {
        var objects: [Substring: Substring] = [:]
        var functions: [Substring: Substring] = [:]
        var currentObject: Substring = ""
        var currentFunction: Substring?
        var callCostFollows = false
        let objectSuffix = "/" + objectName
        for line in profile.split(separator: "\n", omittingEmptySubsequences: true) {
            if line.hasPrefix("ob=") {
                currentObject = Self.name(line.dropFirst(3), in: &objects)
            } else if line.hasPrefix("cob=") {
                Self.name(line.dropFirst(4), in: &objects)
            } else if line.hasPrefix("fn=") {
                // callgrind names a recursive call's frames `name'2`, `name'3`…: one function.
                let name = Self.name(line.dropFirst(3), in: &functions)
                let symbol = name.firstIndex(of: "'").map { name[..<$0] } ?? name
                currentFunction = currentObject.hasSuffix(objectSuffix) ? symbol : nil
            } else if line.hasPrefix("cfn=") {
                Self.name(line.dropFirst(4), in: &functions)
            } else if line.hasPrefix("calls=") {
                callCostFollows = true
            } else if let first = line.first, first.isNumber || first == "+" || first == "-" || first == "*" {
                if callCostFollows {
                    callCostFollows = false
                } else if let function = currentFunction {
                    let fields = line.split(separator: " ")
                    let cost = fields.count > 1 ? UInt64(fields[1]) ?? 0 : 0
                    selfCost[String(function), default: 0] += cost
                }
            }
        }
    }

    /// The symbols, the most instructions first (ties by name, so one profile always gives one file); addresses
    /// callgrind could not name are left out.
    public var symbols: [String] {
        selfCost.filter { !$0.key.hasPrefix("0x") }
            .sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
            .map(\.key)
    }

    /// The name an `(id) name` or `(id)` value gives, remembering new ones in `names`.
    @discardableResult
    private static func name(_ value: Substring, in names: inout [Substring: Substring]) -> Substring {
        guard value.first == "(", let close = value.firstIndex(of: ")") else { return value }
        let id = value[value.startIndex...close]
        let name = value[value.index(after: close)...].drop { $0 == " " }
        if name.isEmpty { return names[id] ?? id }
        names[id] = name
        return name
    }
}
