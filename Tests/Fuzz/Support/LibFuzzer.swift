/// The signature libFuzzer calls for each input: `int LLVMFuzzerTestOneInput(const uint8_t *, size_t)`.
public typealias FuzzTestOneInput = @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt

/// libFuzzer's driver (compiler-rt's `FuzzerDriver.cpp`): parses the command line and runs the fuzzing loop.
@_silgen_name("LLVMFuzzerRunDriver")
private func llvmFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: FuzzTestOneInput
) -> CInt

/// Runs libFuzzer on `callback` with the process's arguments.
///
/// SwiftPM links every executable with `--defsym main=<Target>_main` and `-parse-as-library` leaves that symbol
/// undefined, so a fuzz target defines `<Target>_main` with `@_cdecl` and hands over to libFuzzer's driver here
/// instead of relying on libFuzzer's own `main`.
public func runLibFuzzer(
    _ argc: CInt,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>,
    _ callback: FuzzTestOneInput
) -> CInt {
    var count = argc
    var arguments: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = argv
    return llvmFuzzerRunDriver(&count, &arguments, callback)
}
