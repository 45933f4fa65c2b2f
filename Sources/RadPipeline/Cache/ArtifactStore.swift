import RadModelZoo
import RadOps
import Crypto
import Foundation

/// One cached output: a folder holding `meta.json` and payload files (a tensor bundle and/or plain files).
public struct Artifact: Sendable {
    public var key: String
    public var kind: String
    /// What the producing step recorded (metrics, shapes, ...).
    public var meta: CanonicalValue
    public var directory: URL
    /// Payload file names and sizes.
    public var files: [String: Int64]

    public static let tensorFile = "tensors.radt"

    public var hasTensors: Bool { files[Self.tensorFile] != nil }
    /// Loads the tensor bundle (checks the checksum of the uncompressed bytes).
    /// A bundle that fails to decode (a zstd frame damaged under a matching file checksum) throws
    /// `CorruptArtifact`, so that the runner discards the entry and recomputes it.
    public func tensors() throws -> [String: Tensor] {
        do { return try TensorBundle.read(directory.appendingPathComponent(Self.tensorFile)) }
        catch let f as TensorBundle.Failure { throw CorruptArtifact(key: key, directory: directory, problem: f.description) }
    }
    public func file(_ name: String) -> URL { directory.appendingPathComponent("files").appendingPathComponent(name) }
    public var bytes: Int64 { files.values.reduce(0, +) }
}

/// The content-addressed artifact store (`.rad/` by default).
///
/// Layout: `objects/KEY[0..2]/KEY/` per finished artifact, `checkpoints/KEY/` per partial one (resume),
/// `tmp/` for entries being written, `locks/` for advisory locks. An entry is written completely in `tmp/`
/// (payload, then `meta.json` with every payload file's size and SHA-256) and renamed into place, so
/// readers never see half an entry; a finished entry is never replaced (its key names its content, so
/// a second writer's copy is equal and is dropped), which is what lets other processes read it meanwhile.
/// `write.lock` serialises renames and deletions between processes; a run holds `use.lock` shared for
/// its whole duration and `gc` takes it exclusive, so gc never deletes under a running pipeline; a run
/// computing a step holds `locks/KEY.lock`, so a second process waits for it and then finds the entry.
/// Debris of dead processes in `tmp/` (named with their PID) is removed by `removeDebris()`.
public final class ArtifactStore: @unchecked Sendable {
    public let root: URL
    /// Problems found and repaired (corrupt entries discarded), for the caller to report.
    public private(set) var warnings: [String] = []
    private let fm = FileManager.default

    public init(root: URL) throws {
        self.root = root
        for d in ["objects", "checkpoints", "tmp", "locks"] {
            do { try fm.createDirectory(at: root.appendingPathComponent(d), withIntermediateDirectories: true) }
            catch { throw StoreError("cannot create the cache at \(root.path): \(error.localizedDescription)") }
        }
    }

    /// `--cache DIR`, else `$RAD_CACHE`, else `.rad` in the working directory.
    public static func defaultRoot(option: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        if let option, !option.isEmpty { return URL(fileURLWithPath: option) }
        if let env = environment["RAD_CACHE"], !env.isEmpty { return URL(fileURLWithPath: env) }
        return URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(".rad")
    }

    var writeLock: String { root.appendingPathComponent("write.lock").path }
    public var useLockPath: String { root.appendingPathComponent("use.lock").path }

    func entryDirectory(_ key: String) -> URL {
        root.appendingPathComponent("objects").appendingPathComponent(String(key.prefix(2))).appendingPathComponent(key)
    }
    func checkpointDirectory(_ key: String) -> URL { root.appendingPathComponent("checkpoints").appendingPathComponent(key) }
    var tmpDirectory: URL { root.appendingPathComponent("tmp") }
    /// Names in `tmp/` carry `.pidPID.` so that `removeDebris()` knows whose they are.
    static let pidMarker = ".pid"
    /// A scratch folder in `tmp/` owned by this process.
    public func scratchDirectory(_ name: String) -> URL { tmpDirectory.appendingPathComponent("\(name)\(Self.pidMarker)\(getpid())") }

    // MARK: locks

    /// Runs `body` holding the exclusive lock `locks/NAME.lock` (shared by every process using this cache).
    public func withLock<T>(named name: String, _ body: () throws -> T) throws -> T {
        try FileLock.with(root.appendingPathComponent("locks").appendingPathComponent(name + ".lock").path, .exclusive, body)
    }

    /// The lock a process holds while it computes the entry `key`. `onWait` is called when another
    /// process holds it (before waiting for it).
    public func lockEntry(key: String, onWait: () -> Void) throws -> FileLock {
        let path = root.appendingPathComponent("locks").appendingPathComponent(key + ".lock").path
        if let lock = try FileLock.attempt(path: path, mode: .exclusive) { return lock }
        onWait()
        return try FileLock(path: path, mode: .exclusive)
    }

    static func validKey(_ key: String) -> Bool { key.count >= 8 && key.count <= 128 && key.allSatisfy { $0.isHexDigit } }

    // MARK: writing

    /// Stores tensors (zstd bundle) and/or files under `key`. An intact entry already under `key` is kept.
    @discardableResult
    public func put(key: String, kind: String, tensors: [String: Tensor] = [:], files: [String: URL] = [:],
                    meta: CanonicalValue = .object([:])) throws -> Artifact {
        try write(to: entryDirectory(key), key: key, kind: kind, tensors: tensors, files: files, meta: meta, replaceable: false)
    }

    /// Stores a resumable partial result of the step whose final key is `key`.
    @discardableResult
    public func putCheckpoint(key: String, kind: String, tensors: [String: Tensor], files: [String: URL] = [:],
                              meta: CanonicalValue) throws -> Artifact {
        try write(to: checkpointDirectory(key), key: key, kind: kind, tensors: tensors, files: files, meta: meta, replaceable: true)
    }

    private func write(to final: URL, key: String, kind: String, tensors: [String: Tensor], files: [String: URL],
                       meta: CanonicalValue, replaceable: Bool) throws -> Artifact {
        guard Self.validKey(key) else { throw StoreError("invalid artifact key '\(key)'") }
        let tmp = scratchDirectory("\(key).\(UUID().uuidString)")
        try fm.createDirectory(at: tmp, withIntermediateDirectories: true)
        defer { try? fm.removeItem(at: tmp) }
        var payload: [String: CanonicalValue] = [:]
        var sizes: [String: Int64] = [:]
        if !tensors.isEmpty {
            let url = tmp.appendingPathComponent(Artifact.tensorFile)
            try TensorBundle.write(tensors, to: url)
            let (size, sha) = try Self.digest(url)
            payload[Artifact.tensorFile] = .object(["bytes": .int(size), "sha256": .string(sha)]); sizes[Artifact.tensorFile] = size
        }
        if !files.isEmpty {
            try fm.createDirectory(at: tmp.appendingPathComponent("files"), withIntermediateDirectories: true)
            for (name, src) in files.sorted(by: { $0.key < $1.key }) {
                guard !name.contains("/"), !name.hasPrefix(".") else { throw StoreError("artifact file name '\(name)' must be a plain name") }
                let dst = tmp.appendingPathComponent("files").appendingPathComponent(name)
                try fm.copyItem(at: src, to: dst)
                let (size, sha) = try Self.digest(dst)
                payload["files/" + name] = .object(["bytes": .int(size), "sha256": .string(sha)]); sizes["files/" + name] = size
            }
        }
        let record = CanonicalValue.object([
            "key": .string(key), "kind": .string(kind), "meta": meta, "payload": .object(payload),
            "created": .string(ISO8601DateFormatter().string(from: Date())), "engine": .string(RadVersion.engine),
        ])
        try Data(record.prettyJSON.utf8).write(to: tmp.appendingPathComponent("meta.json"), options: .atomic)
        return try FileLock.with(writeLock, .exclusive) {
            try fm.createDirectory(at: final.deletingLastPathComponent(), withIntermediateDirectories: true)
            if try AtomicRename.moveIfAbsent(tmp.path, to: final.path) {
                return Artifact(key: key, kind: kind, meta: meta, directory: final, files: sizes.mapValues { $0 })
            }
            // Already there. A finished entry that is intact stays (another process may be reading it, and
            // its content is the same); a checkpoint, or a damaged entry, is swapped for the new one.
            if !replaceable, case .success(let existing) = inspect(final, key: key, deep: false) { return existing }
            try AtomicRename.exchange(tmp.path, final.path)
            return Artifact(key: key, kind: kind, meta: meta, directory: final, files: sizes.mapValues { $0 })
        }
    }

    static func digest(_ url: URL) throws -> (Int64, String) {
        guard let fh = FileHandle(forReadingAtPath: url.path) else { throw StoreError("cannot read \(url.path)") }
        defer { try? fh.close() }
        var h = SHA256()
        var size: Int64 = 0
        while let chunk = try fh.read(upToCount: 4 << 20), !chunk.isEmpty { h.update(data: chunk); size += Int64(chunk.count) }
        return (size, h.finalize().hex)
    }

    // MARK: reading

    /// The artifact under `key`, verified (every payload file's size and checksum). A damaged entry is
    /// reported in `warnings`, removed, and nil is returned, so the caller recomputes it.
    public func get(key: String) throws -> Artifact? { try load(entryDirectory(key), key: key, what: "artifact") }

    public func checkpoint(key: String) throws -> Artifact? { try load(checkpointDirectory(key), key: key, what: "checkpoint") }

    public func contains(key: String) -> Bool { fm.fileExists(atPath: entryDirectory(key).appendingPathComponent("meta.json").path) }
    public func hasCheckpoint(key: String) -> Bool { fm.fileExists(atPath: checkpointDirectory(key).appendingPathComponent("meta.json").path) }

    public func removeCheckpoint(key: String) throws {
        try FileLock.with(writeLock, .exclusive) { try? fm.removeItem(at: checkpointDirectory(key)) }
    }

    /// Removes an entry found damaged while it was being read (see `CorruptArtifact`).
    public func discard(_ corrupt: CorruptArtifact) throws {
        warnings.append("artifact \(corrupt.key.prefix(12)) is corrupt (\(corrupt.problem)); discarded, it will be recomputed")
        try FileLock.with(writeLock, .exclusive) { try? fm.removeItem(at: corrupt.directory) }
    }

    /// Removes what processes that no longer run left in `tmp/` (half-written entries and checkpoints,
    /// work folders of killed steps). Returns the names removed.
    @discardableResult
    public func removeDebris() -> [String] {
        var removed: [String] = []
        for name in (try? fm.contentsOfDirectory(atPath: tmpDirectory.path)) ?? [] {
            guard let pid = ProcessLiveness.pid(in: name, after: Self.pidMarker), !ProcessLiveness.isAlive(pid) else { continue }
            if (try? fm.removeItem(at: tmpDirectory.appendingPathComponent(name))) != nil { removed.append(name) }
        }
        return removed
    }

    private func load(_ dir: URL, key: String, what: String) throws -> Artifact? {
        guard Self.validKey(key), fm.fileExists(atPath: dir.path) else { return nil }
        switch inspect(dir, key: key, deep: true) {
        case .success(let a): return a
        case .failure(let problem):
            warnings.append("\(what) \(key.prefix(12)) is corrupt (\(problem.description)); discarded, it will be recomputed")
            try FileLock.with(writeLock, .exclusive) { try? fm.removeItem(at: dir) }
            return nil
        }
    }

    /// Reads an entry's meta.json and (if `deep`) checks every payload file against it.
    func inspect(_ dir: URL, key: String?, deep: Bool) -> Result<Artifact, StoreError> {
        guard let data = fm.contents(atPath: dir.appendingPathComponent("meta.json").path) else { return .failure(StoreError("meta.json missing")) }
        guard let record = try? JSONReader.parse(data), let k = record["key"]?.stringValue, let kind = record["kind"]?.stringValue,
              let payload = record["payload"]?.objectValue else { return .failure(StoreError("meta.json unreadable")) }
        if let key, k != key { return .failure(StoreError("meta.json names key \(k.prefix(12))")) }
        var sizes: [String: Int64] = [:]
        for (name, info) in payload {
            let url = dir.appendingPathComponent(name)
            guard let attrs = try? fm.attributesOfItem(atPath: url.path), let size = (attrs[.size] as? NSNumber)?.int64Value else {
                return .failure(StoreError("\(name) missing"))
            }
            if size != info["bytes"]?.intValue { return .failure(StoreError("\(name) has \(size) bytes, expected \(info["bytes"]?.intValue ?? -1) (truncated?)")) }
            if deep {
                guard let (_, sha) = try? Self.digest(url), sha == info["sha256"]?.stringValue else {
                    return .failure(StoreError("\(name) checksum mismatch"))
                }
            }
            sizes[name] = size
        }
        return .success(Artifact(key: k, kind: kind, meta: record["meta"] ?? .null, directory: dir, files: sizes))
    }

    // MARK: maintenance

    public struct Entry: Sendable { public var key: String; public var kind: String; public var bytes: Int64; public var created: String; public var isCheckpoint: Bool }

    /// Every entry (finished and partial), without checksum verification.
    public func list() -> [Entry] {
        var out: [Entry] = []
        let objects = root.appendingPathComponent("objects")
        for shard in (try? fm.contentsOfDirectory(atPath: objects.path)) ?? [] {
            for key in (try? fm.contentsOfDirectory(atPath: objects.appendingPathComponent(shard).path)) ?? [] {
                out.append(entry(objects.appendingPathComponent(shard).appendingPathComponent(key), key: key, checkpoint: false))
            }
        }
        for key in (try? fm.contentsOfDirectory(atPath: root.appendingPathComponent("checkpoints").path)) ?? [] {
            out.append(entry(checkpointDirectory(key), key: key, checkpoint: true))
        }
        return out.sorted { $0.created < $1.created }
    }

    private func entry(_ dir: URL, key: String, checkpoint: Bool) -> Entry {
        let record = fm.contents(atPath: dir.appendingPathComponent("meta.json").path).flatMap { try? JSONReader.parse($0) }
        return Entry(key: key, kind: record?["kind"]?.stringValue ?? "?", bytes: Self.size(of: dir),
                     created: record?["created"]?.stringValue ?? "", isCheckpoint: checkpoint)
    }

    static func size(of dir: URL) -> Int64 {
        let fm = FileManager.default
        var total: Int64 = 0
        for sub in fm.subpaths(atPath: dir.path) ?? [] {
            if let s = (try? fm.attributesOfItem(atPath: dir.path + "/" + sub))?[.size] as? NSNumber,
               (try? fm.attributesOfItem(atPath: dir.path + "/" + sub))?[.type] as? FileAttributeType == .typeRegular { total += s.int64Value }
        }
        return total
    }

    /// Checks every entry deeply; returns (key, problem) for the damaged ones. With `repair` it removes them:
    /// `notRemoved` is nil when the entry is gone, otherwise why it is still there.
    public func verify(repair: Bool) throws -> [(key: String, problem: String, notRemoved: String?)] {
        var bad: [(String, String, String?)] = []
        for e in list() {
            let dir = e.isCheckpoint ? checkpointDirectory(e.key) : entryDirectory(e.key)
            if case .failure(let p) = inspect(dir, key: e.key, deep: true) {
                var notRemoved: String? = repair ? nil : "not repairing"
                if repair {
                    do { try FileLock.with(writeLock, .exclusive) { try fm.removeItem(at: dir) } }
                    catch { notRemoved = ErrorMessage.oneLine(error) }
                    if notRemoved == nil, fm.fileExists(atPath: dir.path) { notRemoved = "\(dir.path) is still there" }
                }
                bad.append((e.key, p.description, notRemoved))
            }
        }
        return bad
    }

    /// Removes every entry whose key is not in `keep` (and stale temporary folders). Returns what was
    /// (or, with `dryRun`, would be) removed and the bytes freed.
    public func gc(keep: Set<String>, dryRun: Bool) throws -> (removed: [Entry], bytes: Int64) {
        try FileLock.with(useLockPath, .exclusive) {
            var removed: [Entry] = []
            var bytes: Int64 = 0
            for e in list() where !keep.contains(e.key) {
                removed.append(e); bytes += e.bytes
                if !dryRun { try FileLock.with(writeLock, .exclusive) { try? fm.removeItem(at: e.isCheckpoint ? checkpointDirectory(e.key) : entryDirectory(e.key)) } }
            }
            let tmp = root.appendingPathComponent("tmp")
            for t in (try? fm.contentsOfDirectory(atPath: tmp.path)) ?? [] {
                bytes += Self.size(of: tmp.appendingPathComponent(t))
                if !dryRun { try? fm.removeItem(at: tmp.appendingPathComponent(t)) }
            }
            return (removed, bytes)
        }
    }
}

/// A cached entry whose payload turned out damaged while it was read (after its checksums matched).
public struct CorruptArtifact: Error, CustomStringConvertible {
    public var key: String
    public var directory: URL
    public var problem: String
    public var description: String { "cache entry \(key.prefix(12)) is damaged: \(problem)" }
}
