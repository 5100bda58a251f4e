using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Dyno.Cli.Infrastructure;
using Dyno.Reports;
using Dyno.Reports.Charts;
using Dyno.Reports.Documents;
using Dyno.Reports.Presenters;
using Dyno.Reports.Sections;
using Dyno.Results;

namespace Dyno.Cli.Commands;

/// <summary><c>dyno compare A.json B.json ...</c>: side by side with deltas, Pareto chart, CI regression rules.</summary>
internal static class CompareCommand
{
    public static Command Create()
    {
        var common = new CommonOptions();
        var files = new Argument<FileInfo[]>("RESULTS") { Description = "Two or more Dyno JSON results; the first is the baseline.", Arity = ArgumentArity.OneOrMore };
        var keys = new Option<string[]>("--keys") { Description = "Compare only keys starting with these dotted prefixes, comma-separated or repeated (default: each result's headline figures)." };
        var failIf = new Option<string[]>("--fail-if") { Description = "Regression rule, repeatable: \"latency_ms.p95 > +5%\" (relative change), \"stats.AP < -0.01\" (absolute change) or \"peak_rss_bytes > 4e8\" (value). Exit 1 when any rule fails." };
        var x = new Option<string?>("--x") { Description = "Pareto chart x axis key (lower is better), e.g. latency_ms.p50 or totals.dense_macs." };
        var y = new Option<string?>("--y") { Description = "Pareto chart y axis key (higher is better), e.g. stats.AP or metrics.top1." };
        var chart = new Option<FileInfo?>("--pareto-chart") { Description = "Write the Pareto chart (.svg or .png) of --x vs --y." };
        var html = new Option<FileInfo?>("--html") { Description = "Also write the comparison as a self-contained HTML report." };
        var cmd = new Command("compare", "Compare Dyno results side by side with deltas against the first (e.g. FP32 vs INT8, or two detectors); regression rules for CI.")
        {
            files, keys, failIf, x, y, chart, html,
        };
        common.AddTo(cmd);
        cmd.SetAction(parse => CommandRunner.Run(() =>
        {
            var paths = parse.GetValue(files)!;
            if (paths.Length < 2) throw new UsageException("compare needs at least two result files");
            var docs = new List<(string, JsonElement)>();
            foreach (var f in paths) docs.Add((f.Name, ResultLoader.Load(f.FullName).Root));
            var prefixes = (parse.GetValue(keys) ?? []).SelectMany(k => k.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToList();
            var cmp = Comparer.Compare(docs, prefixes, parse.GetValue(failIf) ?? []);
            var xKey = parse.GetValue(x);
            var yKey = parse.GetValue(y);
            string? svg = null;
            if ((xKey is null) != (yKey is null)) throw new UsageException("--x and --y go together");
            if (xKey is not null)
            {
                // a matrix document contributes one point per row; any other document one point
                var pts = docs.SelectMany(d => ReportBuilder.KindOf(d.Item2) == ResultKinds.Matrix
                        && d.Item2.TryGetProperty("rows", out var rows) && rows.ValueKind == JsonValueKind.Array
                    ? rows.EnumerateArray().Select(row => ($"{d.Item1}:{JsonPaths.Text(row, "name")}", X: JsonPaths.Number(row, xKey), Y: JsonPaths.Number(row, yKey!)))
                    : [(d.Item1, X: JsonPaths.Number(d.Item2, xKey), Y: JsonPaths.Number(d.Item2, yKey!))]).ToList();
                var missing = pts.FirstOrDefault(p => p.X is null || p.Y is null);
                if (missing.Item1 is not null) throw new InvalidDataException($"{missing.Item1}: no numeric value at '{(missing.X is null ? xKey : yKey)}'");
                var plot = ChartKit.ParetoPlot("Pareto: " + yKey + " vs " + xKey, pts.Select(p => (p.Item1, p.X!.Value, p.Y!.Value)).ToList(), xKey + " (lower is better)", yKey + " (higher is better)");
                svg = ChartFile.Svg(plot, ChartKit.DefaultWidth, 500);
                if (parse.GetValue(chart) is { } cf) ChartFile.Save(plot, cf.FullName, 960, 640);
            }
            else if (parse.GetValue(chart) is not null) throw new UsageException("--pareto-chart needs --x KEY and --y KEY");

            if (parse.GetValue(html) is { } h)
            {
                var doc = new ReportDocument { Title = "Dyno comparison" };
                var sec = ComparePresenter.Instance.Section(cmp, null, "compare");
                if (svg is not null) sec.Figures.Add(new ReportFigure("pareto", "Pareto chart", svg, $"{yKey} against {xKey}; the dashed step line joins the results no other result beats on both."));
                doc.Sections.Add(sec);
                ReportCommand.Write(doc, h, null, parse.GetValue(common.Quiet));
            }
            common.Emit(parse, CommandOutput.Of(ComparePresenter.Instance, cmp));
            foreach (var r in cmp.Rules.Where(r => r.Failed)) Console.Error.WriteLine($"dyno: regression: {r.File}: {r.Rule}: {r.Explanation}");
            return cmp.Failed ? CommandRunner.Failure : CommandRunner.Ok;
        }));
        return cmd;
    }
}
