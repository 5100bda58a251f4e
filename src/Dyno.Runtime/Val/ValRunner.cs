using Dyno.Metrics;
using System.Diagnostics;
using System.Threading.Channels;
using Dyno.Metrics.Classification;
using Dyno.Metrics.Detection;
using Dyno.Metrics.Segmentation;
using Dyno.Runtime.Environment;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using OpenCvSharp;

namespace Dyno.Runtime.Val;

/// <summary>How classification outputs are read.</summary>
public enum ScoreKind
{
    /// <summary>Unnormalised logits (softmax is applied for log-loss and calibration).</summary>
    Logits,

    /// <summary>Probabilities (rows sum to 1).</summary>
    Probabilities,
}

/// <summary>Options of one validation run.</summary>
public sealed record ValOptions
{
    /// <summary>Images per inference; > 1 needs a model with a dynamic batch axis.</summary>
    public int Batch { get; init; } = 1;

    /// <summary>Threads decoding and preprocessing images ahead of inference.</summary>
    public int Workers { get; init; } = Math.Max(1, System.Environment.ProcessorCount - 1);

    /// <summary>ONNX Runtime intra-op threads (0 = its default).</summary>
    public int IntraOpThreads { get; init; }

    /// <summary>ONNX Runtime inter-op threads (0 = its default).</summary>
    public int InterOpThreads { get; init; }

    /// <summary>Graph optimisation level: disable, basic, extended or all.</summary>
    public Benchmark.GraphOptimization GraphOptimization { get; init; } = Benchmark.GraphOptimization.All;

    /// <summary>Detection decoder thresholds.</summary>
    public DetectionDecodeOptions Decode { get; init; } = new();

    /// <summary>Detection layout; null = detected from the outputs.</summary>
    public DetectionLayout? Layout { get; init; }

    /// <summary>Classification outputs: null = probabilities when the graph ends in Softmax, else logits.</summary>
    public ScoreKind? Scores { get; init; }

    /// <summary>Top-k accuracies reported for classification, besides top-1.</summary>
    public IReadOnlyList<int> TopK { get; init; } = [5];

    /// <summary>Segmentation label ignored in the ground truth (mmsegmentation: 255); null = none.</summary>
    public int? IgnoreIndex { get; init; } = 255;

    /// <summary>Segmentation: ground truth 0 is ignored and v becomes v − 1 (ADE20K).</summary>
    public bool ReduceZeroLabel { get; init; }

    /// <summary>Skip and count unreadable images instead of stopping with an error.</summary>
    public bool Lenient { get; init; }

    /// <summary>Largest image accepted, in pixels.</summary>
    public long MaxImagePixels { get; init; } = ImageDecoder.DefaultMaxPixels;

    /// <summary>Segmentation: write the predicted label maps (PNG, the ground truth's size) into this folder.</summary>
    public string? SegmentationPredictionsDir { get; init; }

    /// <summary>Progress reports (images done, total), from the inference thread.</summary>
    public IProgress<(int Done, int Total)>? Progress { get; init; }
}

/// <summary>Per-image time of each stage, and the run's throughput.</summary>
public sealed record ValSpeed
{
    /// <summary>Decode + preprocess CPU milliseconds per image (on the worker threads, overlapped with inference).</summary>
    public required double PreprocessMs { get; init; }

    /// <summary>Inference milliseconds per image (session run, outputs copied out).</summary>
    public required double InferenceMs { get; init; }

    /// <summary>Decode of outputs, NMS, mapping back and metric update, milliseconds per image (overlapped with inference).</summary>
    public required double PostprocessMs { get; init; }

    /// <summary>Images per second over the whole run, first image decode to last metric update.</summary>
    public required double ImagesPerSecond { get; init; }

    /// <summary>Wall-clock seconds of the run (model load excluded).</summary>
    public required double WallSeconds { get; init; }

    /// <summary>Seconds to create the ONNX Runtime session and run one warm-up batch (before the clock of <see cref="ImagesPerSecond"/> starts).</summary>
    public required double SessionLoadSeconds { get; init; }

    /// <summary>Peak resident set size of the process.</summary>
    public required long PeakRssBytes { get; init; }

    /// <summary>Model-only latency of each inference call (one batch), ms: the session run, outputs included.</summary>
    public required Statistics.LatencyStats BatchLatencyMs { get; init; }

    /// <summary>
    /// Milliseconds per image the inference thread waited for a prepared batch: near 0 when the run is
    /// inference-bound; large when decoding and preprocessing cannot keep up (more <c>workers</c> may help).
    /// </summary>
    public double InputWaitMs { get; init; }
}

/// <summary>What one validation run produced: the task's metrics, predictions and speed.</summary>
public sealed class ValRun
{
    /// <summary>The task.</summary>
    public required ValTask Task { get; init; }

    /// <summary>Images evaluated.</summary>
    public required int Images { get; init; }

    /// <summary>Images skipped as unreadable (with <see cref="ValOptions.Lenient"/>), with the first reasons.</summary>
    public required IReadOnlyList<string> Skipped { get; init; }

    /// <summary>The detection layout used (detection only).</summary>
    public DetectionLayout? Layout { get; init; }

    /// <summary>How classification scores were read.</summary>
    public ScoreKind? Scores { get; init; }

    /// <summary>Input tensor shape fed (batch first).</summary>
    public required IReadOnlyList<long> InputShape { get; init; }

    /// <summary>The preprocessing applied.</summary>
    public required PreprocessOptions Preprocess { get; init; }

    /// <summary>Class names.</summary>
    public required IReadOnlyList<string> Names { get; init; }

    /// <summary>Detection: COCO evaluation.</summary>
    public CocoEvalResult? Detection { get; init; }

    /// <summary>Detection: the ground truth evaluated against.</summary>
    public CocoGroundTruth? GroundTruth { get; init; }

    /// <summary>Detection: predictions per image id in COCO form, in evaluation order.</summary>
    public IReadOnlyList<(long ImageId, string Path, int Width, int Height, IReadOnlyList<CocoBoxPrediction> Boxes)>? DetectionPredictions { get; init; }

    /// <summary>Classification: metrics.</summary>
    public ClassificationReport? Classification { get; init; }

    /// <summary>Classification: per image, true label and scores.</summary>
    public IReadOnlyList<(string Path, int Label, float[] Scores)>? ClassificationPredictions { get; init; }

    /// <summary>Segmentation: metrics.</summary>
    public SegmentationReport? Segmentation { get; init; }

    /// <summary>Stage timings and throughput.</summary>
    public required ValSpeed Speed { get; init; }

    /// <summary>Execution settings (threads, batch, workers).</summary>
    public required ValOptions Options { get; init; }

    /// <summary>
    /// The task's headline accuracy under one set of names: <c>map</c>, <c>map50</c>, <c>map75</c> (COCO AP@[.5:.95], AP50, AP75);
    /// <c>top1</c>, <c>top5</c> (top-5 is 1 with five classes or fewer, null when not computed); <c>miou</c>, <c>pixel_accuracy</c>.
    /// </summary>
    public IReadOnlyDictionary<string, double?> Accuracy() => Task switch
    {
        ValTask.Detect => new Dictionary<string, double?> { ["map"] = Detection!.Stats["AP"], ["map50"] = Detection.Stats["AP50"], ["map75"] = Detection.Stats["AP75"] },
        ValTask.Classify => new Dictionary<string, double?>
        {
            ["top1"] = Classification!.Accuracy,
            ["top5"] = Names.Count <= 5 ? 1.0 : Classification.TopK.FirstOrDefault(t => t.K == 5)?.Accuracy,
        },
        _ => new Dictionary<string, double?> { ["miou"] = Segmentation!.Dataset.MIoU, ["pixel_accuracy"] = Segmentation.Dataset.PixelAccuracy },
    };
}

/// <summary>
/// Runs an ONNX model over a labelled dataset and scores it: images are decoded and preprocessed by worker threads
/// ahead of inference (a bounded, ordered pipeline), inference runs on the calling thread, and decoding of the
/// outputs plus the metric update run on another thread, so a run is bound by inference.
/// </summary>
public static class ValRunner
{
    private sealed class Prepared
    {
        public required int Index;
        public required int Count;
        public required float[] Tensor;
        public required CanvasMemo[] Memos; // per image slot of Tensor, reused with it
        public required ImageTransform[] Transforms;
        public required bool[] Ok;
        public required string?[] Errors;
        public double PreMs;
    }

    private sealed class Inferred
    {
        public required Prepared Input;
        public required float[][] Floats;
        public required long[][] Longs;
        public required long[][] Shapes;
        public OutputSlot? Slot; // pooled output buffers ONNX Runtime wrote into; back to the pool once consumed
    }

    /// <summary>
    /// Managed output buffers bound to ONNX Runtime values of a fixed shape: the session writes a batch's outputs
    /// straight into them and the post-processing thread reads them in place, so the inference thread neither copies
    /// nor allocates (before, every image's outputs were copied into fresh arrays on the inference thread).
    /// </summary>
    private sealed class OutputSlot : IDisposable
    {
        public required float[][] Floats;
        public required long[][] Longs;
        public required long[][] Shapes;
        public required OrtValue[] Values;

        public static OutputSlot Create(IReadOnlyList<(TensorElementType Type, long[] Shape)> outputs)
        {
            var n = outputs.Count;
            var slot = new OutputSlot { Floats = new float[n][], Longs = new long[n][], Shapes = new long[n][], Values = new OrtValue[n] };
            for (var i = 0; i < n; i++)
            {
                var (type, shape) = outputs[i];
                var count = checked((int)shape.Aggregate(1L, (a, d) => a * d));
                slot.Shapes[i] = shape;
                if (type == TensorElementType.Float)
                {
                    slot.Floats[i] = new float[count];
                    slot.Values[i] = OrtValue.CreateTensorValueFromMemory(slot.Floats[i], shape);
                }
                else
                {
                    slot.Longs[i] = new long[count];
                    slot.Values[i] = OrtValue.CreateTensorValueFromMemory(slot.Longs[i], shape);
                }
            }
            return slot;
        }

        public void Dispose()
        {
            foreach (var v in Values) v?.Dispose();
        }
    }

    /// <summary>Creates the ONNX Runtime session with the run's thread and optimisation settings.</summary>
    public static InferenceSession CreateSession(string modelPath, ValOptions o)
    {
        using var so = Benchmark.InferenceBenchmark.CreateSessionOptions(new Benchmark.BenchOptions
        {
            IntraOpThreads = o.IntraOpThreads, InterOpThreads = o.InterOpThreads, GraphOptimization = o.GraphOptimization, ExecutionMode = Benchmark.SessionExecutionMode.Sequential,
        });
        try
        {
            return new InferenceSession(modelPath, so);
        }
        catch (OnnxRuntimeException e)
        {
            throw new InvalidDataException($"{modelPath}: onnxruntime refused the model: {e.Message.ReplaceLineEndings(" ")}");
        }
    }

    /// <summary>The model's image input: name, shape (-1 = dynamic), layout.</summary>
    public static (string Name, long[] Shape, TensorLayout Layout) ImageInput(InferenceSession session, string modelPath)
    {
        var inputs = session.InputMetadata.Where(kv => kv.Value.IsTensor).ToList();
        if (inputs.Count != 1) throw new InvalidDataException($"{modelPath}: val needs a model with one image input, it has {inputs.Count} ({string.Join(", ", inputs.Select(i => i.Key))})");
        var (name, meta) = inputs[0];
        if (meta.ElementDataType != TensorElementType.Float)
            throw new InvalidDataException($"{modelPath}: input '{name}' is {meta.ElementDataType}; val feeds float32 images");
        var dims = meta.Dimensions.Select(d => (long)d).ToArray();
        if (dims.Length != 4) throw new InvalidDataException($"{modelPath}: input '{name}' has shape [{string.Join(", ", dims)}]; an image input is [batch, 3, height, width] or [batch, height, width, 3]");
        var layout = dims[1] == 3 ? TensorLayout.Nchw : dims[3] == 3 ? TensorLayout.Nhwc : TensorLayout.Nchw;
        return (name, dims, layout);
    }

    /// <summary>Detects the detection layout from the outputs, or explains why none fits.</summary>
    public static DetectionLayout DetectLayout(InferenceSession session, string modelPath, int classes)
    {
        var outs = session.OutputMetadata;
        string Describe() => string.Join(", ", outs.Select(kv => $"{kv.Key} [{string.Join(", ", kv.Value.Dimensions)}]"));
        var names = outs.Keys.ToHashSet(StringComparer.Ordinal);
        if (names.Contains("boxes") && names.Contains("scores") && names.Contains("labels")) return DetectionLayout.EndToEnd;
        var matches = new List<DetectionLayout>();
        if (outs.Count == 1)
        {
            var d = outs.First().Value.Dimensions;
            if (d.Length == 3)
            {
                if (d[1] == 4 + classes) matches.Add(DetectionLayout.YoloV8);
                if (d[2] == 5 + classes) matches.Add(DetectionLayout.YoloV5);
                if (d[2] == 6 && !matches.Contains(DetectionLayout.YoloV5)) matches.Add(DetectionLayout.EndToEnd6);
            }
        }
        if (matches.Count == 1) return matches[0];
        var tried = $"tried yolov8 [batch, 4+{classes}, anchors], yolov5 [batch, anchors, 5+{classes}], e2e (boxes/scores/labels) and e2e6 [batch, K, 6]";
        if (matches.Count > 1)
            throw DynoInputException.Naming(new InvalidDataException($"{modelPath}: outputs {Describe()} fit several decoders ({string.Join(", ", matches)}); choose one with ValOptions.Layout"), "ValOptions.Layout");
        throw DynoInputException.Naming(new InvalidDataException($"{modelPath}: outputs {Describe()} match no detection decoder for {classes} classes ({tried}); check the data's class count or set ValOptions.Layout"), "ValOptions.Layout");
    }

    /// <summary>Runs a detection val.</summary>
    public static ValRun Detect(string modelPath, DetectionDataset data, PreprocessOptions pre, ValOptions o, CancellationToken ct = default)
    {
        var loadSw = Stopwatch.StartNew();
        using var session = CreateSession(modelPath, o);
        var load = loadSw.Elapsed.TotalSeconds;
        var layout = o.Layout ?? DetectLayout(session, modelPath, data.Names.Count);
        if (o.Layout is { } forced) CheckForcedLayout(session, modelPath, forced, data.Names.Count);
        if (layout is DetectionLayout.EndToEnd && o.Batch > 1)
            throw new DynoInputException($"{modelPath}: an end-to-end model with [K, 4] outputs has no batch axis; use batch 1");
        var metric = data.GroundTruth is { } gt ? new CocoDetectionMetric(gt) : new CocoDetectionMetric(data.Names.Select((n, i) => new CocoCategory(data.CategoryIds[i], n)));
        var preds = new List<(long, string, int, int, IReadOnlyList<CocoBoxPrediction>)>(data.Samples.Count);
        var paths = data.Samples.Select(s => s.Path).ToList();
        var outNames = session.OutputMetadata.Keys.ToArray();
        var postMs = 0.0;
        var seen = new HashSet<long>();
        var r = Run(session, modelPath, paths, pre, o, load, (inf, k, sample) =>
        {
            var s = data.Samples[sample];
            var t = inf.Input.Transforms[k];
            List<RawDetection> raw;
            switch (layout)
            {
                case DetectionLayout.YoloV8:
                {
                    var shape = inf.Shapes[0];
                    var per = (int)(shape[1] * shape[2]);
                    raw = DetectionDecoder.DecodeYoloV8(inf.Floats[0].AsSpan(k * per, per), (int)shape[1] - 4, (int)shape[2], o.Decode);
                    break;
                }
                case DetectionLayout.YoloV5:
                {
                    var shape = inf.Shapes[0];
                    var per = (int)(shape[1] * shape[2]);
                    raw = DetectionDecoder.DecodeYoloV5(inf.Floats[0].AsSpan(k * per, per), (int)shape[2] - 5, (int)shape[1], o.Decode);
                    break;
                }
                case DetectionLayout.EndToEnd:
                {
                    int bi = Array.IndexOf(outNames, "boxes"), si = Array.IndexOf(outNames, "scores"), li = Array.IndexOf(outNames, "labels");
                    raw = DetectionDecoder.DecodeEndToEnd(inf.Floats[bi], inf.Floats[si], inf.Longs[li], o.Decode);
                    break;
                }
                default:
                {
                    var shape = inf.Shapes[0];
                    var per = (int)(shape[1] * shape[2]);
                    raw = DetectionDecoder.DecodeEndToEnd6(inf.Floats[0].AsSpan(k * per, per), o.Decode);
                    break;
                }
            }
            var boxes = DetectionDecoder.ToCoco(raw, t, data.CategoryIds);
            if (data.GroundTruth is not null) metric.Update(s.ImageId, boxes);
            else metric.Update(new CocoImageTarget(s.ImageId, t.OriginalWidth, t.OriginalHeight, data.ReadLabels(s.LabelPath, t.OriginalWidth, t.OriginalHeight)), boxes);
            seen.Add(s.ImageId);
            preds.Add((s.ImageId, s.Path, t.OriginalWidth, t.OriginalHeight, boxes));
        }, ms => postMs += ms, ct);
        var computeSw = Stopwatch.StartNew();
        CocoEvalResult result;
        CocoGroundTruth evalGt;
        if (data.GroundTruth is { } fixedGt && r.Skipped.Count > 0)
        {
            // Unreadable images leave the evaluation entirely, with their objects (as Ultralytics drops corrupt images).
            evalGt = fixedGt.Restrict(seen);
            var sub = new CocoDetectionMetric(evalGt);
            foreach (var p in preds) sub.Update(p.Item1, p.Item5);
            result = sub.Compute();
        }
        else
        {
            evalGt = metric.GroundTruth();
            result = metric.Compute();
        }
        postMs += computeSw.Elapsed.TotalMilliseconds;
        return new ValRun
        {
            Task = ValTask.Detect, Images = r.Images, Skipped = r.Skipped, Layout = layout, InputShape = r.Shape, Preprocess = pre,
            Names = data.Names, Detection = result, GroundTruth = evalGt, DetectionPredictions = preds, Speed = r.Speed(postMs), Options = o,
        };
    }

    private static void CheckForcedLayout(InferenceSession session, string modelPath, DetectionLayout layout, int classes)
    {
        var outs = session.OutputMetadata;
        string Describe() => string.Join(", ", outs.Select(kv => $"{kv.Key} [{string.Join(", ", kv.Value.Dimensions)}]"));
        var ok = layout switch
        {
            DetectionLayout.EndToEnd => outs.ContainsKey("boxes") && outs.ContainsKey("scores") && outs.ContainsKey("labels"),
            DetectionLayout.YoloV8 => outs.Count == 1 && outs.First().Value.Dimensions is { Length: 3 } d && d[1] == 4 + classes,
            DetectionLayout.YoloV5 => outs.Count == 1 && outs.First().Value.Dimensions is { Length: 3 } d && d[2] == 5 + classes,
            _ => outs.Count == 1 && outs.First().Value.Dimensions is { Length: 3 } d && d[2] == 6,
        };
        if (!ok) throw new InvalidDataException($"{modelPath}: outputs {Describe()} do not fit the {layout} decoder for {classes} classes");
    }

    /// <summary>Runs a classification val.</summary>
    public static ValRun Classify(string modelPath, ClassificationDataset data, PreprocessOptions pre, ValOptions o, CancellationToken ct = default)
    {
        var loadSw = Stopwatch.StartNew();
        using var session = CreateSession(modelPath, o);
        var load = loadSw.Elapsed.TotalSeconds;
        var outs = session.OutputMetadata;
        if (outs.Count != 1) throw new InvalidDataException($"{modelPath}: a classifier has one output, this model has {outs.Count} ({string.Join(", ", outs.Keys)})");
        var (outName, meta) = outs.First();
        var dims = meta.Dimensions;
        var classes = dims.Length >= 2 ? dims[1] : -1;
        if (dims.Length is < 2 or > 4 || dims.Skip(2).Any(d => d != 1))
            throw new InvalidDataException($"{modelPath}: output '{outName}' [{string.Join(", ", dims)}] is not [batch, classes] scores");
        if (classes != data.Names.Count)
            throw new InvalidDataException($"{modelPath}: the model scores {classes} classes but {data.Source} has {data.Names.Count} ({string.Join(", ", data.Names.Take(8))}{(data.Names.Count > 8 ? ", ..." : "")})");
        var kind = o.Scores ?? (EndsInSoftmax(modelPath, outName) ? ScoreKind.Probabilities : ScoreKind.Logits);
        var acc = new ClassificationAccumulator(data.Names.Count, new ClassificationOptions { Logits = kind == ScoreKind.Logits, TopK = o.TopK.Where(k => k >= 2 && k <= data.Names.Count).ToList() });
        var preds = new List<(string, int, float[])>(data.Samples.Count);
        var postMs = 0.0;
        var r = Run(session, modelPath, data.Samples.Select(s => s.Path).ToList(), pre, o, load, (inf, k, sample) =>
        {
            var c = data.Names.Count;
            var row = inf.Floats[0].AsSpan(k * c, c).ToArray();
            acc.Update(data.Samples[sample].Label, row);
            preds.Add((data.Samples[sample].Path, data.Samples[sample].Label, row));
        }, ms => postMs += ms, ct);
        var sw = Stopwatch.StartNew();
        var report = acc.Compute();
        postMs += sw.Elapsed.TotalMilliseconds;
        return new ValRun
        {
            Task = ValTask.Classify, Images = r.Images, Skipped = r.Skipped, Scores = kind, InputShape = r.Shape, Preprocess = pre, Names = data.Names,
            Classification = report, ClassificationPredictions = preds, Speed = r.Speed(postMs), Options = o,
        };
    }

    private static bool EndsInSoftmax(string modelPath, string output)
    {
        using var model = Dyno.Models.Onnx.OnnxModel.Load(modelPath);
        return model.Graph.Nodes.Any(n => n.OpType is "Softmax" && n.Outputs.Contains(output));
    }

    /// <summary>Runs a segmentation val: argmax of [batch, classes, H, W] logits, resized back to each label map with nearest neighbour.</summary>
    public static ValRun Segment(string modelPath, SegmentationDataset data, PreprocessOptions pre, ValOptions o, CancellationToken ct = default)
    {
        var loadSw = Stopwatch.StartNew();
        using var session = CreateSession(modelPath, o);
        var load = loadSw.Elapsed.TotalSeconds;
        var outs = session.OutputMetadata;
        if (outs.Count != 1) throw new InvalidDataException($"{modelPath}: a segmenter has one output, this model has {outs.Count} ({string.Join(", ", outs.Keys)})");
        var (outName, meta) = outs.First();
        var dims = meta.Dimensions;
        if (dims.Length != 4) throw new InvalidDataException($"{modelPath}: output '{outName}' [{string.Join(", ", dims)}] is not [batch, classes, height, width] logits");
        var classes = dims[1];
        if (data.Names is { } names && names.Count != classes)
            throw new InvalidDataException($"{modelPath}: the model predicts {classes} classes but {data.Source} names {names.Count}");
        if (classes > 256) throw new InvalidDataException($"{modelPath}: {classes} classes; segmentation val supports up to 256 (8-bit label maps)");
        var acc = new SegmentationAccumulator(classes, new SegmentationOptions { IgnoreIndex = o.IgnoreIndex, ReduceZeroLabel = o.ReduceZeroLabel });
        var reader = new PngLabelReader();
        var postMs = 0.0;
        if (o.SegmentationPredictionsDir is { } dir) Directory.CreateDirectory(dir);
        var r = Run(session, modelPath, data.Samples.Select(s => s.Path).ToList(), pre, o, load, (inf, k, sample) =>
        {
            var s = data.Samples[sample];
            var shape = inf.Shapes[0];
            int c = (int)shape[1], h = (int)shape[2], w = (int)shape[3];
            var plane = h * w;
            var logits = inf.Floats[0].AsSpan(k * c * plane, c * plane);
            using var pred = new Mat(h, w, MatType.CV_8UC1);
            var argmax = new byte[plane];
            for (var i = 0; i < plane; i++)
            {
                var best = logits[i];
                var bi = 0;
                for (var q = 1; q < c; q++)
                {
                    var v = logits[q * plane + i];
                    if (v > best) { best = v; bi = q; }
                }
                argmax[i] = (byte)bi;
            }
            System.Runtime.InteropServices.Marshal.Copy(argmax, 0, pred.Data, plane);
            try { reader.Read(s.MaskPath); }
            catch (Exception e) when (e is InvalidDataException or IOException) { throw new InvalidDataException($"{s.MaskPath}: {e.Message}"); }
            if (reader.BitDepth != 8) throw new InvalidDataException($"{s.MaskPath}: 16-bit label maps are not supported by val");
            using var full = new Mat();
            Cv2.Resize(pred, full, new Size(reader.Width, reader.Height), 0, 0, InterpolationFlags.Nearest);
            var bytes = new byte[reader.Width * reader.Height];
            System.Runtime.InteropServices.Marshal.Copy(full.Data, bytes, 0, bytes.Length);
            acc.Update(Target.Of(reader.Pixels8), Prediction.Of(bytes), s.Name);
            if (o.SegmentationPredictionsDir is { } d) Cv2.ImWrite(Path.Combine(d, s.Name + ".png"), full);
        }, ms => postMs += ms, ct);
        var sw = Stopwatch.StartNew();
        var report = acc.Compute();
        postMs += sw.Elapsed.TotalMilliseconds;
        return new ValRun
        {
            Task = ValTask.Segment, Images = r.Images, Skipped = r.Skipped, InputShape = r.Shape, Preprocess = pre,
            Names = data.Names ?? Enumerable.Range(0, classes).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToList(),
            Segmentation = report, Speed = r.Speed(postMs), Options = o,
        };
    }

    private sealed class RunStats
    {
        public required int Images;
        public required List<string> Skipped;
        public required long[] Shape;
        public required double PreMs, InferMs, WaitMs, WallSeconds, LoadSeconds;
        public required List<double> BatchMs;

        public ValSpeed Speed(double postMs) => new()
        {
            PreprocessMs = Images > 0 ? PreMs / Images : 0,
            InferenceMs = Images > 0 ? InferMs / Images : 0,
            PostprocessMs = Images > 0 ? postMs / Images : 0,
            ImagesPerSecond = WallSeconds > 0 ? Images / WallSeconds : 0,
            WallSeconds = WallSeconds,
            SessionLoadSeconds = LoadSeconds,
            PeakRssBytes = ProcessMemory.PeakRss(),
            BatchLatencyMs = Statistics.LatencyStats.From(BatchMs),
            InputWaitMs = Images > 0 ? WaitMs / Images : 0,
        };
    }

    /// <summary>
    /// The single-worker pipeline's two queues (prepared batches to the inference thread, inferred batches back to the
    /// helper thread) under one lock, with wake-ups kept off the inference thread's path: the helper sleeps when
    /// <c>capacity</c> batches are prepared and the inference thread wakes it only once they are down to
    /// <c>lowWater</c> (one wake per few batches, not two per batch); inferred batches wait for the helper's next round
    /// instead of waking it. On this 2-vCPU VM every cross-thread wake the inference thread issued cost it about
    /// 0.05 ms (an inter-processor interrupt), and relying on thread-pool continuations stalled a run now and then.
    /// </summary>
    private sealed class HandOff(int capacity, int lowWater)
    {
        private readonly object _gate = new();
        private readonly Queue<Task<Prepared>> _ready = new();
        private readonly Queue<Inferred> _done = new();
        private bool _readyComplete, _doneComplete, _cancelled, _helperWaiting, _mainWaiting;

        /// <summary>Helper: queues a prepared batch, then sleeps while the queue is full (post-processing what came back meanwhile).</summary>
        public void Put(Task<Prepared> batch, Action<Inferred> consume)
        {
            lock (_gate)
            {
                _ready.Enqueue(batch);
                if (_mainWaiting) Monitor.PulseAll(_gate);
            }
            while (true)
            {
                Drain(consume);
                lock (_gate)
                {
                    if (_cancelled) throw new OperationCanceledException();
                    if (_ready.Count < capacity) return;
                    if (_done.Count > 0) continue;
                    _helperWaiting = true;
                    Monitor.Wait(_gate);
                    _helperWaiting = false;
                }
            }
        }

        /// <summary>Helper: no more batches; post-processes until the inference thread has handed back its last one.</summary>
        public void Finish(Action<Inferred> consume)
        {
            lock (_gate)
            {
                _readyComplete = true;
                if (_mainWaiting) Monitor.PulseAll(_gate);
            }
            while (true)
            {
                Drain(consume);
                lock (_gate)
                {
                    if (_cancelled) throw new OperationCanceledException();
                    if (_done.Count > 0) continue;
                    if (_doneComplete) return;
                    _helperWaiting = true;
                    Monitor.Wait(_gate);
                    _helperWaiting = false;
                }
            }
        }

        private void Drain(Action<Inferred> consume)
        {
            while (true)
            {
                Inferred? item;
                lock (_gate)
                {
                    if (!_done.TryDequeue(out item)) return;
                }
                consume(item);
            }
        }

        /// <summary>Inference thread: the next prepared batch, waiting if none is ready; false when the helper has finished.</summary>
        public bool Take([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Task<Prepared>? batch)
        {
            lock (_gate)
            {
                while (_ready.Count == 0)
                {
                    if (_cancelled) throw new OperationCanceledException();
                    if (_readyComplete) { batch = null; return false; }
                    _mainWaiting = true;
                    Monitor.Wait(_gate);
                    _mainWaiting = false;
                }
                batch = _ready.Dequeue();
                if (_helperWaiting && _ready.Count <= lowWater) Monitor.PulseAll(_gate);
                return true;
            }
        }

        /// <summary>Inference thread: hands an inferred batch back (waking the helper only once it has prepared everything).</summary>
        public void Give(Inferred inferred)
        {
            lock (_gate)
            {
                _done.Enqueue(inferred);
                if (_helperWaiting && _readyComplete) Monitor.PulseAll(_gate);
            }
        }

        /// <summary>Inference thread: nothing more comes back.</summary>
        public void Complete()
        {
            lock (_gate)
            {
                _doneComplete = true;
                Monitor.PulseAll(_gate);
            }
        }

        /// <summary>Either side (or Ctrl-C): wakes both, whose next step throws <see cref="OperationCanceledException"/>.</summary>
        public void Cancel()
        {
            lock (_gate)
            {
                _cancelled = true;
                Monitor.PulseAll(_gate);
            }
        }
    }

    /// <summary>Copies a run's outputs into managed arrays for the post-processing thread.</summary>
    private static Inferred CopyOut(Prepared p, IReadOnlyList<OrtValue> results)
    {
        var floats = new float[results.Count][];
        var longs = new long[results.Count][];
        var shapes = new long[results.Count][];
        for (var i = 0; i < results.Count; i++)
        {
            var v = results[i];
            var info = v.GetTensorTypeAndShape();
            shapes[i] = info.Shape;
            if (info.ElementDataType == TensorElementType.Float) floats[i] = v.GetTensorDataAsSpan<float>().ToArray();
            else if (info.ElementDataType == TensorElementType.Int64) longs[i] = v.GetTensorDataAsSpan<long>().ToArray();
            else if (info.ElementDataType == TensorElementType.Int32) longs[i] = v.GetTensorDataAsSpan<int>().ToArray().Select(x => (long)x).ToArray();
            else floats[i] = [];
        }
        return new Inferred { Input = p, Floats = floats, Longs = longs, Shapes = shapes };
    }

    /// <summary>The pipeline: workers prepare batches in order, this thread infers, a post thread consumes.</summary>
    private static RunStats Run(InferenceSession session, string modelPath, IReadOnlyList<string> paths, PreprocessOptions pre, ValOptions o, double loadSeconds,
        Action<Inferred, int, int> consume, Action<double> addPostMs, CancellationToken ct)
    {
        if (o.Batch < 1) throw new DynoInputException($"batch must be ≥ 1, got {o.Batch}");
        if (o.Workers < 1) throw new DynoInputException($"workers must be ≥ 1, got {o.Workers}");
        var (inputName, dims, _) = ImageInput(session, modelPath);
        var fixedBatch = dims[0] > 0 ? dims[0] : -1;
        if (fixedBatch > 0 && fixedBatch != o.Batch)
            throw new DynoInputException($"{modelPath}: input '{inputName}' has a fixed batch of {fixedBatch}; run with batch {fixedBatch} (a dynamic batch axis is needed for other batch sizes)");
        var pp = new ImagePreprocessor(pre);
        var per = pre.ImageElements;
        var outNames = session.OutputMetadata.Keys.ToArray();
        var batches = (paths.Count + o.Batch - 1) / o.Batch;
        var skipped = new List<string>();
        var gate = new SemaphoreSlim(o.Workers);
        var pool = new System.Collections.Concurrent.ConcurrentBag<(float[] Tensor, CanvasMemo[] Memos)>();
        var slots = new System.Collections.Concurrent.ConcurrentBag<OutputSlot>();
        var allSlots = new List<OutputSlot>();
        // Four prepared batches at least: a run of slow-to-decode images no longer starves inference (with two, the
        // inference thread waited more often; shapes_det_n_v8 val/bench +3% over 8 alternated shielded pairs).
        // With one worker, a dedicated helper thread prepares and post-processes, and HandOff carries the batches both
        // ways (two busy threads on two cores, nothing left to the thread pool); with several, workers prepare on the
        // thread pool and a consumer post-processes, through two channels.
        var depth = Math.Max(4, 2 * o.Workers);
        var handOff = o.Workers == 1 ? new HandOff(depth, lowWater: 1) : null;
        var queue = handOff is null ? Channel.CreateBounded<Task<Prepared>>(new BoundedChannelOptions(depth) { SingleReader = true, SingleWriter = true }) : null;
        var post = handOff is null ? Channel.CreateBounded<Inferred>(new BoundedChannelOptions(4) { SingleReader = true, SingleWriter = true }) : null;
        var shape = new long[dims.Length];
        Array.Copy(dims, shape, dims.Length);
        shape[0] = o.Batch;
        var shapeBatch = (long[])shape.Clone();
        using var runOptions = new RunOptions();
        var inputValues = new Dictionary<float[], OrtValue>(ReferenceEqualityComparer.Instance);
        // outputs whose shape the graph fixes (no symbolic dimension) are bound to pooled managed buffers (OutputSlot);
        // their shapes are learnt from the warm-up run
        var outputsFixed = session.OutputMetadata.Values.All(m => m.IsTensor && m.Dimensions.All(d => d > 0)
            && m.ElementDataType is TensorElementType.Float or TensorElementType.Int64);
        List<(TensorElementType, long[])>? slotLayout = null;
        // every session run goes through these two: ONNX Runtime's refusal becomes one line naming the model
        InvalidDataException Failed(OnnxRuntimeException e) => new($"{modelPath}: onnxruntime failed to run the model: {e.Message.ReplaceLineEndings(" ")}");
        IDisposableReadOnlyCollection<OrtValue> RunAllocating(OrtValue input)
        {
            try { return session.Run(runOptions, [inputName], [input], outNames); }
            catch (OnnxRuntimeException e) { throw Failed(e); }
        }
        void RunInto(OrtValue input, OrtValue[] outputs)
        {
            try { session.Run(runOptions, [inputName], [input], outNames, outputs); }
            catch (OnnxRuntimeException e) { throw Failed(e); }
        }
        // One warm-up run on a zero batch before the clock starts (ONNX Runtime sizes its arena and caches on the first
        // run, tens of ms), as Ultralytics' val warms the model up; it is counted in the session load time.
        var warmSw = Stopwatch.StartNew();
        {
            // the shape of every full batch (a fixed batch axis equals o.Batch, checked above)
            using var warmInput = OrtValue.CreateTensorValueFromMemory(new float[checked((int)(o.Batch * per))], (long[])shape.Clone());
            using var results = RunAllocating(warmInput);
            if (outputsFixed)
                slotLayout = results.Select(r =>
                {
                    var info = r.GetTensorTypeAndShape();
                    return (info.ElementDataType, info.Shape);
                }).ToList();
        }
        loadSeconds += warmSw.Elapsed.TotalSeconds;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var token = cts.Token;
        using var cancelHandOff = handOff is null ? default : token.Register(handOff.Cancel);
        var wall = Stopwatch.StartNew();

        Prepared Prepare(int b)
        {
            var start = b * o.Batch;
            var count = Math.Min(o.Batch, paths.Count - start);
            if (!pool.TryTake(out var buffer)) buffer = (new float[per * o.Batch], Enumerable.Range(0, o.Batch).Select(_ => new CanvasMemo()).ToArray());
            var tensor = buffer.Tensor;
            var p = new Prepared { Index = b, Count = count, Tensor = tensor, Memos = buffer.Memos, Transforms = new ImageTransform[count], Ok = new bool[count], Errors = new string?[count] };
            var sw = Stopwatch.StartNew();
            for (var k = 0; k < count; k++)
            {
                token.ThrowIfCancellationRequested();
                try
                {
                    using var img = ImageDecoder.DecodeBgr(paths[start + k], o.MaxImagePixels);
                    p.Transforms[k] = pp.Run(img, tensor.AsSpan(k * per, per), p.Memos[k]);
                    p.Ok[k] = true;
                }
                catch (Exception e) when (o.Lenient && e is InvalidDataException or IOException)
                {
                    p.Errors[k] = e.Message;
                    tensor.AsSpan(k * per, per).Clear();
                    p.Memos[k].Invalidate();
                }
            }
            p.PreMs = sw.Elapsed.TotalMilliseconds;
            return p;
        }

        var images = 0;
        var postTotal = 0.0;
        void ConsumeOne(Inferred inf)
        {
            var sw = Stopwatch.StartNew();
            for (var k = 0; k < inf.Input.Count; k++)
            {
                if (!inf.Input.Ok[k]) continue;
                consume(inf, k, inf.Input.Index * o.Batch + k);
            }
            if (inf.Slot is { } slot) slots.Add(slot);
            postTotal += sw.Elapsed.TotalMilliseconds;
        }

        Task producer, consumer;
        if (handOff is not null)
        {
            producer = Task.CompletedTask;
            consumer = Task.Factory.StartNew(() =>
            {
                try
                {
                    for (var b = 0; b < batches; b++)
                    {
                        Task<Prepared> task;
                        try { task = Task.FromResult(Prepare(b)); }
                        catch (Exception e) when (e is not OperationCanceledException) { task = Task.FromException<Prepared>(e); }
                        handOff.Put(task, ConsumeOne);
                        if (task.IsFaulted) break; // the inference loop reports it in dataset order
                    }
                    handOff.Finish(ConsumeOne);
                }
                catch (OperationCanceledException) when (token.IsCancellationRequested)
                {
                    token.ThrowIfCancellationRequested(); // with the run's token: the task ends Canceled, not Faulted
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    cts.Cancel(); // unblocks the inference loop, which then reports this exception
                    throw;
                }
            }, token, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }
        else
        {
            producer = Task.Run(async () =>
            {
                try
                {
                    for (var b = 0; b < batches; b++)
                    {
                        await gate.WaitAsync(token).ConfigureAwait(false);
                        var bb = b;
                        var task = Task.Run(() =>
                        {
                            try { return Prepare(bb); }
                            finally { gate.Release(); }
                        }, token);
                        await queue!.Writer.WriteAsync(task, token).ConfigureAwait(false);
                    }
                    queue!.Writer.Complete();
                }
                catch (Exception e)
                {
                    queue!.Writer.TryComplete(e);
                }
            }, token);
            consumer = Task.Run(async () =>
            {
                try
                {
                    await foreach (var inf in post!.Reader.ReadAllAsync(token).ConfigureAwait(false)) ConsumeOne(inf);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    cts.Cancel(); // unblocks the inference loop, which then reports this exception
                    throw;
                }
            }, token);
        }

        double preMs = 0, inferMs = 0, waitMs = 0;
        var waitSw = new Stopwatch();
        var batchMs = new List<double>(batches);

        try
        {
            while (true)
            {
                Task<Prepared>? next;
                waitSw.Restart();
                if (handOff is not null)
                {
                    if (!handOff.Take(out next)) break;
                }
                else
                {
                    try
                    {
                        if (!queue!.Reader.WaitToReadAsync(token).AsTask().GetAwaiter().GetResult()) break;
                        if (!queue.Reader.TryRead(out next)) continue;
                    }
                    catch (ChannelClosedException e) when (e.InnerException is not null)
                    {
                        throw e.InnerException;
                    }
                }
                var p = next.GetAwaiter().GetResult();
                waitMs += waitSw.Elapsed.TotalMilliseconds;
                preMs += p.PreMs;
                for (var k = 0; k < p.Count; k++)
                    if (!p.Ok[k]) lock (skipped) skipped.Add($"{paths[p.Index * o.Batch + k]}: {p.Errors[k]}");
                // a short last batch still runs at the full batch size when the batch is fixed; with a dynamic batch it runs short
                shapeBatch[0] = fixedBatch > 0 ? fixedBatch : p.Count;
                var sw = Stopwatch.StartNew();
                Inferred inferred;
                // a full batch reuses the OrtValue that wraps its pooled buffer (pinned once) and, for outputs of a fixed
                // shape, a pooled output slot; a short last batch and outputs of a dynamic shape go the general way
                var full = shapeBatch[0] == o.Batch;
                OrtValue? tmpInput = null;
                if (!full || !inputValues.TryGetValue(p.Tensor, out var input))
                {
                    input = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, p.Tensor.AsMemory(0, (int)(shapeBatch[0] * per)), (long[])shapeBatch.Clone());
                    if (full) inputValues[p.Tensor] = input;
                    else tmpInput = input;
                }
                try
                {
                    if (full && slotLayout is not null)
                    {
                        if (!slots.TryTake(out var slot))
                        {
                            slot = OutputSlot.Create(slotLayout);
                            allSlots.Add(slot);
                        }
                        RunInto(input, slot.Values);
                        inferred = new Inferred { Input = p, Floats = slot.Floats, Longs = slot.Longs, Shapes = slot.Shapes, Slot = slot };
                    }
                    else
                    {
                        using var results = RunAllocating(input);
                        inferred = CopyOut(p, results);
                    }
                }
                finally
                {
                    tmpInput?.Dispose();
                }
                var ms = sw.Elapsed.TotalMilliseconds;
                inferMs += ms;
                batchMs.Add(ms);
                pool.Add((p.Tensor, p.Memos));
                if (handOff is not null) handOff.Give(inferred);
                else post!.Writer.WriteAsync(inferred, token).AsTask().GetAwaiter().GetResult();
                images += p.Ok.Count(x => x);
                o.Progress?.Report(((p.Index * o.Batch) + p.Count, paths.Count));
                if (consumer.IsFaulted) break;
            }
            post?.Writer.Complete();
            handOff?.Complete();
            consumer.GetAwaiter().GetResult();
            producer.GetAwaiter().GetResult();
        }
        catch
        {
            cts.Cancel();
            post?.Writer.TryComplete(); // (HandOff is cancelled through the token)
            try { consumer.Wait(CancellationToken.None); } catch (AggregateException) { } // they must stop before the run returns
            try { producer.Wait(CancellationToken.None); } catch (AggregateException) { }
            if (consumer.IsFaulted) throw consumer.Exception!.InnerException!;
            throw;
        }
        finally
        {
            foreach (var v in inputValues.Values) v.Dispose();
            foreach (var v in allSlots) v.Dispose();
        }
        if (consumer.IsFaulted) throw consumer.Exception!.InnerException!;
        addPostMs(postTotal);
        if (images == 0) throw new InvalidDataException($"no image could be read ({skipped.Count} skipped; first: {skipped.FirstOrDefault()})");
        return new RunStats { Images = images, Skipped = skipped, Shape = shape, PreMs = preMs, InferMs = inferMs, WaitMs = waitMs, BatchMs = batchMs, WallSeconds = wall.Elapsed.TotalSeconds, LoadSeconds = loadSeconds };
    }
}
