using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Dyno.Cli.Infrastructure;
using Dyno.Reports;
using Dyno.Reports.Documents;
using Dyno.Reports.Presenters;
using Dyno.Reports.Sections;
using Dyno.Runtime.Benchmark;
using Dyno.Runtime.Matrix;
using Dyno.Runtime.Val;
using Dyno.Results;

namespace Dyno.Cli.Commands;

/// <summary><c>dyno matrix</c>: cost, accuracy and speed of model variants side by side, with the Pareto front and accuracy gates.</summary>
internal static class MatrixCommand
{
    public static Command Create()
    {
        var common = new CommonOptions();
        var models = new Argument<FileInfo[]>("MODELS") { Description = "ONNX models, one row each (or give --plan).", Arity = ArgumentArity.ZeroOrMore };
        var plan = new Option<FileInfo?>("--plan") { Description = "A YAML/JSON plan: data, models (paths or {path, name}), optional images, task, baseline." };
        var data = new Option<string?>("--data") { Description = "The val set, as for dyno val." };
        var images = new Option<DirectoryInfo?>("--images") { Description = "Images folder for COCO JSON data (or seg images)." };
        var masks = new Option<DirectoryInfo?>("--masks") { Description = "Seg label-map folder." };
        var task = new Option<string?>("--task") { Description = "det, cls or seg (default: inferred as dyno val does)." };
        var baseline = new Option<string?>("--baseline") { Description = "Baseline row: a row name or 0-based index (default: the first)." };
        var imgsz = new Option<string?>("--imgsz") { Description = "Input size S or WxH for models with a dynamic input size." };
        var preprocess = new Option<string?>("--preprocess") { Description = "letterbox, resize or crop (default per task, as dyno val)." };
        var cropFraction = new Option<double>("--crop-fraction") { Description = "Centre-crop fraction for --preprocess crop.", DefaultValueFactory = _ => 0.875 };
        var pad = new Option<int>("--pad-value") { Description = "Letterbox padding value.", DefaultValueFactory = _ => 114 };
        var normalize = new Option<string?>("--normalize") { Description = "none, imagenet or 'm,m,m/s,s,s' (default per task, as dyno val)." };
        var bgr = new Option<bool>("--bgr") { Description = "Feed BGR instead of RGB." };
        var conf = new Option<float>("--conf") { Description = "Detection confidence threshold.", DefaultValueFactory = _ => 0.001f };
        var iou = new Option<float>("--iou") { Description = "NMS IoU threshold.", DefaultValueFactory = _ => 0.7f };
        var maxDet = new Option<int>("--max-det") { Description = "Detections kept per image.", DefaultValueFactory = _ => 300 };
        var threads = new Option<int>("--threads") { Description = "ONNX Runtime intra-op threads for val and bench (0 = its default).", DefaultValueFactory = _ => 0 };
        var workers = new Option<int>("--workers") { Description = "Val preprocessing workers (default: cores - 1, at least 1)." };
        var benchBatch = new Option<string>("--bench-batch") { Description = "Batch sizes the bench sweeps for throughput, e.g. 1,8 (latency is batch 1's).", DefaultValueFactory = _ => "1" };
        var benchTime = new Option<double>("--bench-time") { Description = "Bench time budget per batch point, seconds.", DefaultValueFactory = _ => 5 };
        var resume = new Option<bool>("--resume") { Description = "Keep rows already measured with the same model file and settings (read from --state)." };
        var state = new Option<FileInfo?>("--state") { Description = "Progress file, rewritten after each row (default: dyno-matrix.state.json in the current folder)." };
        var failIf = new Option<string[]>("--fail-if") { Description = "Gate each row against the baseline, repeatable: \"accuracy.map < 0.99 * baseline\" (MLPerf's 99% rule), \"latency_ms.p50 > +5%\", \"peak_rss_bytes > 4e8\". Exit 1 when one fails." };
        var html = new Option<FileInfo?>("--html") { Description = "Also write an HTML report with the table and the accuracy-latency Pareto chart." };
        var cmd = new Command("matrix", "Speed x accuracy x cost of model variants (FP32/FP16/INT8, small/large, input sizes) in one table: profile, val and bench " +
                                        "per model, deltas against a baseline, the Pareto front, and accuracy gates.")
        {
            models, plan, data, images, masks, task, baseline, imgsz, preprocess, cropFraction, pad, normalize, bgr, conf, iou, maxDet,
            threads, workers, benchBatch, benchTime, resume, state, failIf, html,
        };
        common.AddTo(cmd);
        cmd.SetAction(parse => CommandRunner.Run(() =>
        {
            var quiet = parse.GetValue(common.Quiet);
            MatrixPlan p;
            if (parse.GetValue(plan) is { } planFile)
            {
                if (parse.GetValue(models) is { Length: > 0 }) throw new UsageException("give the models either as arguments or in --plan, not both");
                p = MatrixPlan.Load(planFile.FullName);
            }
            else
            {
                var list = parse.GetValue(models) ?? [];
                if (list.Length == 0) throw new UsageException("give one or more MODELS, or --plan FILE");
                var d = parse.GetValue(data) ?? throw new UsageException("--data is required without --plan");
                p = new MatrixPlan { Models = list.Select(f => new MatrixModel(f.FullName)).ToList(), Data = Path.GetFullPath(d) };
            }
            p = p with
            {
                Images = parse.GetValue(images)?.FullName ?? p.Images,
                Masks = parse.GetValue(masks)?.FullName ?? p.Masks,
                Task = ValCommand.ParseTask(parse.GetValue(task)) ?? p.Task,
                Baseline = parse.GetValue(baseline) ?? p.Baseline,
            };
            if (!File.Exists(p.Data) && !Directory.Exists(p.Data)) throw new FileNotFoundException($"{p.Data}: data not found");
            var decode = ValCommand.BuildDecode(parse, conf, iou, maxDet);
            var th = parse.GetValue(threads);
            if (th < 0 || th > 4 * System.Environment.ProcessorCount) throw new UsageException($"--threads must be in 0..{4 * System.Environment.ProcessorCount}, got {th}");
            var wk = parse.GetValue(workers);
            if (wk is < 0 or > 256) throw new UsageException($"--workers must be in 1..256, got {wk}");
            var bt = parse.GetValue(benchTime);
            if (!(bt > 0 && bt <= 600)) throw new UsageException($"--bench-time must be in (0, 600] seconds, got {bt}");
            var batches = ParseBatches(parse.GetValue(benchBatch)!);
            var rules = parse.GetValue(failIf) ?? [];
            foreach (var r in rules) Comparer.CheckSyntax(r);
            var options = new MatrixOptions
            {
                Val = new ValOptions
                {
                    Decode = decode, IntraOpThreads = th,
                    Workers = wk > 0 ? wk : Math.Max(1, System.Environment.ProcessorCount - 1),
                },
                Preprocess = ValCommand.BuildRequest(parse, imgsz, preprocess, cropFraction, pad, normalize, bgr),
                Bench = new BenchOptions { Batches = batches, MaxTimeSeconds = bt, ProfileOps = false, IntraOpThreads = th, MaxWarmupSeconds = Math.Min(3, bt) },
            };
            var statePath = parse.GetValue(state)?.FullName ?? Path.GetFullPath("dyno-matrix.state.json");
            var previous = parse.GetValue(resume) ? ReadState(statePath) : null;
            var done = new List<MatrixRow>(previous ?? []);
            var result = VariantMatrix.Run(p, options, previous,
                row =>
                {
                    done.RemoveAll(r => r.Name == row.Name);
                    done.Add(row);
                    AtomicFile.WriteAllText(statePath, DynoJson.Serialize(new { kind = "matrix_state", schema = 1, rows = done }) + "\n");
                },
                quiet ? null : line => Console.Error.WriteLine("dyno matrix: " + CliFlags.Phrase(line, "previous")));
            if (!quiet && result.Rows.Any(r => r.Busy))
                Console.Error.WriteLine("dyno: warning: the machine was busy (load average above 0.75 x cores) while some rows were measured; their speed figures are pessimistic");

            var output = CommandOutput.Of(MatrixPresenter.Instance, result);
            var gate = Gate(result, rules);
            if (gate.Count > 0) output = new CommandOutput(output.Kind, output.Json, [.. output.Tables, new ResultTable("Gates (each row against the baseline)",
                [new ResultColumn("Rule"), new ResultColumn("Row"), new ResultColumn("Result"), new ResultColumn("Detail")],
                gate.Select(g => (IReadOnlyList<string>)[g.Rule, g.File, g.Failed ? "FAIL" : "ok", g.Explanation]).ToList())], output.Notes);
            if (parse.GetValue(html) is { } h)
            {
                var doc = new ReportDocument { Title = "Dyno variant matrix" };
                doc.Sections.Add(ReportBuilder.Section(ResultLoader.FromDocument(output.Document, h.Name), 0));
                ReportCommand.Write(doc, h, null, quiet);
            }
            common.Emit(parse, output);
            foreach (var g in gate.Where(g => g.Failed)) Console.Error.WriteLine($"dyno: gate failed: {g.File}: {g.Rule}: {g.Explanation}");
            return gate.Any(g => g.Failed) ? CommandRunner.Failure : CommandRunner.Ok;
        }));
        return cmd;
    }

    private static int[] ParseBatches(string text)
    {
        var parts = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var list = new List<int>();
        foreach (var part in parts)
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var b) || b is < 1 or > 4096)
                throw new UsageException($"--bench-batch must list batch sizes in 1..4096, got '{text}'");
            list.Add(b);
        }
        if (list.Count == 0 || list[0] != 1) throw new UsageException("--bench-batch must start with 1 (latency is reported at batch 1)");
        return list.Distinct().ToArray();
    }

    private static List<MatrixRow>? ReadState(string path)
    {
        if (!File.Exists(path)) return null;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("rows", out var rows))
                throw new InvalidDataException($"{path}: not a dyno matrix state file (no 'rows')");
            return rows.Deserialize<List<MatrixRow>>(DynoJson.Options);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: unreadable matrix state ({e.Message}); delete it or run without --resume");
        }
    }

    /// <summary>Each rule against each non-baseline row, with compare's rule engine.</summary>
    private static List<RuleResult> Gate(MatrixResult m, IReadOnlyList<string> rules)
    {
        var results = new List<RuleResult>();
        if (rules.Count == 0) return results;
        using var doc = JsonDocument.Parse(DynoJson.Serialize(m));
        var rows = doc.RootElement.GetProperty("rows").EnumerateArray().ToList();
        var baseIndex = m.Rows.ToList().FindIndex(r => r.Name == m.Baseline);
        var baseFlat = JsonPaths.FlattenNumbers(rows[baseIndex]);
        foreach (var rule in rules)
            for (var i = 0; i < rows.Count; i++)
                if (i != baseIndex) results.Add(Comparer.Evaluate(rule, baseFlat, JsonPaths.FlattenNumbers(rows[i]), m.Rows[i].Name));
        return results;
    }
}
