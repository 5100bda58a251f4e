using System.Globalization;
using System.Text.Json;
using Dyno.Reports.Charts;
using Dyno.Reports.Documents;
using Dyno.Results;
using Dyno.Runtime.Benchmark;

namespace Dyno.Reports.Presenters;

/// <summary>
/// Presents a <c>bench</c> result (<see cref="BenchResult"/>): the run, the latency distribution with its CIs, the
/// throughput sweep and the time per operator type; the report adds the latency histogram and percentile curve, the
/// throughput-vs-batch and time-by-operator charts.
/// </summary>
public sealed class BenchPresenter : IResultPresenter<BenchResult>
{
    /// <summary>The one instance (it has no settings).</summary>
    public static BenchPresenter Instance { get; } = new();

    /// <inheritdoc/>
    public string Kind => ResultKinds.Bench;

    /// <summary>Milliseconds to 4 significant figures or so: 0.1234, 1.234, 123.4.</summary>
    public static string Ms(double v) => Fmt.Num(v, v >= 100 ? 1 : v >= 1 ? 3 : 4);

    private static string F(double v, string format) => double.IsFinite(v) ? v.ToString(format, CultureInfo.InvariantCulture) : "-";

    /// <inheritdoc/>
    public IReadOnlyList<KeyFigure> Headline(BenchResult r)
    {
        var l = r.LatencyMs;
        var c = r.ColdStartMs;
        var figures = new List<KeyFigure>
        {
            new("Latency p50", F(l.P50, "0.###") + " ms", $"median; {r.Settings.Provider} {r.Settings.IntraOpThreads} thread(s)"),
            new("Latency p95", F(l.P95, "0.###") + " ms", "95th percentile"),
            new("Latency p99", F(l.P99, "0.###") + " ms", "99th percentile"),
            new("Mean ± std", $"{F(l.Mean, "0.###")} ± {F(l.Std, "0.###")} ms", $"CV {F(l.Cv * 100, "0.#")}%"),
        };
        if (r.Throughput.Count > 0)
            figures.Add(new("Best throughput", F(r.Throughput.Max(t => t.SamplesPerSecond), "0.#") + " samples/s", "over the batch/concurrency sweep"));
        figures.Add(new("Cold start", F(c.Total, "0.#") + " ms",
            $"process start to first result: process {F(c.ProcessStart, "0.#")} (runtime start and all work before the benchmark) + load {F(c.ModelLoad, "0.#")} + session {F(c.SessionCreate, "0.#")} + first inference {F(c.FirstInference, "0.#")} ms"));
        figures.Add(new("Peak RSS", Fmt.Bytes(r.PeakRssBytes), "process"));
        return figures;
    }

    /// <inheritdoc/>
    public IReadOnlyList<ResultTable> Tables(BenchResult r)
    {
        var l = r.LatencyMs;
        var c = r.ColdStartMs;
        string Ci(string k) => r.LatencyMs.Ci.TryGetValue(k, out var e) ? $"[{Ms(e.Lower)}, {Ms(e.Upper)}]" : "";
        var latency = new ResultTable($"Latency, batch {r.Settings.Batches[0]} (ms, {l.Count} timed iterations, stop: {r.StopReason})",
            [new ResultColumn("Statistic"), new ResultColumn("ms", ColumnAlign.Right), new ResultColumn("95% CI", ColumnAlign.Right)],
            [
                ["mean", Ms(l.Mean), Ci("mean")], ["std", Ms(l.Std), ""], ["min", Ms(l.Min), ""],
                ["p50", Ms(l.P50), Ci("p50")], ["p90", Ms(l.P90), Ci("p90")], ["p95", Ms(l.P95), Ci("p95")], ["p99", Ms(l.P99), Ci("p99")],
                ["max", Ms(l.Max), ""], ["CV", Fmt.Pct(l.Cv), ""],
                ["outliers (Tukey)", $"{l.Outliers.High} high, {l.Outliers.Low} low", ""],
            ]);
        var summary = Present.Quantities("Run",
        [
            ("model", r.Model.Source + (r.Model.WeightsMaterialized ? " (random weights materialized)" : "")),
            ("inputs", string.Join("; ", r.Model.Inputs.Select(i => $"{i.Name}: {i.Dtype}[{string.Join(",", i.Shape)}]"))),
            ("settings", $"{r.Settings.Provider}, intra-op {Threads(r.Settings.IntraOpThreads)}, inter-op {Threads(r.Settings.InterOpThreads)}, opt {Word(r.Settings.GraphOptimization)}, {Word(r.Settings.ExecutionMode)}"),
            ("cold start (ms)", $"process {Ms(c.ProcessStart)} + load {Ms(c.ModelLoad)} + session {Ms(c.SessionCreate)} + first run {Ms(c.FirstInference)} = {Ms(c.Total)}"),
            ("warm-up", $"{r.Warmup.Iterations} iterations, {Fmt.Num(r.Warmup.Seconds, 2)} s, steady state {(r.Warmup.SteadyStateDetected ? "detected" : "NOT detected")}"),
            ("peak RSS", Fmt.Bytes(r.PeakRssBytes)),
            ("session RSS growth", Fmt.Bytes(r.Memory.SessionGrowthBytes)),
            ("FLOPs / inference", Fmt.Int(r.Model.Flops)),
            ("achieved FLOP/s", Fmt.Si(r.Utilization.AchievedFlopsPerSecond, "FLOP/s") + Util(r.Utilization.FlopsUtilization, "GEMM roof")),
            ("achieved bytes/s", Fmt.Si(r.Utilization.AchievedBytesPerSecond, "B/s") + Util(r.Utilization.BandwidthUtilization, "triad roof")),
            ($"scenario {r.Scenario.Name}", $"{r.Scenario.Metric} = {Fmt.Num(r.Scenario.Value, 3)}" + (r.Scenario.TargetMet is { } met ? (met ? " (target met)" : " (target MISSED)") : "")),
        ], wrap: true);
        var throughput = Present.Table("Throughput", r.Throughput,
            new Column<ThroughputPoint>("Batch", p => p.Batch.ToString(CultureInfo.InvariantCulture)),
            new("Concurrency", p => p.Concurrency.ToString(CultureInfo.InvariantCulture)),
            new("Samples/s", p => Fmt.Num(p.SamplesPerSecond, 1)),
            new("p50", p => Ms(p.LatencyP50Ms), "ms"), new("p90", p => Ms(p.LatencyP90Ms), "ms"), new("p99", p => Ms(p.LatencyP99Ms), "ms"),
            new("Iterations", p => Fmt.Int(p.Iterations), DropOrder: 1),
            Present.Name<ThroughputPoint>("Pareto", p => p.Pareto ? "yes" : ""));
        var tables = new List<ResultTable> { summary, latency, throughput };
        if (r.Ops is { } ops)
            tables.Add(Present.Table($"Time per operator type (profiled, batch {ops.Batch}, {ops.Runs} runs; kernels sum {Ms(ops.SumOpsMs)} ms = {Fmt.Pct(ops.SumOpsOverLatency)} of median latency, {Fmt.Pct(ops.SumOpsOverProfiledRun)} of a profiled run; {ops.StaticNodesJoined}/{ops.StaticNodes} static nodes joined)",
                ops.ByOpType,
                Present.Name<OpTypeTime>("Op", t => t.OpType),
                new("Nodes", t => t.Nodes.ToString(CultureInfo.InvariantCulture)),
                new("ms", t => Ms(t.TimeMs)),
                new("Share", t => Fmt.Pct(t.Share)),
                new("FLOPs", t => Fmt.Int(t.Flops), DropOrder: 1),
                new("Achieved FLOP/s", t => t.AchievedFlopsPerSecond is { } f ? Fmt.Si(f, "FLOP/s") : "", DropOrder: 2)));
        return tables;
    }

    /// <inheritdoc/>
    public IReadOnlyList<string> Notes(BenchResult r)
    {
        var e = r.Environment;
        return
        [
            .. r.Notes,
            $"environment: {e.CpuModel}, {e.LogicalCores} logical cores, {e.Os}, {e.Dotnet}, ONNX Runtime {e.OnnxRuntime}" +
                (e.LoadAverage is { Count: > 0 } la ? ", load average " + la[0].ToString("0.00", CultureInfo.InvariantCulture) : ""),
            "percentiles: type 7 (linear interpolation); CIs: order statistics with binomial coverage (95%); outliers: Tukey's 1.5 IQR fences, kept (docs/bench.md)",
        ];
    }

    /// <inheritdoc/>
    public ReportSection Section(BenchResult r, string? source, string id)
    {
        var s = Present.Section(this, r, $"Benchmark: {r.Model.Source}", source);
        s.Notes.InsertRange(0, r.Warnings.Select(w => "warning: " + w));
        var samples = r.SamplesMs ?? [];
        if (samples.Count > 1)
        {
            s.Figures.Add(new($"{id}-hist", "Latency histogram", ChartKit.Histogram("Latency distribution", samples, Math.Clamp(samples.Count / 10, 10, 60), "latency (ms)"),
                $"{samples.Count} timed iterations after warm-up, batch {r.Settings.Batches[0]}; outliers are kept (see the table)."));
            var sorted = samples.Order().ToArray();
            var pct = Enumerable.Range(0, sorted.Length).Select(i => 100.0 * (i + 0.5) / sorted.Length).ToArray();
            s.Figures.Add(new($"{id}-pct", "Latency percentiles", ChartKit.Lines("Latency by percentile", [new Series("latency", pct, sorted)], "percentile (%)", "latency (ms)"),
                "Each timed iteration's latency against its percentile rank: a flat line is a steady machine, a rising tail is jitter."));
        }
        else
        {
            var l = r.LatencyMs;
            s.Figures.Add(new($"{id}-pct", "Latency percentiles", ChartKit.Bars("Latency percentiles", ["min", "p50", "p90", "p95", "p99", "max"], [l.Min, l.P50, l.P90, l.P95, l.P99, l.Max], "ms"),
                "Minimum, percentiles and maximum of the timed iterations, in milliseconds."));
        }
        if (r.Throughput.Count > 1)
            s.Figures.Add(new($"{id}-throughput", "Throughput vs batch",
                ChartKit.Lines("Throughput vs batch size", r.Throughput.GroupBy(t => t.Concurrency)
                    .Select(g => new Series($"concurrency {g.Key}", g.Select(t => (double)t.Batch).ToArray(), g.Select(t => t.SamplesPerSecond).ToArray())).ToList(),
                    "batch size", "samples / s", markers: true),
                "Samples per second at each batch size (and concurrency); see the table for the latency at each point and which points are on the latency–throughput Pareto front."));
        if (r.Ops is { ByOpType.Count: > 0 } ops)
        {
            var top = ops.ByOpType.OrderByDescending(o => o.Share).Take(15).ToList();
            s.Figures.Add(new($"{id}-ops", "Time by operator type",
                ChartKit.Bars("Measured time share by op type (%)", top.Select(o => o.OpType).ToList(), top.Select(o => 100 * o.Share).ToList(), "% of operator time"),
                "ONNX Runtime's profiler, per op type, as a share of the summed operator time."));
        }
        return s;
    }

    private static string Threads(int n) => n == 0 ? "default" : n.ToString(CultureInfo.InvariantCulture);

    private static string Util(double? u, string roof) => u is { } v ? $" ({Fmt.Pct(v)} of the {roof})" : "";

    private static string Word<TEnum>(TEnum value) where TEnum : struct, Enum => JsonNamingPolicy.SnakeCaseLower.ConvertName(value.ToString());
}
