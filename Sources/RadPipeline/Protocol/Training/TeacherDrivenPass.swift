import RadOps
import RadModelZoo

/// Stage 1's forward pass (spec §1.2), shared by the alignment loss and the hybrid layer scores: the
/// residual stream is the teacher's, and every recurrent layer's student mixer reads the teacher's
/// normalised hidden state beside the teacher's own attention.
enum TeacherDrivenPass {
    /// One layer of the pass: its residual input, the teacher attention's output, and the student mixer's
    /// output on the same normalised hidden state (nil where the student keeps softmax attention).
    struct Layer {
        var index: Int
        var input: Tensor
        var teacherOutput: Tensor
        var studentOutput: Tensor?
    }

    /// Runs the pass over `tokens` (`batch` rows), calling `visit` after every layer, and returns the
    /// teacher's final residual stream (before the final norm).
    @discardableResult
    static func run(teacher: DecoderModel, student: DecoderModel, tokens: [Int32], batch: Int,
                    visit: (Layer) -> Void) -> Tensor {
        let layers = teacher.config.numLayers, seqLen = tokens.count / batch
        let teacherContext = ForwardContext(batch: batch, seqLen: seqLen)
        let studentContext = ForwardContext(batch: batch, seqLen: seqLen)
        var x = teacher.embed(tokens, batch: batch)
        for l in 0..<layers {
            let tl = teacher.layers[l]
            let h = rmsNorm(x, weight: tl.inputNorm, eps: tl.eps)
            teacherContext.layerIndex = l
            let yT = tl.mixer.forward(h, context: teacherContext, state: nil)
            var yS: Tensor?
            if isRecurrent(student, layer: l) {
                studentContext.layerIndex = l
                student.markLayerStart(l)
                yS = student.layers[l].mixer.forward(h, context: studentContext, state: nil)
            }
            visit(Layer(index: l, input: x, teacherOutput: yT, studentOutput: yS))
            x = tl.finishLayer(add(x, yT))
        }
        return x
    }

    /// Whether the student's layer `l` is a recurrent mixer (a model without a student descriptor is
    /// treated as wholly recurrent).
    static func isRecurrent(_ student: DecoderModel, layer l: Int) -> Bool {
        student.student?.isRecurrent(layer: l, of: student.config.numLayers) ?? true
    }
}
