import Foundation

/// The training curves, one block per training step: its loss (named with its unit, `StageLoss`), the
/// learning rates, the gradient norm before clipping (with the clip), against tokens trained, and the
/// throughput against time.
enum TrainingSection {
    static func render(_ run: RunFolder) -> String {
        let steps = run.curves.sorted { run.ordered($0.step, $1.step) }
        guard !steps.isEmpty else { return "" }
        var html = "<h2>Training</h2>\n"
        for curves in steps { html += block(curves, run: run) }
        return html
    }

    static func block(_ c: StepCurves, run: RunFolder) -> String {
        let kind = run.kind(of: c.step)
        let settings = run.settings(of: c.step)
        let loss = StageLoss.of(kind: kind, settings: settings)
        let palette = LineChart.palette
        var charts = [
            LineChart(title: "loss", xTitle: "tokens trained", yTitle: loss.axisTitle,
                      series: [.init(name: "loss", points: c.loss, color: palette[0])]),
        ]
        // Both groups when they differ (stage 2/3: LR_att and LR_main), one line when they are the same.
        var rates = [LineChart.Series(name: "lr (main)", points: c.lr, color: palette[0])]
        if c.lrAttention != c.lr { rates.append(.init(name: "lr (attention)", points: c.lrAttention, color: palette[1])) }
        if rates.count == 1 { rates[0].name = "lr" }
        charts.append(LineChart(title: "learning rate", xTitle: "tokens trained", yTitle: "learning rate", series: rates))
        let clip = settings["grad_clip"]?.doubleValue ?? 0
        charts.append(LineChart(title: "gradient norm (before clipping)", xTitle: "tokens trained", yTitle: "global L2 norm",
                                series: [.init(name: "grad norm", points: c.gradNorm, color: palette[2])],
                                references: clip > 0 ? [.init(y: clip, label: String(format: "clip %g", clip))] : []))
        // Per-step rates are noisy (another process on the machine, a checkpoint written): the step's mean
        // rate over the logged span is drawn across them.
        let mean = c.meanTokensPerSecond
        charts.append(LineChart(title: "throughput", xTitle: "seconds since the step started", yTitle: "tokens/s", xStyle: .plain,
                                series: [.init(name: "tokens/s", points: c.tokensPerSecond, color: palette[3])],
                                references: mean.map { [.init(y: $0, label: "mean " + Units.count(Int64($0.rounded())))] } ?? []))
        var html = "<section class=stage><h3>\(HTML.escape(c.step))"
        if let kind { html += " <small>\(HTML.escape(kind))</small>" }
        html += "</h3>\n<p class=note>\(HTML.escape(summary(c, loss: loss)))</p>\n<div class=charts>"
        for chart in charts where !chart.isEmpty { html += "<div class=chart-box>" + chart.svg() + "</div>\n" }
        return html + "</div></section>\n"
    }

    /// One line: what the loss is, where it went, how many optimizer steps were logged.
    static func summary(_ c: StepCurves, loss: StageLoss) -> String {
        var s = "Loss: \(loss.explanation)."
        if let first = c.loss.first, let last = c.loss.last {
            s += String(format: " %.4g → %.4g over ", first.y, last.y) + Units.count(Int64(last.x))
                + " tokens (\(c.loss.count) optimizer steps logged)."
        }
        if let mean = c.meanTokensPerSecond {
            let rates = c.tokensPerSecond.map(\.y).sorted()
            s += String(format: " %.0f tokens/s on average (the median optimizer step: %.0f tokens/s).", mean, rates[rates.count / 2])
        }
        return s
    }
}
