using System.CommandLine;
using Dyno.Cli.Infrastructure;
using Dyno.Models.Analysis;
using Dyno.Models.Onnx;
using Dyno.Models.Roofline;
using Dyno.Models.Shapes;
using Dyno.Reports.Charts;
using Dyno.Reports;
using Dyno.Reports.Presenters;
using Dyno.Results;

namespace Dyno.Cli.Commands;

/// <summary><c>dyno profile</c>: static analysis of an ONNX model.</summary>
internal static class ProfileCommand
{
    public static Command Create()
    {
        var common = new CommonOptions();
        var modelArgs = new ModelArgs();
        var hwArgs = new HardwareArgs();
        var chart = new Option<FileInfo?>("--roofline-chart") { Description = "With --hardware: write the roofline chart (log-log, one point per node) to this .svg or .png file." };
        var top = new Option<int?>("--top") { Description = "Show only the N costliest nodes in the per-layer table (sorted by --sort, default flops)." };
        var sort = new Option<string?>("--sort") { Description = "Per-layer table order: order, flops, macs, weights, bytes, intensity (default: order, or flops with --top)." };
        sort.AcceptOnlyFromAmong([.. ProfilePresenter.SortKeys]);
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
            var profile = ModelProfiler.Profile(onnx, modelArgs.Options(parse, onnxCompatible: parse.GetValue(onnxCompat)));
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
            common.Emit(parse, CommandOutput.Of(new ProfilePresenter(sortKey, topN), profile));

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
}
