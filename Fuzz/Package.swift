// swift-tools-version:5.4
import PackageDescription

// libFuzzer harnesses for rad's readers of untrusted input (see README.md). Each executable defines
// `LLVMFuzzerTestOneInput`; libFuzzer supplies `main`. Build them with scripts/fuzz.sh, which passes
// `-sanitize=fuzzer,address -parse-as-library` to every Swift module, so the parent package's
// code is instrumented for coverage too. Kept out of the main package so that `swift build` and
// `swift test` there never see the sanitizer flags.
//
// Tools version 5.4 on purpose: from 5.5 on, SwiftPM renames an executable's `main` to `<target>_main`
// and links `main` to that symbol, which a `-parse-as-library` fuzz target does not define; at 5.4 the
// link takes libFuzzer's `main` as it is.
let package = Package(
    name: "rad-fuzz",
    platforms: [.macOS("13.0")],
    dependencies: [.package(name: "rad", path: "..")],
    targets: [
        .target(name: "FuzzSupport"),
        .executableTarget(name: "FuzzManifest",
                          dependencies: ["FuzzSupport", .product(name: "RadPipeline", package: "rad")]),
        .executableTarget(name: "FuzzSafetensors",
                          dependencies: ["FuzzSupport", .product(name: "RadOps", package: "rad")]),
        .executableTarget(name: "FuzzGGUF",
                          dependencies: ["FuzzSupport", .product(name: "RadModelZoo", package: "rad"),
                                         .product(name: "RadOps", package: "rad")]),
        .executableTarget(name: "FuzzTokenizer",
                          dependencies: ["FuzzSupport", .product(name: "RadModelZoo", package: "rad")]),
    ]
)
