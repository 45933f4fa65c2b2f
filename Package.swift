// swift-tools-version:6.0
import PackageDescription

// Kernels over raw pointers only vectorise well when the compiler may use AVX2/FMA; the machines this
// project runs on (developers, CI) are AVX2+FMA x86-64. `-Ounchecked` drops overflow/bounds traps in
// the hot loops of RadOps only; the other modules keep the safe default.
let kernelFlags: [SwiftSetting] = [
    .unsafeFlags(["-Ounchecked", "-target-cpu", "haswell"], .when(configuration: .release)),
    .swiftLanguageMode(.v5),
]
let commonFlags: [SwiftSetting] = [
    .unsafeFlags(["-target-cpu", "haswell"], .when(configuration: .release)),
    .swiftLanguageMode(.v5),
]

let package = Package(
    name: "rad",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "rad", targets: ["rad"]),
        .library(name: "RadOps", targets: ["RadOps"]),
        .library(name: "RadModelZoo", targets: ["RadModelZoo"]),
        .library(name: "RadPipeline", targets: ["RadPipeline"]),
        .library(name: "RadBench", targets: ["RadBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    ],
    targets: [
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CZstd", path: "Sources/CZstd", pkgConfig: "libzstd",
                       providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "CYaml", path: "Sources/CYaml", pkgConfig: "yaml-0.1",
                       providers: [.apt(["libyaml-dev"])]),
        // Open MPI's C API, for data-parallel runs under `mpirun` (see Distributed/MPIWorld).
        .systemLibrary(name: "CMPI", path: "Sources/CMPI", pkgConfig: "ompi-c",
                       providers: [.apt(["libopenmpi-dev"])]),

        // glibc's malloc tuning (mallopt), see TensorStorage.
        .systemLibrary(name: "CMalloc", path: "Sources/CMalloc"),
        // renameat2 (atomic exchange of an export folder or checkpoint), which Glibc's module hides.
        .systemLibrary(name: "CPosix", path: "Sources/CPosix"),

        .target(name: "RadOps", dependencies: ["CBLAS", "CZstd", "CMalloc"], swiftSettings: kernelFlags),
        .target(name: "RadModelZoo", dependencies: ["RadOps"], swiftSettings: kernelFlags),
        .target(name: "RadPipeline",
                dependencies: ["RadModelZoo", "RadOps", "CYaml", "CZstd", "CPosix", "CMPI",
                               .product(name: "Crypto", package: "swift-crypto")],
                swiftSettings: commonFlags),
        // Measurements of the other layers (kernels, recurrences, whole models): what `rad bench` runs.
        .target(name: "RadBench", dependencies: ["RadPipeline", "RadModelZoo", "RadOps", "CBLAS"], swiftSettings: kernelFlags),
        .executableTarget(name: "rad",
                          dependencies: ["RadPipeline", "RadModelZoo", "RadOps", "RadBench",
                                         .product(name: "ArgumentParser", package: "swift-argument-parser")],
                          swiftSettings: commonFlags),

        .testTarget(name: "RadOpsTests", dependencies: ["RadOps"], exclude: ["Fixtures"], swiftSettings: commonFlags),
        .testTarget(name: "RadModelZooTests", dependencies: ["RadModelZoo", "RadOps"], exclude: ["Fixtures"],
                    swiftSettings: commonFlags),
        .testTarget(name: "RadPipelineTests", dependencies: ["RadPipeline", "RadModelZoo", "RadOps"], exclude: ["Fixtures"],
                    swiftSettings: commonFlags),
        .testTarget(name: "RadBenchTests", dependencies: ["RadBench", "RadPipeline", "RadModelZoo", "RadOps"],
                    swiftSettings: commonFlags),
        .testTarget(name: "RadCLITests", dependencies: ["rad", "RadPipeline", "RadModelZoo", "RadOps"], swiftSettings: commonFlags),
    ]
)
