using System.CommandLine;
using Dyno.Cli.Infrastructure;
using Dyno.Models.Analysis;
using Dyno.Models.Onnx;
using Dyno.Models.Roofline;
using Dyno.Models.Shapes;
using Dyno.Reports.Charts;
using Dyno.Reports;
using Dyno.Results;

namespace Dyno.Cli.Commands;

/// <summary><c>dyno profile</c>: static analysis of an ONNX model.</summary>
internal static class ProfileCommand
{
    private static readonly string[] SortKeys = ["order", "flops", "macs", "weights", "bytes", "intensity"];

    public static Command Create()
    {
        var common = new CommonOptions();
        var modelArgs = new ModelArgs();
        var hwArgs = new HardwareArgs();
        var chart = new Option<FileInfo?>("--roofline-chart") { Description = "With --hardware: write the roofline chart (log-log, one point per node) to this .svg or .png file." };
        var top = new Option<int?>("--top") { Description = "Show only the N costliest nodes in the per-layer table (sorted by --sort, default flops)." };
        var sort = new Option<string?>("--sort") { Description = "Per-layer table order: order, flops, macs, weights, bytes, intensity (default: order, or flops with --top)." };
        sort.AcceptOnlyFromAmong(SortKeys);
        var allowPartial = new Option<bool>("--allow-partial") { Description = "Exit 0 even when the model has operators Dyno does not know (totals are then marked partial)." };
        var onnxCompat = new Option<bool>("--onnx-compatible-shapes") { Description = "Infer shapes as onnx's own shape inference does (less constant propagation), to compare with tools built on it." };

        var cmd = new Command("profile", "Static analysis of an ONNX model: weights, dense MACs, FLOPs, memory traffic, peak activation memory, a per-layer table, and with --hardware its roofline. Needs no weight data.")
        {
            top, sort, allowPartial, onnxCompat, chart,
        };
        modelArgs.AddTo(cmd);
        hwArgs.AddTo(cmd);
        common.AddTo(cmd);
        cmd.SetAction(parse => CommandRunner.Run(() =>
        {
            using var onnx = modelArgs.Open(parse);
            var profile = ModelProfiler.Profile(onnx, modelArgs.Options(parse, onnx, onnxCompatible: parse.GetValue(onnxCompat)));
            var device = hwArgs.Device(parse);
            var chartFile = parse.GetValue(chart);
            if (chartFile is not null && device is null) throw new UsageException("--roofline-chart needs --hardware NAME");
            if (device is not null)
            {
                profile = profile with { Roofline = RooflineAnalyzer.Analyze(profile, device, hwArgs.GetPrecision(parse)) };
                if (chartFile is not null)
                {
                    ChartFile.Save(RooflineChart.Create(profile.Roofline, $"{onnx.Source} on {device.Title}"), chartFile.FullName);
                    if (!parse.GetValue(common.Quiet)) Console.Error.WriteLine($"dyno: wrote {chartFile.FullName}");
                }
            }
            var topN = parse.GetValue(top);
            var sortKey = parse.GetValue(sort) ?? (topN is null ? "order" : "flops");
            common.Emit(parse, new CommandOutput(ResultKinds.Profile, profile, Tables(profile, sortKey, topN)));

            var quiet = parse.GetValue(common.Quiet);
            if (!parse.GetValue(allowPartial) && ProfileChecks.InconsistentShapes(profile, onnx.Source) is { } problem)
            {
                Console.Error.WriteLine("dyno: error: " + problem);
                return CommandRunner.BadInput;
            }
            var unknown = profile.Unresolved.Where(u => u.Kind == UnresolvedKind.UnknownOperator).ToList();
            if (unknown.Count > 0)
            {
                var ops = string.Join(", ", unknown.Select(u => u.OpType).Distinct());
                var msg = $"{onnx.Source}: {unknown.Count} node(s) use unknown operators ({ops}), {Fmt.Pct(profile.UnresolvedShare)} of the graph unresolved: totals are partial";
                if (!parse.GetValue(allowPartial))
                {
                    Console.Error.WriteLine("dyno: error: " + msg + " (pass --allow-partial to accept)");
                    return CommandRunner.BadInput;
                }
                if (!quiet) Console.Error.WriteLine("dyno: warning: " + msg);
            }
            else if (profile.Totals.Partial && !quiet)
                Console.Error.WriteLine($"dyno: warning: {profile.Unresolved.Count} node(s) have shapes that depend on data or could not be inferred: totals are partial (see 'unresolved')");
            return CommandRunner.Ok;
        }));
        return cmd;
    }

    private static IReadOnlyList<ResultTable> Tables(ModelProfile p, string sortKey, int? top)
    {
        var t = p.Totals;
        var partial = t.Partial ? " (partial: lower bound)" : "";
        var summary = new ResultTable("Model", [new ResultColumn("Quantity"), new ResultColumn("Value", Wrap: true)],
        [
            ["model", p.Model.Source],
            ["inputs", string.Join("; ", p.Inputs.Select(i => $"{i.Name}: {i.Dtype}{i.Shape}"))],
            ["nodes", Fmt.Int(p.NodeCount)],
            ["weights (initializers)", $"{Fmt.Int(t.Weights)} ({Fmt.Bytes(t.WeightBytes)})"],
            ["constant weights (Constant nodes)", $"{Fmt.Int(t.ConstantWeights)} ({Fmt.Bytes(t.ConstantWeightBytes)})"],
            ["dense MACs", Fmt.Int(t.DenseMacs) + partial],
            ["FLOPs", Fmt.Int(t.Flops) + partial],
            ["memory access", Fmt.Bytes(t.MemoryAccessBytes) + partial],
            ["activations (sum of node outputs)", Fmt.Bytes(t.ActivationBytes) + partial],
            ["arithmetic intensity", Fmt.Num(t.ArithmeticIntensity, 2) + " FLOP/B"],
        ])
        { Notes = p.Notes.ToList() };

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
        var layers = new ResultTable(
            top is null ? "Per layer" : $"Top {shown.Count} of {p.Nodes.Count} nodes by {sortKey}",
            [
                new ResultColumn("#", ColumnAlign.Right), new ResultColumn("Name"), new ResultColumn("Op"), new ResultColumn("Output shape", DropOrder: 2),
                new ResultColumn("Weights", ColumnAlign.Right, DropOrder: 1), new ResultColumn("MACs", ColumnAlign.Right), new ResultColumn("FLOPs", ColumnAlign.Right),
                new ResultColumn("Bytes", ColumnAlign.Right, DropOrder: 3), new ResultColumn("FLOP/B", ColumnAlign.Right, DropOrder: 4), new ResultColumn("% FLOPs", ColumnAlign.Right),
            ],
            shown.Select(n => (IReadOnlyList<string>)
            [
                n.Index.ToString(System.Globalization.CultureInfo.InvariantCulture), (n.Graph is null ? "" : n.Graph + "/") + n.Name, n.OpType,
                string.Join(" ", n.OutputShapes), n.SharedWeights is null ? Fmt.Int(n.Weights) : Fmt.Int(n.Weights) + " (+shared)",
                Fmt.Int(n.DenseMacs), Fmt.Int(n.Flops), Fmt.Int(n.MemoryAccessBytes), Fmt.Num(n.ArithmeticIntensity, 2),
                Fmt.Pct((double)n.Flops / totalFlops) + (n.Resolved ? "" : " ?"),
            ]).ToList())
        { Notes = ["MACs: dense products only (Conv/ConvTranspose/Gemm/MatMul/Einsum). FLOPs = 2 x MACs + bias and per-element costs (docs/conventions.md)."] };

        var shares = FlopsShare.ByOpType(p.Nodes.Select(n => new FlopsShare.Node(n.Graph, n.Domain, n.OpType, n.Flops)), t.Flops);
        var hist = new ResultTable("Operators", [new ResultColumn("Op"), new ResultColumn("Count", ColumnAlign.Right), new ResultColumn("% FLOPs", ColumnAlign.Right)],
            p.OpHistogram.OrderByDescending(kv => kv.Value).Select(kv => (IReadOnlyList<string>)
            [
                kv.Key, kv.Value.ToString(System.Globalization.CultureInfo.InvariantCulture),
                Fmt.Pct(shares.GetValueOrDefault(kv.Key)),
            ]).ToList());
        var tables = new List<ResultTable> { summary, layers, hist };
        if (p.Memory is { } mem)
            tables.Insert(1, new ResultTable("Memory", [new ResultColumn("Quantity"), new ResultColumn("Value", ColumnAlign.Right)],
            [
                ["peak activations (liveness)", Fmt.Bytes(mem.PeakActivationBytes) + (mem.Partial ? " (partial)" : "")],
                ["peak at node", $"#{mem.PeakStep} {mem.PeakNode} ({mem.PeakOp})"],
                ["model size fp32 / fp16 / int8 / int4", string.Join(" / ", Dyno.Models.Hardware.FitCheck.ModelSizes(p).Values.Select(v => Fmt.Bytes(v)))],
            ]));
        if (p.Roofline is { } r)
        {
            var rt = r.Totals;
            tables.Insert(2, new ResultTable($"Roofline on {r.Hardware} at {r.Precision}", [new ResultColumn("Quantity"), new ResultColumn("Value", ColumnAlign.Right)],
            [
                ["peak / bandwidth", $"{Fmt.Si(r.PeakFlops, "FLOP/s")} / {Fmt.Si(r.BandwidthBytesPerSecond, "B/s")}"],
                ["ridge point", Fmt.Num(r.RidgePoint, 1) + " FLOP/B"],
                ["model intensity", Fmt.Num(rt.ArithmeticIntensity, 2) + " FLOP/B"],
                ["lower-bound latency", Fmt.Num(rt.MinTimeMs, 4) + " ms" + (p.Totals.Partial ? " (partial)" : "")],
                ["max throughput", Fmt.Num(rt.MaxInferencesPerSecond, 1) + " inferences/s"],
                ["compute-bound share of time", Fmt.Pct(rt.ComputeBoundTimeShare)],
                ["compute- / memory-bound nodes", $"{rt.ComputeBoundNodes} / {rt.MemoryBoundNodes}"],
            ]) { Notes = [r.Convention] });
        }
        if (p.Unresolved.Count > 0)
            tables.Add(new ResultTable($"Unresolved ({p.Unresolved.Count} nodes, {Fmt.Pct(p.UnresolvedShare)} of the graph)",
                [new ResultColumn("Node"), new ResultColumn("Op"), new ResultColumn("Reason", Wrap: true)],
                p.Unresolved.Select(u => (IReadOnlyList<string>)[u.Node, u.OpType, u.Reason]).ToList()));
        return tables;
    }
}
