import Foundation

/// What a training step's logged `loss` is, for the chart's axis title: it depends on the step's kind
/// and, for the logit stages, on its KL and cross-entropy weights (`StageObjective`).
struct StageLoss: Equatable {
    /// The axis title: the quantity and its unit.
    var axisTitle: String
    /// A sentence under the charts.
    var explanation: String

    /// `settings` are the step's resolved settings (its cache-key record's: defaults filled in).
    static func of(kind: String?, settings: [String: CanonicalValue]) -> StageLoss {
        switch kind {
        case "align_hidden_states":
            return StageLoss(axisTitle: "RMS attention-output error",
                             explanation: "stage 1 alignment loss: per token, ‖y_teacher − y_student‖₂/√C of each replaced layer's attention output, "
                                 + "averaged over tokens and layers (in the units of the hidden state)")
        case "distill_logits", "finetune":
            // The defaults are the kinds' own (DistillLogitsStep: KL 1, CE 0; FinetuneStep: KL 0, CE 1).
            let kl = settings["kl_weight"]?.doubleValue ?? (kind == "finetune" ? 0 : 1)
            let ce = settings["ce_weight"]?.doubleValue ?? (kind == "finetune" ? 1 : 0)
            return logits(kl: kl, ce: ce)
        default:
            return StageLoss(axisTitle: "loss", explanation: "the step's training loss")
        }
    }

    static func logits(kl: Double, ce: Double) -> StageLoss {
        func weight(_ w: Double) -> String { w == 1 ? "" : String(format: "%g·", w) }
        switch (kl > 0, ce > 0) {
        case (true, false):
            return StageLoss(axisTitle: weight(kl) + "KL (nats/token)",
                             explanation: weight(kl) + "KL(teacher ‖ student) of the next-token distributions, nats per token")
        case (false, true):
            return StageLoss(axisTitle: weight(ce) + "cross-entropy (nats/token)",
                             explanation: weight(ce) + "next-token cross-entropy of the student, nats per token")
        default:
            return StageLoss(axisTitle: "\(weight(kl))KL + \(weight(ce))CE (nats/token)",
                             explanation: "\(weight(kl))KL(teacher ‖ student) + \(weight(ce))cross-entropy, nats per token")
        }
    }
}
