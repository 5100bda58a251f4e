using System.Text.Json;
using Dyno.Reports.Charts;
using Dyno.Reports.Documents;
using static Dyno.Reports.Sections.JsonPaths;

namespace Dyno.Reports.Sections;

public static partial class ResultSections
{
    /// <summary>A <c>dyno bench --generate</c> result: TTFT/TPOT cards, latency vs position, tokens/s vs batch, measured vs predicted.</summary>
    private static ReportSection Generation(JsonElement r, string? source, string id)
    {
        var model = Text(r, "model.source") ?? source ?? "model";
        var s = new ReportSection { Title = $"Generation: {model}", Kind = "bench-generate", Source = source };
        var g = At(r, "generation")!.Value;
        var shape = $"batch {Number(g, "batch")}, prompt {Number(g, "prompt_length")}, {Number(g, "gen_length")} new tokens, {Text(r, "settings.provider")} {Number(r, "settings.intra_op_threads")} thread(s)";
        string Pred(string key, string bound) => Number(g, "predicted." + key) is { } p
            ? $"roofline {F(p, "0.###")} ms ({Text(g, "predicted." + bound)}-bound)" : "no prediction";
        s.KeyFigures.Add(new("Time to first token", F(Number(g, "ttft_ms.p50"), "0.###") + " ms", $"p50; {Pred("ttft_ms", "prefill_bound")}; {shape}"));
        if (Number(g, "tpot_ms.p50") is { } tpot)
            s.KeyFigures.Add(new("Time per output token", F(tpot, "0.###") + " ms", $"p50; {Pred("tpot_ms", "decode_bound")}"));
        if (Number(g, "itl_ms.p99") is { } itl99)
            s.KeyFigures.Add(new("Inter-token latency p99", F(itl99, "0.###") + " ms", $"p50 {F(Number(g, "itl_ms.p50"), "0.###")} ms"));
        if (Number(g, "decode_tokens_per_s") is { } dtps) s.KeyFigures.Add(new("Decode tokens/s", F(dtps, "0.#"), "batch × decode steps ÷ decode time"));
        s.KeyFigures.Add(new("End-to-end tokens/s", F(Number(g, "e2e_tokens_per_s"), "0.#"), "batch × new tokens ÷ generation time"));
        if (Number(g, "predicted.ttft_measured_over_predicted") is { } rt)
            s.KeyFigures.Add(new("Measured ÷ predicted", $"TTFT {F(rt, "0.##")}×, TPOT {F(Number(g, "predicted.tpot_measured_over_predicted"), "0.##")}×", "against this machine's calibrated roofs"));
        if (Number(g, "kv_cache_bytes") is { } kv) s.KeyFigures.Add(new("KV cache held", Fmt.Bytes(kv), "after the last step"));
        if (Number(g, "harness_overhead_ms_per_token") is { } h)
            s.KeyFigures.Add(new("Harness overhead", F(h * 1000, "0.##") + " µs/token", $"{F(100 * (Number(g, "harness_overhead_share_of_tpot") ?? 0), "0.##")}% of the ITL"));

        var byContext = Array(g, "itl_by_context").ToList();
        if (byContext.Count > 1)
            s.Figures.Add(new($"{id}-itl", "Inter-token latency vs position",
                ChartKit.Lines("Median inter-token latency by cache length",
                    [new Series("ITL p50", byContext.Select(c => Number(c, "context") ?? 0).ToArray(), byContext.Select(c => Number(c, "p50_ms") ?? 0).ToArray())],
                    "tokens in the KV cache (prompt + generated)", "ms", yMin: 0),
                $"Median over the timed generations of each decode step; least-squares slope {F(Number(g, "itl_slope_ms_per_1k_context"), "0.###")} ms per 1,000 tokens of context (does TPOT grow with context length?)."));
        var sweep = Array(r, "sweep").ToList();
        var byBatch = sweep.GroupBy(p => (Number(p, "prompt_length"), Number(p, "gen_length"))).Where(grp => grp.Count() > 1).ToList();
        if (byBatch.Count > 0)
            s.Figures.Add(new($"{id}-batch", "Tokens/s vs batch",
                ChartKit.Lines("Decode tokens/s by batch size", byBatch.Select(grp => new Series($"prompt {grp.Key.Item1}, gen {grp.Key.Item2}",
                    grp.Select(p => Number(p, "batch") ?? 0).ToArray(), grp.Select(p => Number(p, "decode_tokens_per_s") ?? 0).ToArray())).ToList(), "batch size", "tokens / s", markers: true, yMin: 0),
                "Generated tokens per second over the batch during decode, at each batch size of the sweep."));
        var predicted = sweep.Where(p => Number(p, "predicted_ttft_ms") is not null).ToList();
        if (predicted.Count > 0)
        {
            var labels = new List<string>();
            var values = new List<double>();
            foreach (var p in predicted)
            {
                var tag = $"b{Number(p, "batch")} p{Number(p, "prompt_length")} g{Number(p, "gen_length")}";
                labels.Add("TTFT " + tag);
                values.Add(Number(p, "ttft_measured_over_predicted") ?? 0);
                if (Number(p, "tpot_measured_over_predicted") is { } tr) { labels.Add("TPOT " + tag); values.Add(tr); }
            }
            s.Figures.Add(new($"{id}-pred", "Measured vs predicted", ChartKit.Bars("Measured ÷ roofline prediction", labels, values, "measured / predicted"),
                "Each point's measured p50 divided by the dyno llm roofline bound on this machine's calibrated roofs (1 = at the roof; prefill is compute-bound, decode memory-bound)."));
        }
        s.Tables.Add(new ResultTable("Latency (ms)", [new ResultColumn("Metric"), new ResultColumn("p50", ColumnAlign.Right), new ResultColumn("p90", ColumnAlign.Right),
                new ResultColumn("p99", ColumnAlign.Right), new ResultColumn("95% CI of p50", ColumnAlign.Right), new ResultColumn("Samples", ColumnAlign.Right)],
            new[] { ("TTFT", "ttft_ms"), ("TPOT", "tpot_ms"), ("ITL", "itl_ms"), ("generation", "e2e_ms") }.Where(k => At(g, k.Item2) is not null).Select(k => (IReadOnlyList<string>)
            [
                k.Item1, F(Number(g, k.Item2 + ".p50"), "0.####"), F(Number(g, k.Item2 + ".p90"), "0.####"), F(Number(g, k.Item2 + ".p99"), "0.####"),
                Number(g, k.Item2 + ".ci.p50.lower") is { } lo ? $"[{F(lo, "0.####")}, {F(Number(g, k.Item2 + ".ci.p50.upper"), "0.####")}]" : "",
                F(Number(g, k.Item2 + ".count"), "0"),
            ]).ToList()));
        if (sweep.Count > 0)
            s.Tables.Add(new ResultTable("Sweep", [new ResultColumn("Batch", ColumnAlign.Right), new ResultColumn("Prompt", ColumnAlign.Right), new ResultColumn("Gen", ColumnAlign.Right),
                    new ResultColumn("TTFT p50 ms", ColumnAlign.Right), new ResultColumn("TPOT p50 ms", ColumnAlign.Right), new ResultColumn("Decode tok/s", ColumnAlign.Right),
                    new ResultColumn("Pred. TTFT ms", ColumnAlign.Right), new ResultColumn("Pred. TPOT ms", ColumnAlign.Right), new ResultColumn("TTFT ×", ColumnAlign.Right), new ResultColumn("TPOT ×", ColumnAlign.Right)],
                sweep.Select(p => (IReadOnlyList<string>)
                [
                    F(Number(p, "batch"), "0"), F(Number(p, "prompt_length"), "0"), F(Number(p, "gen_length"), "0"), F(Number(p, "ttft_p50_ms"), "0.###"), F(Number(p, "tpot_p50_ms"), "0.###"),
                    F(Number(p, "decode_tokens_per_s"), "0.#"), F(Number(p, "predicted_ttft_ms"), "0.###"), F(Number(p, "predicted_tpot_ms"), "0.###"),
                    F(Number(p, "ttft_measured_over_predicted"), "0.##"), F(Number(p, "tpot_measured_over_predicted"), "0.##"),
                ]).ToList()));
        foreach (var w in Array(r, "warnings")) s.Notes.Add("warning: " + w.GetString());
        foreach (var n in Array(r, "notes")) s.Notes.Add(n.GetString() ?? "");
        return s;
    }
}
