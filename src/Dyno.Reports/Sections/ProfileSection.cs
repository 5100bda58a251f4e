using System.Globalization;
using System.Text.Json;
using Dyno.Reports.Charts;
using Dyno.Reports.Documents;
using static Dyno.Reports.Sections.JsonPaths;

namespace Dyno.Reports.Sections;

/// <summary>Report section for a <c>dyno profile</c> result.</summary>
public static class ProfileSection
{
    public static bool Matches(JsonElement r) => At(r, "totals.dense_macs") is not null && At(r, "nodes") is not null;

    public static ReportSection Build(JsonElement r, string? source, string idPrefix)
    {
        var model = Text(r, "model.source") ?? source ?? "model";
        var s = new ReportSection { Title = $"Profile: {model}", Kind = "profile", Source = source };
        var partial = At(r, "totals.partial") is { ValueKind: JsonValueKind.True };
        var p = partial ? " (partial: lower bound)" : "";
        s.KeyFigures.Add(new("Weights", Fmt.Si(Number(r, "totals.weights") ?? 0), "initializer elements, shared once"));
        s.KeyFigures.Add(new("Dense MACs", Fmt.Si(Number(r, "totals.dense_macs") ?? 0), "Conv/Gemm/MatMul/Einsum products" + p));
        s.KeyFigures.Add(new("FLOPs", Fmt.Si(Number(r, "totals.flops") ?? 0), "2 x MACs + bias + per-element ops" + p));
        s.KeyFigures.Add(new("Memory access", Fmt.Bytes(Number(r, "totals.memory_access_bytes") ?? 0), "inputs read + outputs written"));
        if (Number(r, "memory.peak_activation_bytes") is { } peak)
            s.KeyFigures.Add(new("Peak activations", Fmt.Bytes(peak), $"liveness; at {Text(r, "memory.peak_node")}"));
        if (Number(r, "roofline.totals.min_time_ms") is { } ms)
            s.KeyFigures.Add(new("Roofline latency", ms.ToString("0.###", CultureInfo.InvariantCulture) + " ms",
                $"lower bound on {Text(r, "roofline.hardware")} at {Text(r, "roofline.precision")}"));

        var nodes = Array(r, "nodes").ToList();
        var topMacs = nodes.Where(n => Number(n, "dense_macs") > 0).OrderByDescending(n => Number(n, "dense_macs")).Take(25).ToList();
        if (topMacs.Count > 0)
            s.Figures.Add(new($"{idPrefix}-macs", "MACs per layer (top 25)",
                Charts.Charts.Bars("Dense MACs per layer", topMacs.Select(n => Text(n, "name") ?? "").ToList(), topMacs.Select(n => Number(n, "dense_macs") ?? 0).ToList(), "MACs"),
                "Multiply-accumulates of each Conv/Gemm/MatMul/Einsum node, largest 25, at the analysed batch (MACs, not FLOPs)."));
        var byOp = FlopsShare.ByOpType(nodes.Select(n => new FlopsShare.Node(Text(n, "graph"), Text(n, "domain"), Text(n, "op_type") ?? "?", Number(n, "flops") ?? 0)),
                Number(r, "totals.flops") ?? 0)
            .Where(x => x.Value > 0).OrderByDescending(x => x.Value).Take(15).ToList();
        if (byOp.Count > 0)
            s.Figures.Add(new($"{idPrefix}-ops", "FLOPs by operator type",
                Charts.Charts.Bars("Share of FLOPs by op type (%)", byOp.Select(x => x.Key).ToList(), byOp.Select(x => 100 * x.Value).ToList(), "% of FLOPs"),
                "Share of the model's total FLOPs by op type (top-level nodes; the same figures as the Operators table of dyno profile). FLOPs = 2 x MACs for products plus documented per-element costs (docs/conventions.md)."));
        if (At(r, "roofline") is { ValueKind: JsonValueKind.Object } roof)
        {
            var pts = Array(roof, "nodes").Select(n => new RooflineChartPoint(Number(n, "arithmetic_intensity") ?? 0, Number(n, "attainable_flops") ?? 0,
                Number(n, "time_share") ?? 0, Text(n, "bound") == "compute"));
            var plot = RooflineChart.Create($"{Text(roof, "hardware")} {Text(roof, "precision")}", Number(roof, "peak_flops") ?? 1,
                Number(roof, "bandwidth_bytes_per_second") ?? 1, pts, $"Roofline on {Text(roof, "hardware")}");
            s.Figures.Add(new($"{idPrefix}-roofline", "Roofline", ChartFile.Svg(plot, Charts.Charts.DefaultWidth, 600),
                "Log-log: the device roof min(peak, bandwidth x intensity) and one point per node at its arithmetic intensity (FLOP/byte), sized by its share of the lower-bound time."));
        }
        var timeline = Array(r, "memory.timeline").Select(e => e.GetDouble() / (1 << 20)).ToArray();
        if (timeline.Length > 1)
            s.Figures.Add(new($"{idPrefix}-memory", "Live activation memory",
                Charts.Charts.Lines("Live activations over the execution order", [new Series("live MiB", Enumerable.Range(0, timeline.Length).Select(i => (double)i).ToArray(), timeline)],
                    "node (execution order)", "MiB"),
                "Bytes of activations alive while each node runs (liveness: producer to last consumer; inputs kept by the caller), in MiB."));

        s.Tables.Add(new ResultTable("Costliest nodes (by FLOPs)",
            [new ResultColumn("Name"), new ResultColumn("Op"), new ResultColumn("Output"), new ResultColumn("MACs", ColumnAlign.Right),
             new ResultColumn("FLOPs", ColumnAlign.Right), new ResultColumn("Bytes", ColumnAlign.Right), new ResultColumn("FLOP/B", ColumnAlign.Right)],
            nodes.OrderByDescending(n => Number(n, "flops")).Take(20).Select(n => (IReadOnlyList<string>)
            [
                Text(n, "name") ?? "", Text(n, "op_type") ?? "", string.Join(" ", Array(n, "output_shapes").Select(e => e.GetString())),
                Fmt.Int((long)(Number(n, "dense_macs") ?? 0)), Fmt.Int((long)(Number(n, "flops") ?? 0)), Fmt.Int((long)(Number(n, "memory_access_bytes") ?? 0)),
                Fmt.Num(Number(n, "arithmetic_intensity") ?? 0, 2),
            ]).ToList()));
        if (At(r, "op_histogram") is { ValueKind: JsonValueKind.Object } hist)
            s.Tables.Add(new ResultTable("Operators", [new ResultColumn("Op"), new ResultColumn("Count", ColumnAlign.Right)],
                hist.EnumerateObject().OrderByDescending(p => p.Value.GetInt32()).Select(p => (IReadOnlyList<string>)[p.Name, p.Value.GetRawText()]).ToList()));
        foreach (var n in Array(r, "notes")) s.Notes.Add(n.GetString() ?? "");
        return s;
    }
}
