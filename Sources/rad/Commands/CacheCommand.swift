import ArgumentParser
import Foundation
import RadPipeline

struct CacheCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cache", abstract: "Inspect and clean the artifact cache.",
        subcommands: [List.self, Verify.self, GC.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "ls", abstract: "List cached artifacts.")
        @OptionGroup var cache: CacheOptions
        func run() throws {
            try reportingErrors {
                let store = try cache.store()
                let entries = store.list()
                for e in entries {
                    print("\(e.key.prefix(16))  \(e.kind.padding(toLength: 20, withPad: " ", startingAt: 0))  \(Units.bytes(e.bytes).padding(toLength: 10, withPad: " ", startingAt: 0))  \(e.created)\(e.isCheckpoint ? "  (partial checkpoint)" : "")")
                }
                print("\(entries.count) entries, \(Units.bytes(entries.reduce(0) { $0 + $1.bytes })) in \(store.root.path)")
            }
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "verify", abstract: "Check every entry's checksums.")
        @OptionGroup var cache: CacheOptions
        @Flag(help: "Delete damaged entries (they are recomputed by the next run).")
        var repair = false
        func run() throws {
            try reportingErrors {
                let bad = try cache.store().verify(repair: repair)
                for b in bad {
                    let outcome = !repair ? "" : b.notRemoved.map { " (NOT removed: \($0))" } ?? " (removed)"
                    print("\(b.key.prefix(16)): \(b.problem)\(outcome)")
                }
                print(bad.isEmpty ? "all entries intact" : "\(bad.count) damaged entr\(bad.count == 1 ? "y" : "ies")")
                let left = bad.filter { $0.notRemoved != nil }
                // Damage that is still in the cache after the command is a failure: with or without --repair.
                if !left.isEmpty {
                    if repair { printError("error: \(left.count) damaged entr\(left.count == 1 ? "y" : "ies") could not be removed") }
                    throw ExitCode(1)
                }
            }
        }
    }

    struct GC: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "gc", abstract: "Delete artifacts the named manifests do not reference.")
        @OptionGroup var cache: CacheOptions
        @Option(name: .customLong("keep"), parsing: .upToNextOption, help: "Manifests whose artifacts to keep.")
        var keep: [String] = []
        @Flag(help: "Only report what would be deleted.")
        var dryRun = false
        @Option(name: .customShort("s"), help: ArgumentHelp("Override applied to every kept manifest.", valueName: "path=value"))
        var set: [String] = []
        func run() throws {
            try reportingErrors {
                var keys = Set<String>()
                for file in keep { keys.formUnion(CacheReferences.keys(of: try ManifestLoader.load(file, overrides: set))) }
                let (removed, bytes) = try cache.store().gc(keep: keys, dryRun: dryRun)
                for e in removed { print("\(dryRun ? "would remove" : "removed") \(e.key.prefix(16)) \(e.kind) \(Units.bytes(e.bytes))") }
                print("\(dryRun ? "would free" : "freed") \(Units.bytes(bytes)) (\(bytes) bytes), kept \(keys.count) referenced key\(keys.count == 1 ? "" : "s")")
            }
        }
    }
}
