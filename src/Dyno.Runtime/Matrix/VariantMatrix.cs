using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Dyno.Models.Analysis;
using Dyno.Models.Onnx;
using Dyno.Runtime.Benchmark;
using Dyno.Runtime.Environment;
using Dyno.Runtime.Val;
using YamlDotNet.RepresentationModel;

namespace Dyno.Runtime.Matrix;

/// <summary>A model of the matrix: its file and the name its row carries.</summary>
/// <param name="Path">ONNX file.</param>
/// <param name="Name">Row name; null = the file name without <c>.onnx</c>.</param>
public sealed record MatrixModel(string Path, string? Name = null);

/// <summary>A matrix plan: the models, the data they are validated on and the baseline row.</summary>
public sealed record MatrixPlan
{
    /// <summary>The models, one row each, in this order.</summary>
    public required IReadOnlyList<MatrixModel> Models { get; init; }

    /// <summary>The val set (as <c>dyno val --data</c>).</summary>
    public required string Data { get; init; }

    /// <summary>Images folder of COCO JSON data (or seg images).</summary>
    public string? Images { get; init; }

    /// <summary>Seg masks folder.</summary>
    public string? Masks { get; init; }

    /// <summary>The task; null = inferred from the data and the first model.</summary>
    public ValTask? Task { get; init; }

    /// <summary>Baseline row: a row name or a 0-based index as text; null = the first row.</summary>
    public string? Baseline { get; init; }

    /// <summary>
    /// Reads a YAML (or JSON) plan: <c>data</c>, optional <c>images</c>, <c>masks</c>, <c>task</c>, <c>baseline</c>, and
    /// <c>models</c>: a list of paths or of <c>{path, name}</c>. Relative paths are resolved against the plan's folder.
    /// </summary>
    public static MatrixPlan Load(string path)
    {
        var yaml = new YamlStream();
        try
        {
            using var reader = new StreamReader(path);
            yaml.Load(reader);
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            throw new InvalidDataException($"{path}: not valid YAML or JSON: {e.Message}");
        }
        if (yaml.Documents.Count == 0 || yaml.Documents[0].RootNode is not YamlMappingNode map)
            throw new InvalidDataException($"{path}: a plan is a mapping with 'data' and 'models'");
        var dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
        string Resolve(string p) => System.IO.Path.IsPathRooted(p) ? p : System.IO.Path.GetFullPath(System.IO.Path.Combine(dir, p));
        string? Scalar(string key) => map.Children.TryGetValue(new YamlScalarNode(key), out var n) ? (n as YamlScalarNode)?.Value ?? throw new InvalidDataException($"{path}: '{key}' must be a single value") : null;
        var data = Scalar("data") ?? throw new InvalidDataException($"{path}: no 'data'");
        if (!map.Children.TryGetValue(new YamlScalarNode("models"), out var modelsNode) || modelsNode is not YamlSequenceNode seq || seq.Children.Count == 0)
            throw new InvalidDataException($"{path}: 'models' must be a non-empty list");
        var models = new List<MatrixModel>();
        for (var i = 0; i < seq.Children.Count; i++)
        {
            switch (seq.Children[i])
            {
                case YamlScalarNode s when !string.IsNullOrEmpty(s.Value):
                    models.Add(new MatrixModel(Resolve(s.Value!)));
                    break;
                case YamlMappingNode m when m.Children.TryGetValue(new YamlScalarNode("path"), out var p) && p is YamlScalarNode ps && !string.IsNullOrEmpty(ps.Value):
                    models.Add(new MatrixModel(Resolve(ps.Value!), m.Children.TryGetValue(new YamlScalarNode("name"), out var nm) ? (nm as YamlScalarNode)?.Value : null));
                    break;
                default:
                    throw new InvalidDataException($"{path}: models[{i}] must be a path or {{path, name}}");
            }
        }
        ValTask? task = Scalar("task") switch
        {
            null => null,
            "det" or "detect" => ValTask.Detect,
            "cls" or "classify" => ValTask.Classify,
            "seg" or "segment" => ValTask.Segment,
            var t => throw new InvalidDataException($"{path}: 'task' must be det, cls or seg, got '{t}'"),
        };
        return new MatrixPlan
        {
            Models = models, Data = Resolve(data), Images = Scalar("images") is { } im ? Resolve(im) : null,
            Masks = Scalar("masks") is { } mk ? Resolve(mk) : null, Task = task, Baseline = Scalar("baseline"),
        };
    }
}

/// <summary>How each row is measured.</summary>
public sealed record MatrixOptions
{
    /// <summary>Val settings (threads, workers, decoder thresholds, ...).</summary>
    public ValOptions Val { get; init; } = new();

    /// <summary>Preprocessing request applied to every model (each model's own input size unless set).</summary>
    public PreprocessRequest Preprocess { get; init; } = new();

    /// <summary>Bench settings; <see cref="BenchOptions.Batches"/> is swept and the best throughput reported.</summary>
    public BenchOptions Bench { get; init; } = new() { MaxTimeSeconds = 5, ProfileOps = false };
}

/// <summary>Median latency with its confidence interval and the tail.</summary>
public sealed record MatrixLatency(double P50, double P99, double P50Lower, double P50Upper, double Mean, int Count);

/// <summary>A row against the baseline row.</summary>
/// <param name="AccuracyRatio">Headline accuracy ÷ the baseline's (MLPerf's 99% rule reads this).</param>
/// <param name="AccuracyDelta">Headline accuracy − the baseline's.</param>
/// <param name="Speedup">Baseline p50 latency ÷ this row's.</param>
/// <param name="SizeRatio">File bytes ÷ the baseline's.</param>
public sealed record MatrixVsBaseline(double? AccuracyRatio, double? AccuracyDelta, double? Speedup, double? SizeRatio);

/// <summary>One model of the matrix: static cost, accuracy of a val run, and bench speed, in one document.</summary>
public sealed record MatrixRow
{
    /// <summary>Row name.</summary>
    public required string Name { get; init; }

    /// <summary>Model file.</summary>
    public required string Model { get; init; }

    /// <summary>fp32, fp16, int8 (QDQ), or mixed: from the weights' element types and the graph's ops.</summary>
    public required string Variant { get; init; }

    /// <summary>Model file size.</summary>
    public required long FileBytes { get; init; }

    /// <summary>ONNX initializer elements (as <c>dyno profile</c>'s weights).</summary>
    public required long Params { get; init; }

    /// <summary>Initializer bytes at their stored widths.</summary>
    public required long WeightBytes { get; init; }

    /// <summary>Dense MACs per image at the graph's declared batch.</summary>
    public required long DenseMacs { get; init; }

    /// <summary>Peak activation memory (liveness over the execution order).</summary>
    public required long? PeakActivationBytes { get; init; }

    /// <summary>Input width × height.</summary>
    public required string InputSize { get; init; }

    /// <summary>The task's headline accuracy: map/map50 (det), top1/top5 (cls), miou (seg).</summary>
    public required IReadOnlyDictionary<string, double?> Accuracy { get; init; }

    /// <summary>Bench latency of batch 1 (model only).</summary>
    public required MatrixLatency LatencyMs { get; init; }

    /// <summary>Best samples/s over the bench batch sweep.</summary>
    public required double ThroughputPerS { get; init; }

    /// <summary>The batch of <see cref="ThroughputPerS"/>.</summary>
    public required int BestBatch { get; init; }

    /// <summary>End-to-end images/s of the val run.</summary>
    public required double ValImagesPerS { get; init; }

    /// <summary>Peak RSS while this row was measured (the high-water mark is reset per row where Linux allows).</summary>
    public required long PeakRssBytes { get; init; }

    /// <summary>Load average (1 min) when the row finished, and whether it exceeded the cores (busy machine).</summary>
    public required double? LoadAverage { get; init; }

    /// <summary>True when the machine was busy during the row.</summary>
    public required bool Busy { get; init; }

    /// <summary>Against the baseline row.</summary>
    public MatrixVsBaseline? VsBaseline { get; init; }

    /// <summary>On the accuracy–latency Pareto front (no other row is at least as accurate and at least as fast, and better in one).</summary>
    public bool Pareto { get; init; }

    /// <summary>Fingerprint of the model file and the settings: a row is reused by <c>--resume</c> only when it matches.</summary>
    public required string Key { get; init; }
}

/// <summary>The matrix document (<c>kind: matrix</c>).</summary>
public sealed record MatrixResult
{
    /// <summary>Always "matrix".</summary>
    public string Kind { get; init; } = "matrix";

    /// <summary>Contract version.</summary>
    public int Schema { get; init; } = 1;

    /// <summary>detection, classification or segmentation.</summary>
    public required string Task { get; init; }

    /// <summary>The val set.</summary>
    public required string Data { get; init; }

    /// <summary>The headline accuracy key the deltas, ratios and Pareto front use.</summary>
    public required string AccuracyKey { get; init; }

    /// <summary>The baseline row's name.</summary>
    public required string Baseline { get; init; }

    /// <summary>One row per model.</summary>
    public required IReadOnlyList<MatrixRow> Rows { get; init; }

    /// <summary>What the figures mean.</summary>
    public required IReadOnlyList<string> Conventions { get; init; }
}

/// <summary>Runs <c>profile</c>, <c>val</c> and <c>bench</c> for every model of a plan and puts them side by side.</summary>
public static class VariantMatrix
{
    /// <summary>The headline accuracy key of a task.</summary>
    public static string AccuracyKey(ValTask task) => task switch { ValTask.Detect => "map", ValTask.Classify => "top1", _ => "miou" };

    /// <summary>
    /// Measures every model of <paramref name="plan"/>; rows in <paramref name="previous"/> whose key matches are reused
    /// (resume). <paramref name="onRow"/> sees each finished row (to persist progress); <paramref name="progress"/> gets a line per step.
    /// </summary>
    public static MatrixResult Run(MatrixPlan plan, MatrixOptions options, IReadOnlyList<MatrixRow>? previous = null,
        Action<MatrixRow>? onRow = null, Action<string>? progress = null, CancellationToken ct = default)
    {
        if (plan.Models.Count == 0) throw new DynoInputException("the matrix needs at least one model");
        var names = plan.Models.Select(m => m.Name ?? System.IO.Path.GetFileNameWithoutExtension(m.Path)).ToList();
        var dup = names.GroupBy(n => n, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (dup is not null) throw new DynoInputException($"two rows are named '{dup.Key}'; give them names in the plan");
        foreach (var m in plan.Models)
            if (!File.Exists(m.Path)) throw new FileNotFoundException($"{m.Path}: model not found");
        ValTask task;
        using (var first = OnnxModel.Load(plan.Models[0].Path)) task = ValSetup.ResolveTask(plan.Task, plan.Data, first);

        // the dataset is read once for all rows
        DetectionDataset? det = null;
        ClassificationDataset? cls = null;
        SegmentationDataset? seg = null;
        switch (task)
        {
            case ValTask.Detect: det = ValSetup.ReadDetection(plan.Data, plan.Images, "val", null); break;
            case ValTask.Classify: cls = ValDatasets.ReadImageFolder(plan.Data); break;
            default: seg = ValDatasets.ReadSegmentation(plan.Data, plan.Images, plan.Masks); break;
        }
        var rows = new List<MatrixRow>();
        for (var i = 0; i < plan.Models.Count; i++)
        {
            ct.ThrowIfCancellationRequested();
            var m = plan.Models[i];
            var key = Key(m.Path, task, options);
            if (previous?.FirstOrDefault(r => r.Key == key && r.Name == names[i]) is { } done)
            {
                progress?.Invoke($"[{i + 1}/{plan.Models.Count}] {names[i]}: measured before (previous), kept");
                rows.Add(done);
                continue;
            }
            ResetPeakRss();
            using var onnx = OnnxModel.Load(m.Path);
            progress?.Invoke($"[{i + 1}/{plan.Models.Count}] {names[i]}: profile");
            var profile = ModelProfiler.Profile(onnx);
            var pre = ValSetup.Preprocess(onnx, task, options.Preprocess);
            if (det is not null) ValSetup.CheckClassCount(onnx, det.Names.Count, det.Source);
            progress?.Invoke($"[{i + 1}/{plan.Models.Count}] {names[i]}: val on the data");
            var run = task switch
            {
                ValTask.Detect => ValRunner.Detect(m.Path, det!, pre, options.Val, ct),
                ValTask.Classify => ValRunner.Classify(m.Path, cls!, pre, options.Val, ct),
                _ => ValRunner.Segment(m.Path, seg!, pre, options.Val, ct),
            };
            progress?.Invoke($"[{i + 1}/{plan.Models.Count}] {names[i]}: bench");
            var bench = InferenceBenchmark.Run(ModelSource.File(m.Path), options.Bench with { IntraOpThreads = options.Val.IntraOpThreads, InterOpThreads = options.Val.InterOpThreads }, ct: ct);
            var best = bench.Throughput.MaxBy(t => t.SamplesPerSecond)!;
            var env = EnvironmentInfo.Capture();
            var load = env.LoadAverage?[0];
            var row = new MatrixRow
            {
                Name = names[i], Model = m.Path, Variant = Variant(profile), FileBytes = onnx.FileSize, Params = profile.Totals.Weights,
                WeightBytes = profile.Totals.WeightBytes, DenseMacs = profile.Totals.DenseMacs, PeakActivationBytes = profile.Memory?.PeakActivationBytes,
                InputSize = $"{pre.Width}x{pre.Height}", Accuracy = run.Accuracy(),
                LatencyMs = new MatrixLatency(bench.LatencyMs.P50, bench.LatencyMs.P99, bench.LatencyMs.Ci["p50"].Lower, bench.LatencyMs.Ci["p50"].Upper, bench.LatencyMs.Mean, bench.LatencyMs.Count),
                ThroughputPerS = best.SamplesPerSecond, BestBatch = best.Batch, ValImagesPerS = run.Speed.ImagesPerSecond,
                PeakRssBytes = ProcessMemory.PeakRss(), LoadAverage = load, Busy = load is { } l && l > env.LogicalCores * 0.75, Key = key,
            };
            rows.Add(row);
            onRow?.Invoke(row);
        }
        var baseIndex = plan.Baseline is null ? 0
            : names.IndexOf(plan.Baseline) is var bi and >= 0 ? bi
            : int.TryParse(plan.Baseline, NumberStyles.None, CultureInfo.InvariantCulture, out var idx) && idx < rows.Count ? idx
            : throw new DynoInputException($"baseline '{plan.Baseline}' is neither a row name ({string.Join(", ", names)}) nor a row index");
        var accKey = AccuracyKey(task);
        rows = Finish(rows, baseIndex, accKey);
        return new MatrixResult
        {
            Task = task switch { ValTask.Detect => "detection", ValTask.Classify => "classification", _ => "segmentation" },
            Data = plan.Data, AccuracyKey = accKey, Baseline = rows[baseIndex].Name, Rows = rows,
            Conventions =
            [
                "accuracy: from a dyno val run of each model over the whole data (map = COCO AP@[.50:.95], map50 = AP50; top1/top5; miou), exactly as dyno val reports it",
                "latency_ms: dyno bench, model only (ONNX Runtime session run on random inputs), batch 1, after warm-up; p50 with its 95% CI bounds; throughput_per_s: best samples/s over the bench batch sweep",
                $"threads: intra-op {(options.Val.IntraOpThreads == 0 ? "runtime default" : options.Val.IntraOpThreads)}, val workers {options.Val.Workers}; busy: load average above 0.75 x cores when the row finished",
                "vs_baseline: accuracy_ratio = accuracy / baseline accuracy (MLPerf gates a quantized model on >= 0.99), speedup = baseline p50 / p50; pareto: no other row is at least as accurate and at least as fast",
                "params, dense_macs, peak_activation_bytes: dyno profile at the graph's declared batch; file_bytes: the ONNX file",
            ],
        };
    }

    /// <summary>Adds the baseline comparison and the Pareto flags.</summary>
    public static List<MatrixRow> Finish(IReadOnlyList<MatrixRow> rows, int baseIndex, string accuracyKey)
    {
        var b = rows[baseIndex];
        double? Acc(MatrixRow r) => r.Accuracy.TryGetValue(accuracyKey, out var v) ? v : null;
        var baseAcc = Acc(b);
        var result = rows.Select(r =>
        {
            var a = Acc(r);
            return r with
            {
                VsBaseline = new MatrixVsBaseline(
                    a is { } x && baseAcc is { } y && y != 0 ? x / y : null,
                    a is { } x2 && baseAcc is { } y2 ? x2 - y2 : null,
                    r.LatencyMs.P50 > 0 ? b.LatencyMs.P50 / r.LatencyMs.P50 : null,
                    b.FileBytes > 0 ? (double)r.FileBytes / b.FileBytes : null),
                Pareto = !rows.Any(o => !ReferenceEquals(o, r) && Acc(o) is { } oa && a is { } ra
                                        && oa >= ra && o.LatencyMs.P50 <= r.LatencyMs.P50 && (oa > ra || o.LatencyMs.P50 < r.LatencyMs.P50)),
            };
        }).ToList();
        return result;
    }

    /// <summary>The variant from what the graph stores: int8 when it quantizes (QDQ or QLinear ops), fp16 when its float weights are half, else fp32.</summary>
    public static string Variant(ModelProfile p)
    {
        var ops = p.OpHistogram.Keys;
        if (ops.Any(o => o is "QuantizeLinear" or "DequantizeLinear" or "QLinearConv" or "QLinearMatMul" or "MatMulInteger" or "ConvInteger")) return "int8";
        long f16 = 0, f32 = 0, bf16 = 0;
        foreach (var w in p.WeightsByDtype)
        {
            if (w.Dtype is "float16") f16 += w.Elements;
            else if (w.Dtype is "bfloat16") bf16 += w.Elements;
            else if (w.Dtype is "float32" or "float") f32 += w.Elements;
        }
        return f16 > f32 ? "fp16" : bf16 > f32 ? "bf16" : "fp32";
    }

    private static string Key(string path, ValTask task, MatrixOptions o)
    {
        var fi = new FileInfo(path);
        var text = string.Join('|', fi.FullName, fi.Length, fi.LastWriteTimeUtc.Ticks, task, o.Val.IntraOpThreads, o.Val.Batch, o.Val.Decode,
            o.Preprocess.Size, o.Preprocess.Mode, o.Preprocess.Bgr, string.Join(',', o.Bench.Batches), o.Bench.MaxTimeSeconds);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..16];
    }

    /// <summary>Resets the process's peak-RSS high-water mark (Linux: <c>echo 5 &gt; /proc/self/clear_refs</c>), so each row reports its own peak.</summary>
    private static void ResetPeakRss()
    {
        try
        {
            if (File.Exists("/proc/self/clear_refs")) File.WriteAllText("/proc/self/clear_refs", "5");
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
