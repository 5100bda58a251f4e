using System.CommandLine;
using System.Globalization;
using System.Text;
using Dyno.Cli.Infrastructure;
using Dyno.Cli.Inputs;
using Dyno.Metrics.Classification;
using Dyno.Metrics.Segmentation;
using Dyno.Models.Analysis;
using Dyno.Models.Onnx;
using Dyno.Reports;
using Dyno.Reports.Documents;
using Dyno.Reports.Presenters;
using Dyno.Runtime.Val;
using Dyno.Results;

namespace Dyno.Cli.Commands;

/// <summary><c>dyno val</c>: run a model over a labelled dataset; accuracy, speed and cost of one run.</summary>
internal static class ValCommand
{
    public static Command Create()
    {
        var common = new CommonOptions();
        var model = new Argument<FileInfo>("MODEL") { Description = "ONNX model (detector, classifier or segmenter) with one float32 image input." };
        var data = new Option<string>("--data") { Description = "Val set: an Ultralytics data YAML or COCO instances JSON (det), an ImageNet-style folder (cls), or a folder with images/ and masks/ (seg).", Required = true };
        var task = new Option<string?>("--task") { Description = "det, cls or seg; default: from the data layout and the model's outputs (or its Ultralytics 'task' metadata)." };
        var images = new Option<DirectoryInfo?>("--images") { Description = "Images folder for COCO JSON data (file_name is relative to it), or the seg images folder." };
        var masks = new Option<DirectoryInfo?>("--masks") { Description = "Seg: label-map folder (default DATA/masks)." };
        var names = new Option<FileInfo?>("--names") { Description = "Cls: class names in model index order, one per line or an Ultralytics data.yaml (default: sorted folder names)." };
        var split = new Option<string>("--split") { Description = "Split key of the data YAML.", DefaultValueFactory = _ => "val" };
        var imgsz = new Option<string?>("--imgsz") { Description = "Input size S or WxH (default: the model's fixed input size)." };
        var preprocess = new Option<string?>("--preprocess") { Description = "letterbox (Ultralytics val), resize (stretch to the input size) or crop (shorter side to size/--crop-fraction, centre crop). Default: letterbox for det, resize for cls and seg." };
        var cropFraction = new Option<double>("--crop-fraction") { Description = "Centre-crop fraction for --preprocess crop (0.875: resize 256, crop 224).", DefaultValueFactory = _ => 0.875 };
        var pad = new Option<int>("--pad-value") { Description = "Letterbox padding value (0..255).", DefaultValueFactory = _ => 114 };
        var normalize = new Option<string?>("--normalize") { Description = "none (x/255), imagenet (mean 0.485,0.456,0.406, std 0.229,0.224,0.225) or MEAN/STD as 'm,m,m/s,s,s'. Default: imagenet for cls, none otherwise." };
        var bgr = new Option<bool>("--bgr") { Description = "Feed BGR channel order (OpenCV's) instead of RGB." };
        var decoder = new Option<string>("--decoder") { Description = "Detection output decoder: auto, yolov8, yolov5, e2e (boxes/scores/labels) or e2e6 ([K,6]).", DefaultValueFactory = _ => "auto" };
        var conf = new Option<float>("--conf") { Description = "Detection confidence threshold (strictly greater, float32).", DefaultValueFactory = _ => 0.001f };
        var iou = new Option<float>("--iou") { Description = "NMS IoU threshold.", DefaultValueFactory = _ => 0.7f };
        var maxDet = new Option<int>("--max-det") { Description = "Detections kept per image after NMS.", DefaultValueFactory = _ => 300 };
        var scores = new Option<string>("--scores") { Description = "Cls outputs: auto (probabilities when the graph ends in Softmax), logits or probabilities.", DefaultValueFactory = _ => "auto" };
        var topK = new Option<int[]>("--top-k") { Description = "Cls: top-k accuracies besides top-1 (repeatable).", DefaultValueFactory = _ => [5], AllowMultipleArgumentsPerToken = true };
        var ignore = new Option<string>("--ignore-index") { Description = "Seg: ground-truth label to leave out, or 'none'.", DefaultValueFactory = _ => "255" };
        var reduceZero = new Option<bool>("--reduce-zero-label") { Description = "Seg: ground truth 0 is ignored and v becomes v-1 (ADE20K)." };
        var batch = new Option<int>("--batch") { Description = "Images per inference (> 1 needs a dynamic batch axis).", DefaultValueFactory = _ => 1 };
        var workers = new Option<int>("--workers") { Description = "Threads decoding and preprocessing ahead of inference (default: cores - 1, at least 1)." };
        var threads = new Option<int>("--threads") { Description = "ONNX Runtime intra-op threads (0 = all cores, ONNX Runtime's choice).", DefaultValueFactory = _ => 0 };
        var interOp = new Option<int>("--inter-op-threads") { Description = "ONNX Runtime inter-op threads (0 = its default).", DefaultValueFactory = _ => 0 };
        var graphOpt = new Option<string>("--graph-optimization") { Description = "disable, basic, extended or all.", DefaultValueFactory = _ => "all" };
        var save = new Option<string?>("--save-predictions") { Description = "Write predictions: det FILE.json (COCO results) or DIR (YOLO txt with confidences); cls FILE.csv (label,score_0..); seg DIR (PNG label maps)." };
        var lenient = new Option<bool>("--lenient") { Description = "Skip and count unreadable images instead of stopping." };
        var maxPixels = new Option<long>("--max-image-pixels") { Description = "Largest image accepted (decompression-bomb guard).", DefaultValueFactory = _ => ImageDecoder.DefaultMaxPixels };
        var cmd = new Command("val", "Run a model over a labelled dataset: its accuracy (COCO mAP, top-1/top-5, mIoU, as dyno eval computes them), " +
                                     "the speed of the same run (preprocess / inference / postprocess ms per image, images/s) and its static cost.")
        {
            model, data, task, images, masks, names, split, imgsz, preprocess, cropFraction, pad, normalize, bgr, decoder, conf, iou, maxDet,
            scores, topK, ignore, reduceZero, batch, workers, threads, interOp, graphOpt, save, lenient, maxPixels,
        };
        common.AddTo(cmd);
        cmd.SetAction(parse => CommandRunner.Run(() =>
        {
            var modelPath = parse.GetValue(model)!.FullName;
            if (!File.Exists(modelPath)) throw new FileNotFoundException($"{modelPath}: model not found");
            var dataPath = Path.GetFullPath(parse.GetValue(data)!);
            if (!File.Exists(dataPath) && !Directory.Exists(dataPath)) throw new FileNotFoundException($"{dataPath}: data not found (--data)");
            var quiet = parse.GetValue(common.Quiet);

            using var onnx = OnnxModel.Load(modelPath);
            var t = ValSetup.ResolveTask(ParseTask(parse.GetValue(task)), dataPath, onnx);
            var pre = ValSetup.Preprocess(onnx, t, BuildRequest(parse, imgsz, preprocess, cropFraction, pad, normalize, bgr));
            var o = BuildOptions(parse, conf, iou, maxDet, decoder, scores, topK, ignore, reduceZero, batch, workers, threads, interOp, graphOpt, lenient, maxPixels);
            var savePath = parse.GetValue(save) is { } sp ? Path.GetFullPath(sp) : null;
            if (savePath is not null && parse.GetValue(common.Out) is { } outFile && Path.GetFullPath(outFile.FullName) == savePath)
                throw new UsageException("--save-predictions and --out name the same file");
            if (savePath is not null && (savePath == modelPath || savePath == dataPath || (parse.GetValue(images) is { } imgDir && savePath == imgDir.FullName.TrimEnd('/'))))
                throw new UsageException($"--save-predictions {savePath}: is also an input (the model, --data or --images); writing it would destroy the input");
            string? segTemp = null;
            if (t == ValTask.Segment && savePath is not null)
            {
                CheckTargetDir(savePath, "--save-predictions");
                segTemp = savePath + ".tmp-" + System.Environment.ProcessId;
                o = o with { SegmentationPredictionsDir = segTemp };
            }
            using var progress = quiet ? null : new ConsoleProgress();
            o = o with { Progress = progress };
            using var cancel = new CancelOnCtrlC();

            var profile = ModelProfiler.Profile(onnx);
            ValRun run;
            try
            {
                run = t switch
                {
                    ValTask.Detect => ValRunner.Detect(modelPath, ValSetup.ReadDetection(dataPath, parse.GetValue(images)?.FullName, parse.GetValue(split)!, onnx), pre, o, cancel.Token),
                    ValTask.Classify => ValRunner.Classify(modelPath, ValDatasets.ReadImageFolder(dataPath, ClassNames.Read(parse.GetValue(names))), pre, o, cancel.Token),
                    _ => ValRunner.Segment(modelPath, ValDatasets.ReadSegmentation(dataPath, parse.GetValue(images)?.FullName, parse.GetValue(masks)?.FullName), pre, o, cancel.Token),
                };
                progress?.Done();
                if (savePath is not null) SavePredictions(run, savePath, segTemp);
            }
            finally
            {
                if (segTemp is not null && Directory.Exists(segTemp)) Directory.Delete(segTemp, recursive: true);
            }
            if (!quiet)
            {
                foreach (var s in run.Skipped.Take(5)) Console.Error.WriteLine($"dyno: warning: skipped {s}");
                if (run.Skipped.Count > 5) Console.Error.WriteLine($"dyno: warning: ... {run.Skipped.Count - 5} more images skipped");
                if (savePath is not null) Console.Error.WriteLine($"dyno: wrote predictions to {savePath}");
            }
            common.Emit(parse, Render(run, modelPath, onnx, profile, savePath));
            return CommandRunner.Ok;
        }));
        return cmd;
    }

    internal static ValTask? ParseTask(string? text) => text switch
    {
        null => null,
        "det" or "detect" => ValTask.Detect,
        "cls" or "classify" => ValTask.Classify,
        "seg" or "segment" => ValTask.Segment,
        _ => throw new UsageException($"--task must be det, cls or seg, got '{text}'"),
    };

    internal static PreprocessRequest BuildRequest(ParseResult parse, Option<string?> imgsz, Option<string?> preprocess, Option<double> cropFraction,
        Option<int> pad, Option<string?> normalize, Option<bool> bgr)
    {
        (int, int)? size = null;
        if (parse.GetValue(imgsz) is { } text)
        {
            var parts = text.Split('x', 'X', ',');
            if (!(parts.Length is 1 or 2 && parts.All(p => int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v is > 0 and <= 16384)))
                throw new UsageException($"--imgsz must be S or WxH with sizes 1..16384, got '{text}'");
            var a = int.Parse(parts[0], CultureInfo.InvariantCulture);
            size = (a, parts.Length == 2 ? int.Parse(parts[1], CultureInfo.InvariantCulture) : a);
        }
        ResizeMode? mode = parse.GetValue(preprocess) switch
        {
            null => null,
            "letterbox" => ResizeMode.Letterbox,
            "resize" => ResizeMode.Stretch,
            "crop" => ResizeMode.CenterCrop,
            var other => throw new UsageException($"--preprocess must be letterbox, resize or crop, got '{other}'"),
        };
        var norm = parse.GetValue(normalize) is { } nt
            ? ValSetup.ParseNormalize(nt) ?? throw new UsageException($"--normalize must be none, imagenet or 'm,m,m/s,s,s' (in 0..1 units, std > 0), got '{nt}'")
            : ((float[], float[])?)null;
        var cf = parse.GetValue(cropFraction);
        if (!(cf > 0 && cf <= 1)) throw new UsageException($"--crop-fraction must be in (0, 1], got {cf}");
        var padValue = parse.GetValue(pad);
        if (padValue is < 0 or > 255) throw new UsageException($"--pad-value must be in 0..255, got {padValue}");
        return new PreprocessRequest { Size = size, Mode = mode, Normalize = norm, PadValue = padValue, CropFraction = cf, Bgr = parse.GetValue(bgr) };
    }

    /// <summary>The detection thresholds (--conf, --iou, --max-det), checked.</summary>
    internal static DetectionDecodeOptions BuildDecode(ParseResult parse, Option<float> conf, Option<float> iou, Option<int> maxDet)
    {
        var c = parse.GetValue(conf);
        if (!(c >= 0 && c < 1)) throw new UsageException($"--conf must be in [0, 1), got {c}");
        var i = parse.GetValue(iou);
        if (!(i > 0 && i <= 1)) throw new UsageException($"--iou must be in (0, 1], got {i}");
        var md = parse.GetValue(maxDet);
        if (md is < 1 or > 100_000) throw new UsageException($"--max-det must be in 1..100000, got {md}");
        return new DetectionDecodeOptions { Confidence = c, Iou = i, MaxDetections = md };
    }

    private static ValOptions BuildOptions(ParseResult parse, Option<float> conf, Option<float> iou, Option<int> maxDet, Option<string> decoder, Option<string> scores,
        Option<int[]> topK, Option<string> ignore, Option<bool> reduceZero, Option<int> batch, Option<int> workers, Option<int> threads, Option<int> interOp,
        Option<string> graphOpt, Option<bool> lenient, Option<long> maxPixels)
    {
        var decode = BuildDecode(parse, conf, iou, maxDet);
        var b = parse.GetValue(batch);
        if (b is < 1 or > 4096) throw new UsageException($"--batch must be in 1..4096, got {b}");
        var wk = parse.GetValue(workers);
        if (wk < 0 || wk > 256) throw new UsageException($"--workers must be in 1..256, got {wk}");
        var th = parse.GetValue(threads);
        var io = parse.GetValue(interOp);
        if (th < 0 || th > 4 * System.Environment.ProcessorCount) throw new UsageException($"--threads must be in 0..{4 * System.Environment.ProcessorCount}, got {th}");
        if (io < 0 || io > 4 * System.Environment.ProcessorCount) throw new UsageException($"--inter-op-threads must be in 0..{4 * System.Environment.ProcessorCount}, got {io}");
        var goText = parse.GetValue(graphOpt)!;
        if (goText is not ("disable" or "basic" or "extended" or "all")) throw new UsageException($"--graph-optimization must be disable, basic, extended or all, got '{goText}'");
        var go = Enum.Parse<Dyno.Runtime.Benchmark.GraphOptimization>(goText, ignoreCase: true);
        var ks = parse.GetValue(topK) ?? [];
        if (ks.Any(k => k < 1)) throw new UsageException("--top-k values must be at least 1");
        var ig = parse.GetValue(ignore)!.Trim();
        int? ignoreIndex = ig.Equals("none", StringComparison.OrdinalIgnoreCase) ? null
            : int.TryParse(ig, NumberStyles.Integer, CultureInfo.InvariantCulture, out var ii) && ii is >= 0 and <= 255 ? ii
            : throw new UsageException($"--ignore-index must be 0..255 or 'none', got '{ig}'");
        var mp = parse.GetValue(maxPixels);
        if (mp < 1) throw new UsageException($"--max-image-pixels must be positive, got {mp}");
        return new ValOptions
        {
            Decode = decode,
            Layout = parse.GetValue(decoder) switch
            {
                "auto" => null, "yolov8" => DetectionLayout.YoloV8, "yolov5" => DetectionLayout.YoloV5, "e2e" => DetectionLayout.EndToEnd, "e2e6" => DetectionLayout.EndToEnd6,
                var other => throw new UsageException($"--decoder must be auto, yolov8, yolov5, e2e or e2e6, got '{other}'"),
            },
            Scores = parse.GetValue(scores) switch
            {
                "auto" => null, "logits" => ScoreKind.Logits, "probabilities" => ScoreKind.Probabilities,
                var other => throw new UsageException($"--scores must be auto, logits or probabilities, got '{other}'"),
            },
            TopK = ks, IgnoreIndex = ignoreIndex, ReduceZeroLabel = parse.GetValue(reduceZero), Batch = b,
            Workers = wk > 0 ? wk : Math.Max(1, System.Environment.ProcessorCount - 1),
            IntraOpThreads = th, InterOpThreads = io, GraphOptimization = go, Lenient = parse.GetValue(lenient), MaxImagePixels = mp,
        };
    }

    private static void CheckTargetDir(string dir, string option)
    {
        if (File.Exists(dir)) throw new UsageException($"{option} {dir}: is a file; give a folder for these predictions");
        if (Directory.Exists(dir) && Directory.EnumerateFileSystemEntries(dir).Any())
            throw new UsageException($"{option} {dir}: the folder exists and is not empty (refusing to mix or overwrite predictions)");
    }

    private static string R(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>Writes the predictions in the standard format of the task, atomically (a file via rename, a folder built aside then renamed).</summary>
    private static void SavePredictions(ValRun run, string path, string? segTemp)
    {
        switch (run.Task)
        {
            case ValTask.Detect when path.EndsWith(".json", StringComparison.OrdinalIgnoreCase):
                AtomicFile.Write(path, stream =>
                {
                    using var w = new StreamWriter(stream, new UTF8Encoding(false), 1 << 16, leaveOpen: true);
                    w.Write('[');
                    var first = true;
                    foreach (var (id, _, _, _, boxes) in run.DetectionPredictions!)
                    foreach (var b in boxes)
                    {
                        if (!first) w.Write(", ");
                        first = false;
                        w.Write($"{{\"image_id\": {id}, \"category_id\": {b.CategoryId}, \"bbox\": [{R(b.X)}, {R(b.Y)}, {R(b.Width)}, {R(b.Height)}], \"score\": {R(b.Score)}}}");
                    }
                    w.Write("]\n");
                });
                break;
            case ValTask.Detect:
            {
                CheckTargetDir(path, "--save-predictions");
                var tmp = path + ".tmp-" + System.Environment.ProcessId;
                Directory.CreateDirectory(tmp);
                try
                {
                    var catIndex = run.GroundTruth!.Categories.Select((c, i) => (c.Id, i)).ToDictionary(x => x.Id, x => x.i);
                    foreach (var (_, imgPath, iw, ih, boxes) in run.DetectionPredictions!)
                    {
                        var sb = new StringBuilder();
                        foreach (var b in boxes)
                            sb.Append(CultureInfo.InvariantCulture, $"{catIndex[b.CategoryId]} {R((b.X + b.Width / 2) / iw)} {R((b.Y + b.Height / 2) / ih)} {R(b.Width / iw)} {R(b.Height / ih)} {R(b.Score)}\n");
                        File.WriteAllText(Path.Combine(tmp, Path.GetFileNameWithoutExtension(imgPath) + ".txt"), sb.ToString());
                    }
                    if (Directory.Exists(path)) Directory.Delete(path);
                    Directory.Move(tmp, path);
                }
                finally
                {
                    if (Directory.Exists(tmp)) Directory.Delete(tmp, recursive: true);
                }
                break;
            }
            case ValTask.Classify:
                AtomicFile.Write(path, stream =>
                {
                    using var w = new StreamWriter(stream, new UTF8Encoding(false), 1 << 16, leaveOpen: true);
                    var c = run.Names.Count;
                    w.Write("label");
                    for (var k = 0; k < c; k++) w.Write($",score_{k}");
                    w.Write('\n');
                    foreach (var (_, label, scores) in run.ClassificationPredictions!)
                    {
                        w.Write(label.ToString(CultureInfo.InvariantCulture));
                        foreach (var s in scores) w.Write("," + s.ToString("R", CultureInfo.InvariantCulture));
                        w.Write('\n');
                    }
                });
                break;
            default:
                if (Directory.Exists(path)) Directory.Delete(path);
                Directory.Move(segTemp!, path);
                break;
        }
    }

    /// <summary>The val document: the evaluator's own keys (as <c>dyno eval det|cls|seg</c>), plus task, speed, model and predictions.</summary>
    internal static CommandOutput Render(ValRun run, string modelPath, OnnxModel onnx, ModelProfile profile, string? predictions)
    {
        CommandOutput eval = run.Task switch
        {
            ValTask.Detect => EvalDetCommand.Render(run.Detection!),
            ValTask.Classify => ClassificationOutput.Build(modelPath,
                new ClassificationFileResult(ClassificationInputKind.Scores, run.Names.Count, run.Names, run.Classification, null),
                new ClassificationOptions { Logits = run.Scores == ScoreKind.Logits, TopK = run.Options.TopK }, ConfusionNormalization.None),
            _ => SegmentationOutput.Build(run.Segmentation!, new SegmentationOptions { IgnoreIndex = run.Options.IgnoreIndex, ReduceZeroLabel = run.Options.ReduceZeroLabel }, run.Names),
        };
        var s = run.Speed;
        var o = run.Options;
        var pre = run.Preprocess;
        var lat = s.BatchLatencyMs;
        var document = new ValDocument
        {
            Task = run.Task switch { ValTask.Detect => "detection", ValTask.Classify => "classification", _ => "segmentation" },
            Model = new ValModel
            {
                Path = modelPath, FileBytes = onnx.FileSize, Params = profile.Totals.Weights, ConstantParams = profile.Totals.ConstantWeights,
                WeightBytes = profile.Totals.WeightBytes, DenseMacs = profile.Totals.DenseMacs, Flops = profile.Totals.Flops,
                PeakActivationBytes = profile.Memory?.PeakActivationBytes, StaticCostAt = "batch 1 as the graph declares it",
            },
            Images = run.Images,
            SkippedImages = run.Skipped.Count,
            Detection = eval.Json as DetectionEvaluationDocument,
            Classification = eval.Json as ClassificationDocument,
            Segmentation = eval.Json as SegmentationDocument,
            Accuracy = run.Accuracy(),
            LatencyMs = new ValLatency
            {
                P50 = lat.P50, P90 = lat.P90, P99 = lat.P99, Mean = lat.Mean, Min = lat.Min, Max = lat.Max, Count = lat.Count,
                Ci = new Dictionary<string, ValInterval> { ["p50"] = new(lat.Ci["p50"].Lower, lat.Ci["p50"].Upper) },
                Meaning = $"model only: one ONNX Runtime run of a batch of {o.Batch} (outputs included), measured during the val run, after one warm-up run",
            },
            Speed = new ValRunSpeed
            {
                PreprocessMs = s.PreprocessMs, InferenceMs = s.InferenceMs, PostprocessMs = s.PostprocessMs, ImagesPerS = s.ImagesPerSecond,
                WallS = s.WallSeconds, SessionLoadS = s.SessionLoadSeconds, PeakRssBytes = s.PeakRssBytes, InputWaitMs = s.InputWaitMs, Batch = o.Batch, Workers = o.Workers,
                IntraOpThreads = o.IntraOpThreads, InterOpThreads = o.InterOpThreads, GraphOptimization = o.GraphOptimization,
                Conventions = "preprocess_ms: decode + preprocess CPU ms per image on the worker threads, overlapped with inference; inference_ms: session run per image (outputs of a fixed shape are written into pooled buffers, others copied out); postprocess_ms: output decoding, NMS, mapping back and metric update per image (overlapped), plus the final metric computation; images_per_s: images / wall time from the first decode to the last metric update (model load and one warm-up run excluded); input_wait_ms: ms per image the inference thread waited for a prepared image (near 0 when inference-bound)",
            },
            Preprocess = new ValPreprocess
            {
                Mode = pre.Mode switch { ResizeMode.Letterbox => "letterbox", ResizeMode.Stretch => "resize", _ => "crop" },
                Width = pre.Width, Height = pre.Height,
                PadValue = pre.Mode == ResizeMode.Letterbox ? pre.PadValue : null,
                CropFraction = pre.Mode == ResizeMode.CenterCrop ? pre.CropFraction : null,
                Mean = pre.Mean.Select(m => (double)m).ToArray(), Std = pre.Std.Select(m => (double)m).ToArray(),
                Channels = pre.Bgr ? "bgr" : "rgb", Layout = pre.Layout == TensorLayout.Nchw ? "nchw" : "nhwc",
                Decoder = "OpenCV (cv2.imread IMREAD_COLOR, cv2.resize INTER_LINEAR)",
            },
            Decode = run.Task != ValTask.Detect ? null : new ValDecode
            {
                Layout = run.Layout switch { DetectionLayout.YoloV8 => "yolov8", DetectionLayout.YoloV5 => "yolov5", DetectionLayout.EndToEnd => "e2e", _ => "e2e6" },
                Conf = o.Decode.Confidence, Iou = o.Decode.Iou, MaxDet = o.Decode.MaxDetections,
                Nms = run.Layout is DetectionLayout.YoloV8 or DetectionLayout.YoloV5 ? "per class, float32 as torchvision.ops.nms, single label per anchor" : "in the graph",
            },
            Scores = run.Task != ValTask.Classify ? null : run.Scores == ScoreKind.Logits ? "logits" : "probabilities",
            Predictions = predictions,
        };
        return CommandOutput.Of(ValPresenter.Instance, document);
    }

    /// <summary>A one-line progress bar on stderr (only when stderr is a terminal) with images/s and ETA.</summary>
    private sealed class ConsoleProgress : IProgress<(int Done, int Total)>, IDisposable
    {
        private readonly System.Diagnostics.Stopwatch _sw = System.Diagnostics.Stopwatch.StartNew();
        private readonly bool _tty = !Console.IsErrorRedirected;
        private long _lastTicks;
        private bool _drawn;

        public void Report((int Done, int Total) p)
        {
            if (!_tty) return;
            var now = _sw.ElapsedTicks;
            if (p.Done < p.Total && now - _lastTicks < System.Diagnostics.Stopwatch.Frequency / 10) return;
            _lastTicks = now;
            var secs = _sw.Elapsed.TotalSeconds;
            var rate = secs > 0 ? p.Done / secs : 0;
            var eta = rate > 0 ? (p.Total - p.Done) / rate : 0;
            const int width = 30;
            var filled = p.Total > 0 ? (int)((long)width * p.Done / p.Total) : 0;
            Console.Error.Write($"\rdyno val [{new string('#', filled)}{new string('.', width - filled)}] {p.Done}/{p.Total} {rate:F1} img/s ETA {eta:F0} s   ");
            _drawn = true;
        }

        public void Done()
        {
            if (_drawn) Console.Error.WriteLine();
            _drawn = false;
        }

        public void Dispose() => Done();
    }

    /// <summary>Ctrl-C cancels the run (nothing partial is written) instead of killing the process.</summary>
    private sealed class CancelOnCtrlC : IDisposable
    {
        private readonly CancellationTokenSource _cts = new();

        public CancelOnCtrlC() => Console.CancelKeyPress += OnCancel;

        public CancellationToken Token => _cts.Token;

        private void OnCancel(object? sender, ConsoleCancelEventArgs e)
        {
            e.Cancel = true;
            _cts.Cancel();
        }

        public void Dispose()
        {
            Console.CancelKeyPress -= OnCancel;
            _cts.Dispose();
        }
    }
}
