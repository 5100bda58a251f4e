using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Dyno.Cli.Infrastructure;
using Dyno.Metrics.Detection;
using Dyno.Models.Analysis;
using Dyno.Models.Hardware;
using Dyno.Models.Onnx;
using Dyno.Models.Roofline;
using Dyno.Reports;
using Dyno.Reports.Documents;
using Dyno.Reports.Sections;
using Dyno.Runtime.Benchmark;
using Dyno.Runtime.Calibration;
using Dyno.Results;

namespace Dyno.Cli.Commands;

/// <summary>
/// <c>dyno demo</c>: everything Dyno does, on built-in data, with nothing downloaded: the embedded ResNet-50
/// profiled and placed on a device's roofline, benchmarked on this machine with random weights, and a bundled
/// COCO detection set evaluated; one HTML report and a summary table.
/// </summary>
internal static class DemoCommand
{
    private const string Example = "resnet50";

    public static Command Create()
    {
        var common = new CommonOptions();
        var htmlOpt = new Option<FileInfo?>("--html") { Description = "The HTML report to write (default: dyno-demo-report.html in the current directory)." };
        var hw = new HardwareArgs();
        hw.Hardware.DefaultValueFactory = _ => "jetson-orin-nano";
        hw.Precision.DefaultValueFactory = _ => "fp16";
        var noBench = new Option<bool>("--no-bench") { Description = "Skip the measured benchmark (static analysis and evaluation only)." };
        var seconds = new Option<double>("--bench-seconds") { Description = "Time budget of the timed benchmark loop.", DefaultValueFactory = _ => 5 };
        var cmd = new Command("demo", "Show what Dyno does on built-in data: profile + roofline of ResNet-50, a benchmark on this machine, a COCO evaluation, one HTML report.")
        {
            noBench, seconds, htmlOpt,
        };
        hw.AddTo(cmd);
        common.AddTo(cmd);
        cmd.SetAction(parse => CommandRunner.Run(() =>
        {
            var quiet = parse.GetValue(common.Quiet);
            void Say(string s)
            {
                if (!quiet) Console.Error.WriteLine("dyno demo: " + s);
            }
            var total = Stopwatch.StartNew();
            var device = hw.Device(parse)!;
            var precision = hw.GetPrecision(parse);
            var results = new List<(string Name, ResultDocument Result)>();

            Say($"profiling the embedded {Example} and placing it on the {device.Title} roofline at {HardwareProfile.Key(precision)}...");
            ModelProfile profile;
            using (var model = ExampleModels.Open(Example))
                profile = ModelProfiler.Profile(model);
            profile = profile with { Roofline = RooflineAnalyzer.Analyze(profile, device, precision) };
            results.Add(("profile", new ResultDocument(ResultKinds.Profile, profile)));

            BenchResult? bench = null;
            if (!parse.GetValue(noBench))
            {
                Say($"benchmarking {Example} with ONNX Runtime on this machine (random weights, ~{parse.GetValue(seconds)} s)...");
                var calibration = MachineCalibration.LoadOrMeasure(Say);
                bench = InferenceBenchmark.Run(ModelSource.Embedded(Example), new BenchOptions
                {
                    MaxTimeSeconds = parse.GetValue(seconds), MaxWarmupSeconds = 3, MinIterations = 20, ProfileIterations = 5,
                }, calibration);
                // The report shows these too; the console must not report latency without them.
                if (!quiet)
                    foreach (var w in bench.Warnings) Console.Error.WriteLine("dyno demo: warning: " + CliFlags.Phrase(w));
                results.Add(("bench", new ResultDocument(ResultKinds.Bench, bench)));
            }

            Say("evaluating the bundled COCO detection set (val2014, 100 images)...");
            var det = EvaluateBundledCoco();
            results.Add(("eval det", det.Document));

            var doc = new ReportDocument { Title = $"Dyno demo: {Example}, {device.Title}, COCO" };
            for (var i = 0; i < results.Count; i++)
            {
                doc.Sections.Add(ReportBuilder.Section(ResultLoader.FromDocument(results[i].Result, $"dyno {results[i].Name} (demo)"), i));
            }
            doc.Notes.Add("Made by 'dyno demo' from built-in data only: the weightless ResNet-50 graph embedded in Dyno (random weights for the benchmark) and COCO val2014 annotations of 100 images with the fake detections the COCO API ships.");
            var html = ReportPath(parse, htmlOpt, common.Out, quiet);
            AtomicFile.WriteAllText(html.FullName, HtmlReportWriter.Render(doc));

            var t = profile.Totals;
            var rows = new List<IReadOnlyList<string>>
            {
                new[] { "model", $"{Example} (embedded, {Fmt.Int(profile.NodeCount)} nodes)" },
                new[] { "weights", $"{Fmt.Si(t.Weights)} ({Fmt.Bytes(t.WeightBytes)} fp32)" },
                new[] { "dense MACs / FLOPs", $"{Fmt.Si(t.DenseMacs)} / {Fmt.Si(t.Flops)}" },
                new[] { "peak activations", Fmt.Bytes(profile.Memory!.PeakActivationBytes) },
                new[] { $"roofline bound on {device.Name} {HardwareProfile.Key(precision)}", $"{Fmt.Num(profile.Roofline.Totals.MinTimeMs, 3)} ms ({Fmt.Pct(profile.Roofline.Totals.ComputeBoundTimeShare)} of it compute-bound)" },
            };
            if (bench is not null)
            {
                rows.Add(["measured latency here (p50 / p99)", $"{Fmt.Num(bench.LatencyMs.P50, 2)} / {Fmt.Num(bench.LatencyMs.P99, 2)} ms, {bench.Environment.LogicalCores} cores"]);
                if (bench.Utilization.FlopsUtilization is { } u) rows.Add(["achieved FLOP/s vs measured GEMM roof", $"{Fmt.Si(bench.Utilization.AchievedFlopsPerSecond, "FLOP/s")} ({Fmt.Pct(u)})"]);
            }
            rows.Add(["COCO bbox AP / AP50 / AP75", $"{Fmt.Num(det.Result.Stats["AP"], 3)} / {Fmt.Num(det.Result.Stats["AP50"], 3)} / {Fmt.Num(det.Result.Stats["AP75"], 3)}"]);
            if (bench is { Warnings.Count: > 0 }) rows.Add(["measurement warnings", $"{bench.Warnings.Count} (printed above and in the report): the latency figures may not be this machine's best"]);
            rows.Add(["report", html.FullName]);
            rows.Add(["took", $"{total.Elapsed.TotalSeconds:F1} s"]);
            var summary = new ResultTable("Dyno demo", [new ResultColumn("What"), new ResultColumn("Result")], rows);
            var output = OldOut(parse, htmlOpt, common.Out) ? null : parse.GetValue(common.Out);
            if (output is null) common.EmitToStdout(parse, Output());
            else
            {
                AtomicFile.WriteAllText(output.FullName, Output().Render(common.FormatOf(parse)));
                Say($"wrote {output.FullName}");
            }
            CommandOutput Output() => new CommandOutput(ResultKinds.Demo, new { report = html.FullName, profile = profile.Totals, roofline = profile.Roofline.Totals, latency_ms = bench?.LatencyMs, coco = det.Result.Stats, warnings = bench?.Warnings ?? [] }, [summary]);
            Say($"wrote {html.FullName}");
            return CommandRunner.Ok;
        }));
        return cmd;
    }

    /// <summary>
    /// Before --html, the demo's --out was the report path: an --out ending in .html/.htm without --html still means
    /// that (with a deprecation warning); any other --out is the formatted summary, as in every command.
    /// </summary>
    private static bool OldOut(ParseResult parse, Option<FileInfo?> html, Option<FileInfo?> output) =>
        parse.GetValue(html) is null && parse.GetValue(output) is { } o
        && (o.Extension.Equals(".html", StringComparison.OrdinalIgnoreCase) || o.Extension.Equals(".htm", StringComparison.OrdinalIgnoreCase));

    private static FileInfo ReportPath(ParseResult parse, Option<FileInfo?> html, Option<FileInfo?> output, bool quiet)
    {
        if (parse.GetValue(html) is { } h) return h;
        if (!OldOut(parse, html, output)) return new FileInfo("dyno-demo-report.html");
        var old = parse.GetValue(output)!;
        if (!quiet) Console.Error.WriteLine($"dyno demo: warning: --out for the HTML report is deprecated; use --html {old.Name} (--out is the formatted summary, as in every command)");
        return old;
    }

    private static (CocoEvalResult Result, ResultDocument Document) EvaluateBundledCoco()
    {
        static byte[] Resource(string name)
        {
            using var s = typeof(DemoCommand).Assembly.GetManifestResourceStream("Dyno.Cli.Demo." + name)!;
            using var ms = new MemoryStream();
            s.CopyTo(ms);
            return ms.ToArray();
        }
        var gt = CocoGroundTruth.Parse(Resource("coco_gt.json"), "demo:coco_gt.json");
        var dt = CocoDetections.Parse(Resource("coco_dt.json"), "demo:coco_dt.json", gt, CocoIouType.Bbox, BadRecordPolicy.Error);
        var result = CocoEvaluator.Evaluate(gt, dt, new CocoEvalOptions { ScoreThreshold = 0.5 });
        return (result, EvalDetCommand.Render(result, confusion: DetectionConfusionMatrix.Compute(gt, dt)).Document);
    }
}
