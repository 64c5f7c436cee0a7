# Used by Tests/VM/run's /init: turns swift-testing's `--verbose` console output (NO_COLOR) into one
# `PASS contract.<test>(<arguments>) (<seconds> s)` or `FAIL ...` line per test case, as vm-tests prints one per
# check. Issues, their details and the run's summary pass through as they are; "started" lines and the totals per
# parameterised test and per suite are dropped. Busybox awk: byte-wise, no gawk extensions.
#
# Exit status 1 when a test case failed or when no case ran on the linux-gpio-sim harness (the point of the run).

# "edges(kind:detection:)" and "kind → linux-gpio-sim (HALTests.GPIOBackendKind), detection → .both (HAL...)"
# become "edges(kind: linux-gpio-sim, detection: .both)".
function case_name(line, name, args) {
    name = line
    if (match(name, /\(aka '[^']*'\)/)) {
        name = substr(name, RSTART + 6, RLENGTH - 8)
    } else {
        sub(/^[^ ]+ Test (case passing .* to )?/, "", name)
        sub(/ (passed|failed) after .*$/, "", name)
    }
    sub(/\(.*$/, "", name)
    args = ""
    if (line ~ /^[^ ]+ Test case passing [0-9]+ arguments? /) {
        args = line
        sub(/^[^ ]+ Test case passing [0-9]+ arguments? /, "", args)
        sub(/ to ".*$/, "", args)
        gsub(/ \([A-Za-z_][A-Za-z0-9_.<>]*\)/, "", args)
        gsub(/ → /, ": ", args)
    }
    return "contract." name "(" args ")"
}

function seconds(line, text) {
    text = ""
    if (match(line, / after [0-9.]+ seconds/)) text = substr(line, RSTART + 7, RLENGTH - 15) " s"
    return text
}

# A test's start, a suite's start; a suite's result and its doc comment (each case has its line); the run's result.
/^[^ ]+ (Test|Suite) .* started\.$/ { next }
/^[^ ]+ Suite .* (passed|failed) after / || /^↳ \/\/\// { next }
/^[^ ]+ Test run with / {
    print
    fflush()
    next
}

# One test case of a parameterised test, or a test without arguments.
/^[^ ]+ Test .* (passed|failed) after / && !/ with [0-9]+ test cases? (passed|failed) after / {
    passed_line = $0 ~ / passed after /
    name = case_name($0)
    if (passed_line) {
        passed++
        if ($0 ~ /linux-gpio-sim/) on_gpio_sim++
        print "PASS " name " (" seconds($0) ")"
    } else {
        failed++
        issues = ""
        if (match($0, / with [0-9]+ issues?/)) issues = ", " substr($0, RSTART + 6, RLENGTH - 6)
        print "FAIL " name " (" seconds($0) issues ")"
    }
    fflush()
    next
}

# The total of a parameterised test (each case already has its line).
/^[^ ]+ Test .* with [0-9]+ test cases? (passed|failed) after / { next }

{
    print
    fflush()
}

END {
    printf "contract: %d passed, %d failed, %d passed on linux-gpio-sim\n", passed, failed, on_gpio_sim
    if (on_gpio_sim == 0) print "FAIL contract: no test case passed on the linux-gpio-sim harness"
    exit (failed > 0 || on_gpio_sim == 0) ? 1 : 0
}
