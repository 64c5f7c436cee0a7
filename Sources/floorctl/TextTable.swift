/// Rows of text printed as aligned columns: a header row, two spaces between columns, no trailing spaces.
struct TextTable: Sendable {
    var headers: [String]
    var rows: [[String]] = []

    init(_ headers: String...) {
        self.headers = headers
    }

    /// Appends a row; missing cells are blank.
    mutating func append(_ cells: [String]) {
        rows.append(cells)
    }

    /// The table, one line per row, each ending in a newline.
    var rendered: String {
        let all = [headers] + rows
        let columns = all.map(\.count).max() ?? 0
        var widths = [Int](repeating: 0, count: columns)
        for row in all {
            for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
        }
        var text = ""
        for row in all {
            var line = ""
            for (index, cell) in row.enumerated() {
                line += cell
                if index < row.count - 1 { line += String(repeating: " ", count: widths[index] - cell.count + 2) }
            }
            while line.hasSuffix(" ") { line.removeLast() }
            text += line + "\n"
        }
        return text
    }
}

/// `key   value` lines with the values aligned, for the people output of single records.
struct KeyValueList: Sendable {
    var entries: [(key: String, value: String)] = []

    /// Appends one line.
    mutating func append(_ key: String, _ value: String) {
        entries.append((key, value))
    }

    /// The lines, each ending in a newline.
    var rendered: String {
        let width = entries.map(\.key.count).max() ?? 0
        return entries.map { entry in
            entry.key + String(repeating: " ", count: width - entry.key.count + 2) + entry.value + "\n"
        }.joined()
    }
}
