using System.Globalization;
using Dyno.Reports.Charts;
using Dyno.Reports.Documents;
using Dyno.Results;
using Dyno.Runtime.Generation;
using Dyno.Runtime.Statistics;

namespace Dyno.Reports.Presenters;

/// <summary>
/// Presents a <c>bench-generate</c> result (<see cref="GenerationBenchResult"/>): TTFT, TPOT, ITL and tokens/s with the
/// roofline prediction, the latency table and the sweep; the report adds ITL against position, tokens/s against batch
/// and measured over predicted.
/// </summary>
public sealed class GenerationPresenter : IResultPresenter<GenerationBenchResult>
{
    /// <summary>The one instance (it has no settings).</summary>
    public static GenerationPresenter Instance { get; } = new();

    /// <inheritdoc/>
    public string Kind => ResultKinds.BenchGenerate;

    /// <inheritdoc/>
    public IReadOnlyList<KeyFigure> Headline(GenerationBenchResult r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var g = r.Generation;
        var p = g.Predicted;
        var shape = FormattableString.Invariant($"batch {g.Batch}, prompt {g.PromptLength}, {g.GenLength} new tokens, {r.Settings.Provider} {r.Settings.IntraOpThreads} thread(s)");
        string Pred(double? ms, Dyno.Models.Roofline.RooflineBound? bound) => ms is { } x ? $"roofline {F(x, "0.###")} ms ({bound?.ToString().ToLowerInvariant()}-bound)" : "no prediction";
        var figures = new List<KeyFigure> { new("Time to first token", F(g.TtftMs.P50, "0.###") + " ms", $"p50; {Pred(p?.TtftMs, p?.PrefillBound)}; {shape}") };
        if (g.TpotMs is { } tpot) figures.Add(new("Time per output token", F(tpot.P50, "0.###") + " ms", $"p50; {Pred(p?.TpotMs, p?.DecodeBound)}"));
        if (g.ItlMs is { } itl) figures.Add(new("Inter-token latency p99", F(itl.P99, "0.###") + " ms", $"p50 {F(itl.P50, "0.###")} ms"));
        if (g.DecodeTokensPerS is { } dtps) figures.Add(new("Decode tokens/s", F(dtps, "0.#"), "batch × decode steps ÷ decode time"));
        figures.Add(new("End-to-end tokens/s", F(g.E2eTokensPerS, "0.#"), "batch × new tokens ÷ generation time"));
        if (p is not null)
            figures.Add(new("Measured ÷ predicted", $"TTFT {F(p.TtftMeasuredOverPredicted, "0.##")}×, TPOT {F(p.TpotMeasuredOverPredicted, "0.##")}×", "against this machine's calibrated roofs"));
        figures.Add(new("KV cache held", Fmt.Bytes(g.KvCacheBytes), "after the last step"));
        if (g.HarnessOverheadMsPerToken is { } h)
            figures.Add(new("Harness overhead", F(h * 1000, "0.##") + " µs/token", $"{F(100 * (g.HarnessOverheadShareOfTpot ?? 0), "0.##")}% of the ITL"));
        return figures;
    }

    private static string Ms(double? v) => v is { } x ? Fmt.Num(x, x >= 100 ? 1 : x >= 1 ? 3 : 4) : "";

    /// <inheritdoc/>
    public IReadOnlyList<ResultTable> Tables(GenerationBenchResult r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var g = r.Generation;
        var p = g.Predicted;
        var summary = new ResultTable($"Generation, batch {g.Batch}, prompt {g.PromptLength}, {g.GenLength} new tokens ({g.Runs} timed generations, stop: {g.StopReason})",
            [new ResultColumn("Quantity"), new ResultColumn("Value", ColumnAlign.Right)],
            [
                ["model", $"{r.Model.Source} ({r.Model.Layers} layers, {r.Model.KvHeads} kv heads x {r.Model.HeadDim}, vocab {r.Model.Vocab})"],
                ["TTFT p50 (ms)", Ms(g.TtftMs.P50) + Ci(g.TtftMs)],
                ["TPOT p50 (ms)", Ms(g.TpotMs?.P50) + Ci(g.TpotMs)],
                ["decode tokens/s", g.DecodeTokensPerS is { } d ? Fmt.Num(d, 2) : ""],
                ["end-to-end tokens/s", Fmt.Num(g.E2eTokensPerS, 2)],
                ["predicted TTFT / TPOT (ms)", p is null ? "(no prediction)" : $"{Ms(p.TtftMs)} ({p.PrefillBound.ToString().ToLowerInvariant()}-bound) / {Ms(p.TpotMs)} ({p.DecodeBound?.ToString().ToLowerInvariant()}-bound)"],
                ["measured / predicted", p is null ? "" : $"TTFT {Fmt.Num(p.TtftMeasuredOverPredicted, 2)}x, TPOT {(p.TpotMeasuredOverPredicted is { } x ? Fmt.Num(x, 2) + "x" : "")}"],
                ["KV cache held", Fmt.Bytes(g.KvCacheBytes) + $" (buffers {Fmt.Bytes(g.KvCacheBufferBytes)})"],
                ["harness overhead per token", g.HarnessOverheadMsPerToken is { } h ? $"{Fmt.Num(h * 1000, 2)} us ({Fmt.Num(100 * (g.HarnessOverheadShareOfTpot ?? 0), 3)}% of the median ITL)" : ""],
                ["ITL slope", g.ItlSlopeMsPer1kContext is { } s ? $"{Fmt.Num(s, 3)} ms per 1k tokens of context" : ""],
                ["cold start (ms)", $"process {Ms(r.ColdStartMs.ProcessStart)} + load {Ms(r.ColdStartMs.ModelLoad)} + session {Ms(r.ColdStartMs.SessionCreate)} + first token {Ms(r.ColdStartMs.FirstToken)} = {Ms(r.ColdStartMs.Total)}"],
                ["peak RSS", Fmt.Bytes(r.PeakRssBytes)],
            ]);
        var latency = new ResultTable("Latency (ms)", [new ResultColumn("Metric"), new ResultColumn("p50", ColumnAlign.Right), new ResultColumn("p90", ColumnAlign.Right),
                new ResultColumn("p99", ColumnAlign.Right), new ResultColumn("mean", ColumnAlign.Right), new ResultColumn("samples", ColumnAlign.Right)],
            new (string, LatencyStats?)[] { ("TTFT", g.TtftMs), ("TPOT", g.TpotMs), ("ITL", g.ItlMs), ("generation", g.E2eMs) }
                .Where(x => x.Item2 is not null)
                .Select(x => (IReadOnlyList<string>)[x.Item1, Ms(x.Item2!.P50), Ms(x.Item2.P90), Ms(x.Item2.P99), Ms(x.Item2.Mean), x.Item2.Count.ToString(CultureInfo.InvariantCulture)]).ToList());
        var tables = new List<ResultTable> { summary, latency };
        if (r.Sweep.Count > 1)
            tables.Add(new ResultTable("Sweep", [new ResultColumn("Batch", ColumnAlign.Right), new ResultColumn("Prompt", ColumnAlign.Right), new ResultColumn("Gen", ColumnAlign.Right),
                    new ResultColumn("TTFT p50", ColumnAlign.Right), new ResultColumn("TPOT p50", ColumnAlign.Right), new ResultColumn("Decode tok/s", ColumnAlign.Right),
                    new ResultColumn("TTFT meas/pred", ColumnAlign.Right), new ResultColumn("TPOT meas/pred", ColumnAlign.Right)],
                r.Sweep.Select(s => (IReadOnlyList<string>)
                [
                    s.Batch.ToString(CultureInfo.InvariantCulture), s.PromptLength.ToString(CultureInfo.InvariantCulture), s.GenLength.ToString(CultureInfo.InvariantCulture),
                    Ms(s.TtftP50Ms), Ms(s.TpotP50Ms), s.DecodeTokensPerS is { } d ? Fmt.Num(d, 1) : "",
                    s.TtftMeasuredOverPredicted is { } a ? Fmt.Num(a, 2) : "", s.TpotMeasuredOverPredicted is { } b ? Fmt.Num(b, 2) : "",
                ]).ToList()));
        return tables;
    }

    private static string Ci(LatencyStats? s) => s is not null && s.Ci.TryGetValue("p50", out var e) ? $" [{Ms(e.Lower)}, {Ms(e.Upper)}]" : "";

    /// <inheritdoc/>
    public IReadOnlyList<string> Notes(GenerationBenchResult r)
    {
        ArgumentNullException.ThrowIfNull(r);
        return r.Notes;
    }

    /// <inheritdoc/>
    public ReportSection Section(GenerationBenchResult r, string? source, string id)
    {
        ArgumentNullException.ThrowIfNull(r);
        var s = Present.Section(this, r, $"Generation: {r.Model.Source}", source);
        var g = r.Generation;
        if (g.ItlByContext is { Count: > 1 } byContext)
            s.Figures.Add(new($"{id}-itl", "Inter-token latency vs position",
                ChartKit.Lines("Median inter-token latency by cache length",
                    [new Series("ITL p50", byContext.Select(c => (double)c.Context).ToArray(), byContext.Select(c => c.P50Ms).ToArray())],
                    "tokens in the KV cache (prompt + generated)", "ms", yMin: 0),
                $"Median over the timed generations of each decode step; least-squares slope {F(g.ItlSlopeMsPer1kContext, "0.###")} ms per 1,000 tokens of context (does TPOT grow with context length?)."));
        var byBatch = r.Sweep.GroupBy(p => (p.PromptLength, p.GenLength)).Where(grp => grp.Count() > 1).ToList();
        if (byBatch.Count > 0)
            s.Figures.Add(new($"{id}-batch", "Tokens/s vs batch",
                ChartKit.Lines("Decode tokens/s by batch size", byBatch.Select(grp => new Series(FormattableString.Invariant($"prompt {grp.Key.PromptLength}, gen {grp.Key.GenLength}"),
                    grp.Select(p => (double)p.Batch).ToArray(), grp.Select(p => p.DecodeTokensPerS ?? 0).ToArray())).ToList(), "batch size", "tokens / s", markers: true, yMin: 0),
                "Generated tokens per second over the batch during decode, at each batch size of the sweep."));
        var predicted = r.Sweep.Where(p => p.PredictedTtftMs is not null).ToList();
        if (predicted.Count > 0)
        {
            var labels = new List<string>();
            var values = new List<double>();
            foreach (var p in predicted)
            {
                var tag = FormattableString.Invariant($"b{p.Batch} p{p.PromptLength} g{p.GenLength}");
                labels.Add("TTFT " + tag);
                values.Add(p.TtftMeasuredOverPredicted ?? 0);
                if (p.TpotMeasuredOverPredicted is { } tr) { labels.Add("TPOT " + tag); values.Add(tr); }
            }
            s.Figures.Add(new($"{id}-pred", "Measured vs predicted", ChartKit.Bars("Measured ÷ roofline prediction", labels, values, "measured / predicted"),
                "Each point's measured p50 divided by the dyno llm roofline bound on this machine's calibrated roofs (1 = at the roof; prefill is compute-bound, decode memory-bound)."));
        }
        foreach (var w in r.Warnings) s.Notes.Add("warning: " + w);
        return s;
    }

    private static string F(double? v, string format) => v is { } x && double.IsFinite(x) ? x.ToString(format, CultureInfo.InvariantCulture) : "-";
}
