import Foundation

/// Each model's scores of an `evaluate` step, cached under a key of its own besides the step's entry:
/// the step's key record with that model alone among its inputs. A recipe's
/// variant (another student, the same teacher, tasks and limits) then finds the teacher's scores that
/// an earlier run made instead of computing them again (ten minutes in the two-hour recipe).
enum ModelEvaluationEntries {
    static let kind = "evaluate_model"

    /// The entry key of every model of the step whose key is `key`, in `models:` order.
    static func keys(_ key: CacheKey) -> [String] {
        guard case .object(var record) = key.record, var inputs = record["inputs"]?.objectValue else { return [] }
        var models: [CanonicalValue] = []
        while let model = inputs.removeValue(forKey: "models[\(models.count)]") { models.append(model) }
        record["kind"] = .string(kind)
        return models.map { model in
            var mine = inputs
            mine["model"] = model
            record["inputs"] = .object(mine)
            return CacheKeyDeriver.hash(.object(record))
        }
    }

    /// The scores stored under `key`, named `name` (nil: none yet). Under mpirun rank 0 looks and tells
    /// the other ranks, so that all of them compute, or skip, the model together.
    static func cached(_ key: String, name: String, _ context: StepContext) throws -> EvaluationResults.Model? {
        var found = context.role == .leader ? try context.store.get(key: key) : nil
        if let world = MPIWorld.current {
            let meta = try world.broadcast(found.map { Array($0.meta.canonicalJSON.utf8) } ?? [])
            found = nil
            guard !meta.isEmpty, let value = try? JSONReader.parse(Data(meta)) else { return nil }
            return model(value, name: name)
        }
        return found.flatMap { model($0.meta, name: name) }
    }

    /// Stores `model`'s scores under `key` (rank 0 only; the others write nothing).
    static func store(_ model: EvaluationResults.Model, key: String, _ context: StepContext) throws {
        guard context.role == .leader else { return }
        try context.store.put(key: key, kind: kind, meta: EvaluationResults(models: [model]).json)
    }

    private static func model(_ meta: CanonicalValue, name: String) -> EvaluationResults.Model? {
        guard var model = EvaluationResults(json: meta).models.first else { return nil }
        model.name = name
        return model
    }
}
