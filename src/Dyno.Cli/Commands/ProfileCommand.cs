using System.CommandLine;
using Dyno.Cli.Infrastructure;
using Dyno.Models.Analysis;
using Dyno.Models.Onnx;
using Dyno.Models.Shapes;
using Dyno.Reports;

namespace Dyno.Cli.Commands;

/// <summary><c>dyno profile</c>: static analysis of an ONNX model.</summary>
public static class ProfileCommand
{
    private static readonly string[] SortKeys = ["order", "flops", "macs", "weights", "bytes", "intensity"];

    public static Command Create()
    {
        var common = new CommonOptions();
        var model = new Argument<FileInfo?>("MODEL") { Description = "The ONNX model file.", Arity = ArgumentArity.ZeroOrOne };
        var example = new Option<string?>("--example") { Description = $"Profile an embedded example model instead of a file: {string.Join(", ", ExampleModels.Names)}." };
        var shape = new Option<string[]>("--shape") { Description = "Set an input's shape: NAME=1x3x640x640 (repeatable).", AllowMultipleArgumentsPerToken = false };
        var dim = new Option<string[]>("--dim") { Description = "Set a symbolic dimension: NAME=VALUE (repeatable). Unset dynamic dims default to 1." };
        var top = new Option<int?>("--top") { Description = "Show only the N costliest nodes in the per-layer table (sorted by --sort, default flops)." };
        var sort = new Option<string?>("--sort") { Description = "Per-layer table order: order, flops, macs, weights, bytes, intensity (default: order, or flops with --top)." };
        sort.AcceptOnlyFromAmong(SortKeys);
        var allowPartial = new Option<bool>("--allow-partial") { Description = "Exit 0 even when the model has operators Dyno does not know (totals are then marked partial)." };
        var onnxCompat = new Option<bool>("--onnx-compatible-shapes") { Description = "Infer shapes as onnx's own shape inference does (less constant propagation), to compare with tools built on it." };

        var cmd = new Command("profile", "Static analysis of an ONNX model: weights, dense MACs, FLOPs, memory traffic and a per-layer table. Needs no weight data.")
        {
            model, example, shape, dim, top, sort, allowPartial, onnxCompat,
        };
        common.AddTo(cmd);
        cmd.SetAction(parse => CommandRunner.Run(() =>
        {
            var file = parse.GetValue(model);
            var ex = parse.GetValue(example);
            if (file is null == ex is null) throw new UsageException("give a MODEL file or --example NAME (one of them)");
            using var onnx = ex is not null ? ExampleModels.Open(ex) : OnnxModel.Load(file!.FullName);
            var profile = ModelProfiler.Profile(onnx, new ProfileOptions
            {
                InputShapes = ShapeArgs.Shapes(parse.GetValue(shape)),
                Dims = ShapeArgs.Dims(parse.GetValue(dim)),
                OnnxCompatibleShapes = parse.GetValue(onnxCompat),
            });
            var topN = parse.GetValue(top);
            var sortKey = parse.GetValue(sort) ?? (topN is null ? "order" : "flops");
            common.Emit(parse, new CommandOutput(profile, Tables(profile, sortKey, topN)));

            var quiet = parse.GetValue(common.Quiet);
            var inconsistent = profile.Unresolved.FirstOrDefault(u => u.Kind == UnresolvedKind.InconsistentShapes);
            if (inconsistent is not null && !parse.GetValue(allowPartial))
            {
                Console.Error.WriteLine($"dyno: error: {onnx.Source}: node '{inconsistent.Node}' ({inconsistent.OpType}): {inconsistent.Reason.Split(": ", 2)[^1]}; check --shape");
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
        var summary = new ResultTable("Model", [new ResultColumn("Quantity"), new ResultColumn("Value", ColumnAlign.Right)],
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
                new ResultColumn("#", ColumnAlign.Right), new ResultColumn("Name"), new ResultColumn("Op"), new ResultColumn("Output shape"),
                new ResultColumn("Weights", ColumnAlign.Right), new ResultColumn("MACs", ColumnAlign.Right), new ResultColumn("FLOPs", ColumnAlign.Right),
                new ResultColumn("Bytes", ColumnAlign.Right), new ResultColumn("FLOP/B", ColumnAlign.Right), new ResultColumn("% FLOPs", ColumnAlign.Right),
            ],
            shown.Select(n => (IReadOnlyList<string>)
            [
                n.Index.ToString(System.Globalization.CultureInfo.InvariantCulture), (n.Graph is null ? "" : n.Graph + "/") + n.Name, n.OpType,
                string.Join(" ", n.OutputShapes), n.SharedWeights is null ? Fmt.Int(n.Weights) : Fmt.Int(n.Weights) + " (+shared)",
                Fmt.Int(n.DenseMacs), Fmt.Int(n.Flops), Fmt.Int(n.MemoryAccessBytes), Fmt.Num(n.ArithmeticIntensity, 2),
                Fmt.Pct((double)n.Flops / totalFlops) + (n.Resolved ? "" : " ?"),
            ]).ToList())
        { Notes = ["MACs: dense products only (Conv/ConvTranspose/Gemm/MatMul/Einsum). FLOPs = 2 x MACs + bias and per-element costs (docs/conventions.md)."] };

        var hist = new ResultTable("Operators", [new ResultColumn("Op"), new ResultColumn("Count", ColumnAlign.Right), new ResultColumn("% FLOPs", ColumnAlign.Right)],
            p.OpHistogram.OrderByDescending(kv => kv.Value).Select(kv => (IReadOnlyList<string>)
            [
                kv.Key, kv.Value.ToString(System.Globalization.CultureInfo.InvariantCulture),
                Fmt.Pct((double)p.Nodes.Where(n => n.Graph is null && (n.Domain is null ? n.OpType : n.Domain + "." + n.OpType) == kv.Key).Sum(n => n.Flops) / totalFlops),
            ]).ToList());
        var tables = new List<ResultTable> { summary, layers, hist };
        if (p.Unresolved.Count > 0)
            tables.Add(new ResultTable($"Unresolved ({p.Unresolved.Count} nodes, {Fmt.Pct(p.UnresolvedShare)} of the graph)",
                [new ResultColumn("Node"), new ResultColumn("Op"), new ResultColumn("Reason")],
                p.Unresolved.Select(u => (IReadOnlyList<string>)[u.Node, u.OpType, u.Reason]).ToList()));
        return tables;
    }
}
