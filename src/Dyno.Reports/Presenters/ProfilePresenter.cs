using System.Globalization;
using Dyno.Models.Analysis;
using Dyno.Reports.Charts;
using Dyno.Reports.Documents;
using Dyno.Results;

namespace Dyno.Reports.Presenters;

/// <summary>
/// Presents a <c>profile</c> result (<see cref="ModelProfile"/>): the model summary, memory, roofline, the per-layer
/// table and the operator histogram; the report adds the MACs-per-layer, FLOPs-by-op, roofline and live-memory charts.
/// </summary>
/// <param name="sortKey">Per-layer table order: order, flops, macs, weights, bytes or intensity.</param>
/// <param name="top">Show only the first N nodes in that order (null: all).</param>
public sealed class ProfilePresenter(string sortKey = "order", int? top = null) : IResultPresenter<ModelProfile>
{
    /// <summary>The per-layer orders <c>--sort</c> accepts.</summary>
    public static IReadOnlyList<string> SortKeys { get; } = ["order", "flops", "macs", "weights", "bytes", "intensity"];

    /// <summary>The presenter of report sections: the 20 costliest nodes by FLOPs (a report is read, not scrolled).</summary>
    public static ProfilePresenter Report { get; } = new("flops", 20);

    /// <inheritdoc/>
    public string Kind => ResultKinds.Profile;

    /// <inheritdoc/>
    public IReadOnlyList<KeyFigure> Headline(ModelProfile p)
    {
        var t = p.Totals;
        var partial = t.Partial ? " (partial: lower bound)" : "";
        var figures = new List<KeyFigure>
        {
            new("Weights", Fmt.Si(t.Weights), "initializer elements, shared once"),
            new("Dense MACs", Fmt.Si(t.DenseMacs), "Conv/Gemm/MatMul/Einsum products" + partial),
            new("FLOPs", Fmt.Si(t.Flops), "2 x MACs + bias + per-element ops" + partial),
            new("Memory access", Fmt.Bytes(t.MemoryAccessBytes), "inputs read + outputs written"),
        };
        if (p.Memory is { } m) figures.Add(new("Peak activations", Fmt.Bytes(m.PeakActivationBytes), $"liveness; at {m.PeakNode}"));
        if (p.Roofline is { } r)
            figures.Add(new("Roofline latency", r.Totals.MinTimeMs.ToString("0.###", CultureInfo.InvariantCulture) + " ms", $"lower bound on {r.Hardware} at {r.Precision}"));
        return figures;
    }

    /// <inheritdoc/>
    public IReadOnlyList<ResultTable> Tables(ModelProfile p)
    {
        var t = p.Totals;
        var partial = t.Partial ? " (partial: lower bound)" : "";
        var summary = Present.Quantities("Model",
        [
            ("model", p.Model.Source),
            ("inputs", string.Join("; ", p.Inputs.Select(i => $"{i.Name}: {i.Dtype}{i.Shape}"))),
            ("nodes", Fmt.Int(p.NodeCount)),
            ("weights (initializers)", $"{Fmt.Int(t.Weights)} ({Fmt.Bytes(t.WeightBytes)})"),
            ("constant weights (Constant nodes)", $"{Fmt.Int(t.ConstantWeights)} ({Fmt.Bytes(t.ConstantWeightBytes)})"),
            ("dense MACs", Fmt.Int(t.DenseMacs) + partial),
            ("FLOPs", Fmt.Int(t.Flops) + partial),
            ("memory access", Fmt.Bytes(t.MemoryAccessBytes) + partial),
            ("activations (sum of node outputs)", Fmt.Bytes(t.ActivationBytes) + partial),
            ("arithmetic intensity", Fmt.Num(t.ArithmeticIntensity, 2) + " FLOP/B"),
        ], wrap: true) with { Notes = p.Notes.ToList() };

        IEnumerable<NodeCost> nodes = sortKey switch
        {
            "flops" => p.Nodes.OrderByDescending(n => n.Flops),
            "macs" => p.Nodes.OrderByDescending(n => n.DenseMacs),
            "weights" => p.Nodes.OrderByDescending(n => n.Weights),
            "bytes" => p.Nodes.OrderByDescending(n => n.MemoryAccessBytes),
            "intensity" => p.Nodes.OrderByDescending(n => n.ArithmeticIntensity),
            _ => p.Nodes,
        };
        var shown = top is { } k ? nodes.Take(k).ToList() : nodes.ToList();
        var totalFlops = Math.Max(1, t.Flops);
        var layers = Present.Table(top is null ? "Per layer" : $"Top {shown.Count} of {p.Nodes.Count} nodes by {sortKey}", shown,
            new Column<NodeCost>("#", n => n.Index.ToString(CultureInfo.InvariantCulture)),
            Present.Name<NodeCost>("Name", n => (n.Graph is null ? "" : n.Graph + "/") + n.Name),
            Present.Name<NodeCost>("Op", n => n.OpType),
            Present.Name<NodeCost>("Output shape", n => string.Join(" ", n.OutputShapes), dropOrder: 2),
            new("Weights", n => n.SharedWeights is null ? Fmt.Int(n.Weights) : Fmt.Int(n.Weights) + " (+shared)", DropOrder: 1),
            new("MACs", n => Fmt.Int(n.DenseMacs)),
            new("FLOPs", n => Fmt.Int(n.Flops)),
            new("Bytes", n => Fmt.Int(n.MemoryAccessBytes), DropOrder: 3),
            new("FLOP/B", n => Fmt.Num(n.ArithmeticIntensity, 2), DropOrder: 4),
            new("% FLOPs", n => Fmt.Pct((double)n.Flops / totalFlops) + (n.Resolved ? "" : " ?")))
            with { Notes = ["MACs: dense products only (Conv/ConvTranspose/Gemm/MatMul/Einsum). FLOPs = 2 x MACs + bias and per-element costs (docs/conventions.md)."] };

        var shares = FlopShares(p);
        var hist = Present.Table("Operators", p.OpHistogram.OrderByDescending(kv => kv.Value),
            Present.Name<KeyValuePair<string, int>>("Op", kv => kv.Key),
            new("Count", kv => kv.Value.ToString(CultureInfo.InvariantCulture)),
            new("% FLOPs", kv => Fmt.Pct(shares.GetValueOrDefault(kv.Key))));
        var tables = new List<ResultTable> { summary, layers, hist };
        if (p.Memory is { } mem)
            tables.Insert(1, Present.Quantities("Memory",
            [
                ("peak activations (liveness)", Fmt.Bytes(mem.PeakActivationBytes) + (mem.Partial ? " (partial)" : "")),
                ("peak at node", $"#{mem.PeakStep} {mem.PeakNode} ({mem.PeakOp})"),
                ("model size fp32 / fp16 / int8 / int4", string.Join(" / ", Dyno.Models.Hardware.FitCheck.ModelSizes(p).Values.Select(v => Fmt.Bytes(v)))),
            ], align: ColumnAlign.Right));
        if (p.Roofline is { } r)
        {
            var rt = r.Totals;
            tables.Insert(2, Present.Quantities($"Roofline on {r.Hardware} at {r.Precision}",
            [
                ("peak / bandwidth", $"{Fmt.Si(r.PeakFlops, "FLOP/s")} / {Fmt.Si(r.BandwidthBytesPerSecond, "B/s")}"),
                ("ridge point", Fmt.Num(r.RidgePoint, 1) + " FLOP/B"),
                ("model intensity", Fmt.Num(rt.ArithmeticIntensity, 2) + " FLOP/B"),
                ("lower-bound latency", Fmt.Num(rt.MinTimeMs, 4) + " ms" + (p.Totals.Partial ? " (partial)" : "")),
                ("max throughput", Fmt.Num(rt.MaxInferencesPerSecond, 1) + " inferences/s"),
                ("compute-bound share of time", Fmt.Pct(rt.ComputeBoundTimeShare)),
                ("compute- / memory-bound nodes", $"{rt.ComputeBoundNodes} / {rt.MemoryBoundNodes}"),
            ], align: ColumnAlign.Right) with { Notes = [r.Convention] });
        }
        if (p.Unresolved.Count > 0)
            tables.Add(Present.Table($"Unresolved ({p.Unresolved.Count} nodes, {Fmt.Pct(p.UnresolvedShare)} of the graph)", p.Unresolved,
                Present.Name<UnresolvedEntry>("Node", u => u.Node), Present.Name<UnresolvedEntry>("Op", u => u.OpType),
                new("Reason", u => u.Reason, Align: ColumnAlign.Left, Wrap: true)));
        return tables;
    }

    /// <inheritdoc/>
    public IReadOnlyList<string> Notes(ModelProfile document) => [];

    /// <inheritdoc/>
    public ReportSection Section(ModelProfile p, string? source, string id)
    {
        var s = Present.Section(this, p, $"Profile: {p.Model.Source}", source);
        var topMacs = p.Nodes.Where(n => n.DenseMacs > 0).OrderByDescending(n => n.DenseMacs).Take(25).ToList();
        if (topMacs.Count > 0)
            s.Figures.Add(new($"{id}-macs", "MACs per layer (top 25)",
                ChartKit.Bars("Dense MACs per layer", topMacs.Select(n => n.Name).ToList(), topMacs.Select(n => (double)n.DenseMacs).ToList(), "MACs"),
                "Multiply-accumulates of each Conv/Gemm/MatMul/Einsum node, largest 25, at the analysed batch (MACs, not FLOPs)."));
        var byOp = FlopShares(p).Where(x => x.Value > 0).OrderByDescending(x => x.Value).Take(15).ToList();
        if (byOp.Count > 0)
            s.Figures.Add(new($"{id}-ops", "FLOPs by operator type",
                ChartKit.Bars("Share of FLOPs by op type (%)", byOp.Select(x => x.Key).ToList(), byOp.Select(x => 100 * x.Value).ToList(), "% of FLOPs"),
                "Share of the model's total FLOPs by op type (top-level nodes; the same figures as the Operators table of dyno profile). FLOPs = 2 x MACs for products plus documented per-element costs (docs/conventions.md)."));
        if (p.Roofline is { } roof)
            s.Figures.Add(new($"{id}-roofline", "Roofline", ChartFile.Svg(RooflineChart.Create(roof, $"Roofline on {roof.Hardware}"), ChartKit.DefaultWidth, 600),
                "Log-log: the device roof min(peak, bandwidth x intensity) and one point per node at its arithmetic intensity (FLOP/byte), sized by its share of the lower-bound time."));
        if (p.Memory?.Timeline is { Count: > 1 } timeline)
            s.Figures.Add(new($"{id}-memory", "Live activation memory",
                ChartKit.Lines("Live activations over the execution order",
                    [new Series("live MiB", Enumerable.Range(0, timeline.Count).Select(i => (double)i).ToArray(), timeline.Select(b => b / (double)(1 << 20)).ToArray())],
                    "node (execution order)", "MiB"),
                "Bytes of activations alive while each node runs (liveness: producer to last consumer; inputs kept by the caller), in MiB."));
        return s;
    }

    private static IReadOnlyDictionary<string, double> FlopShares(ModelProfile p) =>
        FlopsShare.ByOpType(p.Nodes.Select(n => new FlopsShare.Node(n.Graph, n.Domain, n.OpType, n.Flops)), p.Totals.Flops);
}
