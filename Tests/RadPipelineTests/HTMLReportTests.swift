import Foundation
import Testing
import RadPipeline

/// The HTML report of a run folder built by hand: axes with round ticks and the loss's name and unit,
/// learning-rate, gradient-norm and throughput curves of the latest run only, the student's options,
/// what ran, and benchmarks with documents, standard errors and dashes where a relative score is noise.
@Suite struct HTMLReportTests {
    static func runFolder() throws -> TempDir {
        let dir = try TempDir()
        _ = try dir.write("run.json", """
        {"manifest": "report-demo", "file": "demo.yaml", "seed": 7, "status": "ok",
         "started": "2026-12-02T10:00:00Z", "finished": "2026-12-02T10:25:30Z",
         "resolved": {"name": "report-demo", "teacher": {"source": "/models/teacher.gguf"},
                      "student": {"architecture": "rad-rwkv6", "options": {"rope": true}}},
         "nodes": {"student.init": {"kind": "init_student", "status": "cached", "seconds": 2.5, "key": "00112233445566778899"},
                   "align": {"kind": "align_hidden_states", "status": "ran", "seconds": 120.5, "tokens_per_s": 164,
                             "key": "0123456789abcdef0123", "record": {"settings": {"grad_clip": 1.0}}},
                   "distill": {"kind": "distill_logits", "status": "ran", "seconds": 60, "key": "fedcba9876543210fedc",
                               "record": {"settings": {"kl_weight": 1, "ce_weight": 0, "grad_clip": 1.0}}},
                   "finetune": {"kind": "finetune", "status": "ran", "seconds": 30, "key": "aabbccddeeff00112233",
                                "record": {"settings": {"kl_weight": 0, "ce_weight": 1, "grad_clip": 1.0}}}},
         "order": ["student.init", "align", "distill", "finetune"]}
        """)
        var metrics = ""
        // An earlier run of the folder (another run id) with absurd numbers: not drawn.
        for (t, loss) in [(2048, 99.0), (4096, 98.0), (6144, 97.0)] {
            metrics += "{\"run\":\"r1\",\"step\":\"align\",\"tokens\":\(t),\"total\":8192,\"loss\":\(loss),\"lr\":0.5,\"grad_norm\":500,\"elapsed_s\":\(t / 100)}\n"
        }
        metrics += "{\"run\":\"r2\",\"step\":\"data.train\",\"tokens\":100,\"total\":100}\n"
        for (i, (loss, norm)) in [(3.2, 2.1), (2.9, 1.5), (2.5, 0.9), (2.4, 0.7)].enumerated() {
            let lr = [1e-3, 3e-3, 2e-3, 1e-4][i]
            metrics += "{\"run\":\"r2\",\"step\":\"align\",\"tokens\":\((i + 1) * 2048),\"total\":8192,\"loss\":\(loss),\"lr\":\(lr),"
                + "\"lr_attention\":\(lr),\"grad_norm\":\(norm),\"optimizer_step\":\(i + 1),\"elapsed_s\":\(10 + 12 * i)}\n"
        }
        for (i, loss) in [1.8, 1.6, 1.5].enumerated() {
            metrics += "{\"run\":\"r2\",\"step\":\"distill\",\"tokens\":\((i + 1) * 4096),\"total\":12288,\"loss\":\(loss),\"lr\":1e-5,"
                + "\"lr_attention\":1e-4,\"grad_norm\":0.5,\"elapsed_s\":\(5 + 20 * i)}\n"
        }
        for (i, loss) in [3.1, 3.0].enumerated() {
            metrics += "{\"run\":\"r2\",\"step\":\"finetune\",\"tokens\":\((i + 1) * 1024),\"total\":2048,\"loss\":\(loss),\"lr\":1e-5,"
                + "\"lr_attention\":1e-5,\"grad_norm\":0.3,\"elapsed_s\":\(3 + 4 * i)}\n"
        }
        metrics += "not json\n"
        _ = try dir.write("metrics.jsonl", metrics)
        _ = try dir.write("eval.json", """
        {"model_order": ["teacher", "finetune"], "task_order": ["hellaswag", "lambada", "piqa"], "models": {
          "teacher": {"tasks": {
              "hellaswag": {"docs": 400, "acc": 0.4, "acc_per_char": 0.45, "paper_metric": "acc_per_char", "paper_score": 0.45},
              "lambada": {"docs": 20, "acc": 0, "acc_per_char": 0, "greedy_acc": 0, "ppl": 900, "paper_metric": "greedy_acc", "paper_score": 0},
              "piqa": {"docs": 5, "acc": 0.8, "acc_per_char": 0.8, "paper_metric": "acc", "paper_score": 0.8}},
            "heldout": {"ppl": 12.25, "nll": 2.5055, "tokens": 16384}},
          "finetune": {"tasks": {
              "hellaswag": {"docs": 400, "acc": 0.38, "acc_per_char": 0.4, "paper_metric": "acc_per_char", "paper_score": 0.4},
              "lambada": {"docs": 20, "acc": 0, "acc_per_char": 0, "greedy_acc": 0, "ppl": 2000, "paper_metric": "greedy_acc", "paper_score": 0},
              "piqa": {"docs": 5, "acc": 0.2, "acc_per_char": 0.2, "paper_metric": "acc", "paper_score": 0.2}},
            "heldout": {"ppl": 15.5, "nll": 2.74, "tokens": 16384}}}}
        """)
        return dir
    }

    @Test func chartsHaveTicksNamedAxesAndTheTrainingCurves() throws {
        let dir = try Self.runFolder(); defer { dir.cleanup() }
        let html = HTMLReport.render(runDirectory: dir.url)
        // Each stage's loss named with its unit: stage 1's RMS error, stage 2's KL, stage 3's cross-entropy.
        #expect(html.contains(">RMS attention-output error</text>"))
        #expect(html.contains(">KL (nats/token)</text>"))
        #expect(html.contains(">cross-entropy (nats/token)</text>"))
        #expect(html.contains(">tokens trained</text>"))
        // Round ticks on both axes, not just the two ends: align's tokens 2048..8192 and losses 2.4..3.2.
        for tick in [">2k</text>", ">4k</text>", ">6k</text>", ">8k</text>", ">2.6</text>", ">2.8</text>", ">3.0</text>"] {
            #expect(html.contains(tick), "no tick \(tick)")
        }
        // Learning rate (both groups where they differ), gradient norm with its clip, throughput.
        #expect(html.contains("data-series=\"lr\""))
        #expect(html.contains("data-series=\"lr (main)\"") && html.contains("data-series=\"lr (attention)\""))
        #expect(html.contains("data-series=\"grad norm\"") && html.contains(">clip 1</text>"))
        #expect(html.contains("data-series=\"tokens/s\"") && html.contains(">tokens/s</text>"))
        // Only the last run's lines: run r1's losses of 97-99 and lr 0.5 are not drawn.
        #expect(html.contains("(4 optimizer steps logged)"))
        // The rates say what they are (it once read "median optimizer step 171", as if a step number).
        #expect(html.contains("171 tokens/s on average (the median optimizer step: 171 tokens/s)."))
        #expect(!html.contains(">99") && !html.contains(">100</text>") && !html.contains(">500</text>"))
        #expect(!html.contains("<h3>data.train"))
        #expect(!html.contains("nan") && !html.contains("inf"))
    }

    @Test func studentAndStepsSections() throws {
        let dir = try Self.runFolder(); defer { dir.cleanup() }
        let html = HTMLReport.render(runDirectory: dir.url)
        #expect(html.contains("<h2>Student</h2>") && html.contains("<code>rad-rwkv6</code>") && html.contains("<code>/models/teacher.gguf</code>"))
        #expect(html.contains("<td>rope</td><td class=set>true</td><td class=t>set here</td>"))
        #expect(html.contains("<td>tokenshift</td><td>true</td><td class=t>default</td>"))
        #expect(html.contains("<td>softmax_layers</td><td>0</td>"))
        #expect(html.contains("wall time <b>25m30s</b>"))
        #expect(html.contains("<td>student.init</td><td class=t>init_student</td><td class=\"t status-cached\">cached</td><td><small>2.5 when computed</small></td>"))
        #expect(html.contains("<td>align</td><td class=t>align_hidden_states</td><td class=\"t status-ran\">ran</td><td>120.5</td><td>164</td>"))
    }

    @Test func evaluationShowsDocumentsErrorsAndDashes() throws {
        let dir = try Self.runFolder(); defer { dir.cleanup() }
        let html = HTMLReport.render(runDirectory: dir.url)
        #expect(html.contains("<th class=t>task</th><th class=t>metric</th><th>docs</th><th>teacher</th><th>finetune</th><th>relative (finetune)</th>"))
        // hellaswag on 400 documents: (0.40 - 0.25)/(0.45 - 0.25) = 75%, with its propagated error.
        let rel = EvalStatistics.relative(student: Accuracy(0.4, documents: 400), teacher: Accuracy(0.45, documents: 400), chance: 0.25)
        #expect(EvalStatistics.format(rel) == "75.0 ± 15.4%")
        #expect(html.contains("<td class=t>hellaswag</td><td class=t>acc_per_char</td><td>400</td><td>0.4500 ± 0.0249</td>"
            + "<td>0.4000 ± 0.0245</td><td>75.0 ± 15.4%</td>"))
        // lambada 0.0 vs 0.0 (the old green 100.0%) and piqa on 5 documents (the old red -100.0%): dashes with the reason.
        #expect(html.contains("<td class=t>lambada</td><td class=t>greedy_acc</td><td>20</td><td>0.0000 ± 0.0000</td><td>0.0000 ± 0.0000</td>"
            + "<td class=dash title=\"teacher 0.000 is within 2 standard errors (±0.000) of chance 0.00\">–</td>"))
        #expect(html.contains("<td class=t>piqa</td><td class=t>acc</td><td>5</td><td>0.8000 ± 0.2000</td><td>0.2000 ± 0.2000</td><td class=dash"))
        #expect(html.contains("<li>lambada: teacher 0.000 is within 2 standard errors"))
        #expect(!html.contains("100.0%") && !html.contains("-100.0%"))
        #expect(html.contains("<td class=t>held-out perplexity</td><td class=t>ppl</td><td></td><td>12.250 <small>(16.4k tok)</small></td>"))
    }

    @Test func legacyLinesWithoutARunIdAreOneRun() throws {
        let dir = try TempDir(); defer { dir.cleanup() }
        // A token count going back down within a run starts a new attempt: only the latest is drawn.
        let lines = [(2048, 9.0), (4096, 8.0), (2048, 3.0), (4096, 2.0), (6144, 1.0)].map {
            "{\"step\":\"align\",\"tokens\":\($0.0),\"total\":8192,\"loss\":\($0.1)}"
        }
        _ = try dir.write("metrics.jsonl", lines.joined(separator: "\n") + "\n")
        let html = HTMLReport.render(runDirectory: dir.url)
        #expect(html.contains("(3 optimizer steps logged)") && html.contains(">loss</text>"))
        #expect(!html.contains(">9</text>") && !html.contains(">8</text>"))
    }
}

/// The progress line's rate and ETA after a resume count only the tokens this process trained.
@Suite struct ProgressRateTests {
    @Test func aResumedStepsRateCountsOnlyTheTokensTrainedNow() {
        #expect(StepRate.perSecond(tokens: 26_624, resumedAt: 24_576, elapsed: 20) == 102.4)
        #expect(StepRate.perSecond(tokens: 2048, resumedAt: 0, elapsed: 20) == 102.4)
        #expect(StepRate.perSecond(tokens: 100, resumedAt: 0, elapsed: 0) == 0)
    }
}
