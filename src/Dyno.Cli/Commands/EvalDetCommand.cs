using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Dyno.Cli.Infrastructure;
using Dyno.Cli.Inputs;
using Dyno.Metrics.Detection;
using Dyno.Reports;
using Dyno.Reports.Documents;
using Dyno.Reports.Presenters;
using Dyno.Runtime.Val;
using Dyno.Results;

namespace Dyno.Cli.Commands;

/// <summary><c>dyno eval det</c>: COCO detection evaluation (bbox, segm) with pycocotools' exact numbers.</summary>
internal static class EvalDetCommand
{
    public static Command Create()
    {
        var common = new CommonOptions();
        var gtOpt = new Option<FileInfo>("--gt") { Description = "COCO ground-truth JSON (instances_*.json).", Required = true };
        var dtOpt = new Option<FileInfo>("--dt") { Description = "COCO results JSON: a list of {image_id, category_id, bbox|segmentation, score}.", Required = true };
        var iouType = new Option<string>("--iou-type")
        {
            Description = "bbox (boxes), segm (RLE/polygon masks), boundary (Boundary IoU on the masks, as boundary-iou-api) or keypoints (OKS, COCO's 17 person keypoints; maxDets 20, areas all/medium/large).",
            DefaultValueFactory = _ => "bbox",
        };
        iouType.AcceptOnlyFromAmong("bbox", "segm", "boundary", "keypoints");
        var dilation = new Option<double?>("--dilation-ratio") { Description = "--iou-type boundary: boundary width as a fraction of the image diagonal (default 0.02, boundary-iou-api's)." };
        var lenient = new Option<bool>("--lenient") { Description = "Skip detections with an unknown image/category, a NaN score or a negative size, and report the counts, instead of failing." };
        var maxDets = new Option<string?>("--max-dets") { Description = "Comma-separated maxDets (default 1,10,100); the largest is the headline for AP and AR." };
        var iouThrs = new Option<string?>("--iou-thrs") { Description = "IoU thresholds: a comma list (0.5,0.75) or start:stop:step (default 0.5:0.95:0.05, numpy linspace)." };
        var areas = new Option<string?>("--area-ranges") { Description = "Area ranges label=min:max, comma separated (default all=0:1e10,small=0:1024,medium=1024:9216,large=9216:1e10)." };
        var shard = new Option<FileInfo?>("--shard") { Description = "Write the mergeable evaluation state of these images to this file instead of a report (combine with 'dyno eval merge')." };
        var part = new Option<string?>("--part") { Description = "With --shard: evaluate only block i of n of the ground truth's images (ids ascending), written i/n, e.g. 0/4." };
        var scoreThr = new Option<double?>("--score-threshold") { Description = "Also report precision, recall and F1 at this score (and at the F1-optimal score), IoU 0.5, pooled and per category." };
        var voc = new Option<bool>("--voc") { Description = "Also report Pascal VOC AP (11-point and all-point) at IoU 0.5 with voc_eval.py's matching (iscrowd = difficult); bbox only." };
        var inputFormat = new Option<string>("--input-format")
        {
            Description = "coco (JSON files); yolo (--gt: labels folder, --dt: predictions folder of <image>.txt files with 'class cx cy w h [conf]', normalised); voc (--gt: folder of VOC XML annotations, --dt: folder of VOC devkit results '<...>_<class>.txt' with 'image_id score xmin ymin xmax ymax').",
            DefaultValueFactory = _ => "coco",
        };
        inputFormat.AcceptOnlyFromAmong("coco", "yolo", "voc");
        var images = new Option<DirectoryInfo?>("--images") { Description = "yolo: folder of the images (sizes are read from their PNG/JPEG/GIF/BMP headers)." };
        var imageSize = new Option<string?>("--image-size") { Description = "yolo: one size for every image, WIDTHxHEIGHT (instead of --images)." };
        var names = new Option<FileInfo?>("--names") { Description = "yolo: class names: an Ultralytics data.yaml ('names' list or map; its 'val' images give the image sizes when --images is not given) or a text file, one name per line in class-index order." };
        var confusion = new Option<bool>("--confusion") { Description = "Also report a detection confusion matrix with background (score >= 0.25, IoU > 0.45, Ultralytics-style); bbox only." };
        var split = new Option<string?>("--split") { Description = "Open-vocabulary split: BASE.txt,NOVEL.txt (one category name or id per line); adds AP_base, AP_novel and their harmonic mean." };
        var protocol = new Option<string>("--protocol")
        {
            Description = "coco (pycocotools COCOeval); lvis (LVIS v1 federated evaluation as lvis-api: images' neg/not-exhaustive category sets, 300 detections per image, APr/APc/APf; bbox or segm); crowdpose (with --iou-type keypoints: faster-coco-eval's keypoints_crowd, CrowdPose sigmas, OKS on 0.53 x box area, AP_easy/medium/hard by crowdIndex).",
            DefaultValueFactory = _ => "coco",
        };
        protocol.AcceptOnlyFromAmong("coco", "lvis", "crowdpose");
        var kptSigmas = new Option<string?>("--kpt-sigmas") { Description = "Keypoints: per-keypoint OKS sigmas, a preset (coco: COCO's 17, crowdpose: CrowdPose's 14) or a FILE (one sigma per line, or a JSON list)." };
        var useCats = new Option<bool>("--use-cats") { Description = "Match detections only to ground truth of their category (false = class-agnostic).", DefaultValueFactory = _ => true };

        var cmd = new Command("det", "COCO detection evaluation (AP, AR, per category), exactly equal to pycocotools COCOeval.");
        cmd.Options.Add(gtOpt);
        cmd.Options.Add(dtOpt);
        cmd.Options.Add(iouType);
        cmd.Options.Add(protocol);
        cmd.Options.Add(kptSigmas);
        cmd.Options.Add(dilation);
        cmd.Options.Add(lenient);
        cmd.Options.Add(maxDets);
        cmd.Options.Add(iouThrs);
        cmd.Options.Add(areas);
        cmd.Options.Add(useCats);
        cmd.Options.Add(split);
        cmd.Options.Add(voc);
        cmd.Options.Add(confusion);
        cmd.Options.Add(inputFormat);
        cmd.Options.Add(images);
        cmd.Options.Add(imageSize);
        cmd.Options.Add(names);
        cmd.Options.Add(scoreThr);
        cmd.Options.Add(shard);
        cmd.Options.Add(part);
        common.AddTo(cmd);
        cmd.SetAction(parse => CommandRunner.Run(() =>
        {
            var sw = Stopwatch.StartNew();
            var type = parse.GetValue(iouType) switch { "segm" or "boundary" => CocoIouType.Segm, "keypoints" => CocoIouType.Keypoints, _ => CocoIouType.Bbox };
            var options = (type == CocoIouType.Keypoints ? CocoEvalOptions.CocoKeypoints : new CocoEvalOptions { IouType = type }) with { UseCats = parse.GetValue(useCats) };
            var boundary = parse.GetValue(iouType) == "boundary";
            if (parse.GetValue(dilation) is { } dr)
            {
                if (!boundary) throw new UsageException("--dilation-ratio needs --iou-type boundary");
                if (!(dr >= 0 && double.IsFinite(dr))) throw new UsageException($"--dilation-ratio {dr.ToString(CultureInfo.InvariantCulture)} must be a finite number >= 0");
            }
            if (boundary)
            {
                options = options with { BoundaryDilationRatio = parse.GetValue(dilation) ?? 0.02 };
                if (parse.GetValue(shard) is not null) throw new UsageException("--iou-type boundary cannot be combined with --shard (a shard records the mask IoU protocol only)");
                if (parse.GetValue(protocol) != "coco") throw new UsageException("--iou-type boundary is evaluated with the COCO protocol only");
            }
            if (parse.GetValue(maxDets) is { } md) options = options with { MaxDets = ParseInts(md, "--max-dets") };
            if (parse.GetValue(iouThrs) is { } it) options = options with { IouThresholds = ParseThresholds(it) };
            if (parse.GetValue(areas) is { } ar) options = options with { AreaRanges = ParseAreas(ar) };
            if (parse.GetValue(scoreThr) is { } st)
            {
                if (!double.IsFinite(st)) throw new UsageException("--score-threshold must be a finite number");
                options = options with { ScoreThreshold = st };
            }
            var lvis = parse.GetValue(protocol) == "lvis";
            var crowdPose = parse.GetValue(protocol) == "crowdpose";
            IReadOnlyList<double>? sigmas = parse.GetValue(kptSigmas) is { } sg ? ReadSigmas(sg) : null;
            if (sigmas is not null && type != CocoIouType.Keypoints) throw new UsageException("--kpt-sigmas needs --iou-type keypoints");
            if (crowdPose)
            {
                if (type != CocoIouType.Keypoints) throw new UsageException("--protocol crowdpose needs --iou-type keypoints");
                if (parse.GetValue(maxDets) is not null || parse.GetValue(iouThrs) is not null || parse.GetValue(areas) is not null || parse.GetValue(shard) is not null || parse.GetValue(split) is not null || parse.GetValue(scoreThr) is not null || !parse.GetValue(useCats))
                    throw new UsageException("--protocol crowdpose has fixed parameters (faster-coco-eval's keypoints_crowd): --max-dets, --iou-thrs, --area-ranges, --use-cats false, --shard, --split and --score-threshold cannot be combined with it");
            }
            if (sigmas is not null)
            {
                if (parse.GetValue(shard) is not null) throw new UsageException("--kpt-sigmas cannot be combined with --shard (a shard records COCO's keypoint parameters only)");
                options = options with { KeypointSigmas = sigmas };
            }
            if (lvis)
            {
                // LVIS's parameters are fixed by lvis-api; options that would change them or need another engine are refused
                if (type == CocoIouType.Keypoints) throw new UsageException("--protocol lvis evaluates bbox or segm (LVIS has no keypoints)");
                (string Flag, bool Given)[] refused =
                [
                    ("--max-dets", parse.GetValue(maxDets) is not null), ("--iou-thrs", parse.GetValue(iouThrs) is not null),
                    ("--area-ranges", parse.GetValue(areas) is not null), ("--use-cats false", !parse.GetValue(useCats)),
                    ("--shard", parse.GetValue(shard) is not null), ("--score-threshold", parse.GetValue(scoreThr) is not null),
                    ("--split", parse.GetValue(split) is not null), ("--voc", parse.GetValue(voc)), ("--confusion", parse.GetValue(confusion)),
                    ("--input-format " + parse.GetValue(inputFormat), parse.GetValue(inputFormat) != "coco"),
                ];
                foreach (var (flag, given) in refused)
                    if (given) throw new UsageException($"{flag} cannot be combined with --protocol lvis (lvis-api's parameters are fixed: IoU 0.50:0.95, areas all/small/medium/large, 300 detections per image)");
            }
            var gtPath = parse.GetValue(gtOpt)!.FullName;
            var dtPath = parse.GetValue(dtOpt)!.FullName;
            var policy = parse.GetValue(lenient) ? BadRecordPolicy.Skip : BadRecordPolicy.Error;

            var (gt, dt) = parse.GetValue(inputFormat) == "voc"
                ? (type == CocoIouType.Bbox ? VocXmlFormat.Load(gtPath, dtPath, policy) : throw new UsageException("--input-format voc supports --iou-type bbox only"))
                : parse.GetValue(inputFormat) == "yolo"
                ? LoadYolo(gtPath, dtPath, type, parse.GetValue(images), parse.GetValue(imageSize), parse.GetValue(names), policy)
                : CocoDetections.LoadPair(gtPath, dtPath, type, policy);
            // The parsed chunks of the results file are garbage now, but they lived through the parse and sit in
            // gen2, where the evaluation's allocations would join them: a full collection here lowers the peak
            // (val2017-like:segm 387 -> 362-366 MB, CPU and wall the same within noise; docs/detection.md).
            GC.Collect();
            var loaded = sw.Elapsed.TotalMilliseconds;
            var quiet = parse.GetValue(common.Quiet);
            if (!quiet)
                foreach (var (reason, n) in dt.Skipped) Console.Error.WriteLine($"dyno: skipped {n} detection(s): {reason}");
            if (parse.GetValue(shard) is { } shardFile)
            {
                var (i, n) = ParsePart(parse.GetValue(part));
                var state = CocoEvalShard.Evaluate(gt, dt, options, i, n);
                AtomicFile.Write(shardFile.FullName, state.Save);
                if (!quiet) Console.Error.WriteLine($"dyno: wrote shard {shardFile.FullName} (part {i}/{n}: {state.Counts.Images:N0} images, {state.Counts.Detections:N0} detections)");
                return CommandRunner.Ok;
            }
            if (parse.GetValue(part) is not null) throw new UsageException("--part only makes sense with --shard");
            var result = lvis ? LvisEvaluator.Evaluate(gt, dt, type)
                : crowdPose ? CrowdPoseEvaluator.Evaluate(gt, dt, sigmas)
                : CocoEvaluator.Evaluate(gt, dt, options);
            if (!quiet)
                Console.Error.WriteLine($"dyno: {dt.Count:N0} detections, {gt.Count:N0} ground truth, {gt.Images.Count:N0} images: loaded in {loaded:F0} ms, evaluated in {sw.Elapsed.TotalMilliseconds - loaded:F0} ms");
            CocoSplitResult? splitResult = null;
            if (parse.GetValue(split) is { } splitText)
            {
                var files = splitText.Split(',', StringSplitOptions.TrimEntries);
                if (files.Length != 2) throw new UsageException($"--split: '{splitText}' is not BASE.txt,NOVEL.txt");
                splitResult = CocoEvaluator.Split(result, ReadCategoryList(files[0], gt), ReadCategoryList(files[1], gt));
            }
            VocResult? vocResult = null;
            if (parse.GetValue(voc))
            {
                if (type != CocoIouType.Bbox) throw new UsageException("--voc needs --iou-type bbox");
                vocResult = VocEvaluator.Evaluate(gt, dt);
            }
            DetectionConfusionMatrix? matrix = null;
            if (parse.GetValue(confusion))
            {
                if (type != CocoIouType.Bbox) throw new UsageException("--confusion needs --iou-type bbox");
                matrix = DetectionConfusionMatrix.Compute(gt, dt);
            }
            common.Emit(parse, Render(result, splitResult, vocResult, matrix));
            return CommandRunner.Ok;
        }));
        return cmd;
    }

    private static (CocoGroundTruth, CocoDetections) LoadYolo(string labels, string predictions, CocoIouType type, DirectoryInfo? images, string? size, FileInfo? names, BadRecordPolicy policy)
    {
        if (type != CocoIouType.Bbox) throw new UsageException("--input-format yolo supports --iou-type bbox only");
        Func<string, (int, int)> sizeOf;
        IEnumerable<string>? stems = null;
        if (size is not null)
        {
            var x = size.IndexOf('x', StringComparison.OrdinalIgnoreCase);
            if (x <= 0 || !int.TryParse(size[..x], CultureInfo.InvariantCulture, out var w) || !int.TryParse(size[(x + 1)..], CultureInfo.InvariantCulture, out var h) || w <= 0 || h <= 0)
                throw new UsageException($"--image-size: '{size}' is not WIDTHxHEIGHT");
            sizeOf = _ => (w, h);
        }
        else if (images is not null)
        {
            if (!images.Exists) throw new DirectoryNotFoundException($"{images.FullName}: images folder not found");
            string[] exts = [".jpg", ".jpeg", ".png", ".bmp", ".gif"];
            var byStem = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var f in images.EnumerateFiles())
                if (exts.Contains(f.Extension.ToLowerInvariant())) byStem.TryAdd(Path.GetFileNameWithoutExtension(f.Name), f.FullName);
            stems = byStem.Keys;
            sizeOf = stem =>
            {
                if (!byStem.TryGetValue(stem, out var path)) throw new FileNotFoundException($"{images.FullName}: no image for labels '{stem}.txt'");
                var wh = YoloFormat.ReadImageSize(path) ?? throw new InvalidDataException($"{path}: cannot read the image size (PNG, JPEG, GIF or BMP expected)");
                return (wh.Width, wh.Height);
            };
        }
        else if (names is { Exists: true } && ClassNames.IsDataYaml(names.FullName)
                 && ValDatasets.ReadDataYaml(names.FullName) is { } data && data.Splits.GetValueOrDefault("val") is [var valEntry]
                 && Directory.Exists(data.Resolve(valEntry)))
            return LoadYolo(labels, predictions, type, new DirectoryInfo(data.Resolve(valEntry)), null, names, policy);
        else throw new UsageException("--input-format yolo needs --images DIR, --image-size WxH or --names data.yaml with a 'val' images folder (normalised boxes need the image size)");
        var classNames = ClassNames.Read(names)?.ToArray();
        return YoloFormat.Load(labels, predictions, sizeOf, classNames, policy, stems);
    }

    /// <summary>Category ids from a text file: one name or id per line; blank lines and '#' comments skipped.</summary>
    private static HashSet<long> ReadCategoryList(string path, CocoGroundTruth gt)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: file not found", path);
        var ids = new HashSet<long>();
        var lineNo = 0;
        foreach (var raw in File.ReadLines(path))
        {
            lineNo++;
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var byName = gt.Categories.Where(c => c.Name == line).ToArray();
            if (byName.Length == 1) ids.Add(byName[0].Id);
            else if (long.TryParse(line, NumberStyles.Integer, CultureInfo.InvariantCulture, out var id) && gt.Categories.Any(c => c.Id == id)) ids.Add(id);
            else throw new InvalidDataException($"{path}: line {lineNo}: '{line}' is not a category name or id of the ground truth");
        }
        return ids;
    }

    /// <summary>OKS sigmas: a preset name or a file with one sigma per line ('#' comments allowed) or a JSON list.</summary>
    internal static IReadOnlyList<double> ReadSigmas(string spec)
    {
        if (spec == "coco") return CocoEvalOptions.CocoKeypointSigmas;
        if (spec == "crowdpose") return CocoEvalOptions.CrowdPoseKeypointSigmas;
        if (!File.Exists(spec)) throw new UsageException($"--kpt-sigmas: '{spec}' is neither a preset (coco, crowdpose) nor an existing file");
        var whole = File.ReadAllText(spec);
        var text = whole.Trim();
        var values = new List<double>();
        if (text.StartsWith('['))
        {
            try
            {
                using var doc = System.Text.Json.JsonDocument.Parse(text);
                var i = 0;
                foreach (var e in doc.RootElement.EnumerateArray())
                {
                    if (e.ValueKind != System.Text.Json.JsonValueKind.Number || !(e.GetDouble() is var v && v > 0 && double.IsFinite(v)))
                        throw new InvalidDataException($"{spec}: [{i}]: {e.GetRawText()} is not a positive number (a sigma)");
                    values.Add(e.GetDouble());
                    i++;
                }
            }
            catch (System.Text.Json.JsonException e)
            {
                throw new InvalidDataException($"{spec}: malformed JSON list of sigmas: {e.Message}");
            }
        }
        else
        {
            var lineNo = 0;
            foreach (var raw in whole.Split('\n'))
            {
                lineNo++;
                var line = raw.Trim();
                if (line.Length == 0 || line.StartsWith('#')) continue;
                if (!double.TryParse(line, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || !(v > 0 && double.IsFinite(v)))
                    throw new InvalidDataException($"{spec}: line {lineNo}: '{line}' is not a positive number (a sigma)");
                values.Add(v);
            }
        }
        if (values.Count == 0) throw new InvalidDataException($"{spec}: no sigmas (one per keypoint, one per line or a JSON list)");
        return values;
    }

    private static (int Part, int Parts) ParsePart(string? text)
    {
        if (text is null) return (0, 1);
        var slash = text.IndexOf('/');
        if (slash > 0 && int.TryParse(text[..slash], CultureInfo.InvariantCulture, out var i) && int.TryParse(text[(slash + 1)..], CultureInfo.InvariantCulture, out var n) && n >= 1 && i >= 0 && i < n)
            return (i, n);
        throw new UsageException($"--part: '{text}' is not i/n with 0 <= i < n");
    }

    /// <summary>The output of a COCO result: its document, as <see cref="EvalDetPresenter"/> presents it.</summary>
    internal static CommandOutput Render(CocoEvalResult r, CocoSplitResult? split = null, VocResult? voc = null, DetectionConfusionMatrix? confusion = null) =>
        CommandOutput.Of(EvalDetPresenter.Instance, new DetectionEvaluationDocument
        {
            Stats = r.Stats, PerCategory = r.PerCategory, ApPerIouThreshold = r.ApPerIouThreshold, OperatingPoints = r.OperatingPoints,
            PrCurves = PrCurves.Of(r), Split = split, Voc = voc, ConfusionMatrix = confusion, Protocol = r.Protocol, Counts = r.Counts,
        });

    private static string Num(double v) => v < 0 ? "-1" : Fmt.Num(v, 3);

    private static int[] ParseInts(string text, string option)
    {
        try
        {
            var values = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
            if (values.Length == 0 || values.Any(v => v < 1)) throw new FormatException();
            return values;
        }
        catch (Exception e) when (e is FormatException or OverflowException)
        {
            throw new UsageException($"{option}: '{text}' is not a comma-separated list of integers from 1 to {int.MaxValue}");
        }
    }

    private static double ParseDouble(string s, string option) =>
        double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : throw new UsageException($"{option}: '{s}' is not a number");

    private static double[] ParseThresholds(string text)
    {
        var parts = text.Split(':', StringSplitOptions.TrimEntries);
        if (parts.Length == 3)
        {
            double start = ParseDouble(parts[0], "--iou-thrs"), stop = ParseDouble(parts[1], "--iou-thrs"), step = ParseDouble(parts[2], "--iou-thrs");
            if (!(step > 0) || stop < start) throw new UsageException($"--iou-thrs: '{text}' is not start:stop:step with step > 0");
            // as pycocotools: np.linspace(start, stop, int(np.round((stop - start) / step)) + 1)
            var count = Math.Round((stop - start) / step, MidpointRounding.ToEven) + 1;
            if (!(count <= MaxIouThresholds))
                throw new UsageException($"--iou-thrs: '{text}' gives {count:G3} thresholds; at most {MaxIouThresholds} (each adds a full pass of matching)");
            return CheckThresholds(text, CocoEvalOptions.Linspace(start, stop, (int)count));
        }
        var list = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(s => ParseDouble(s, "--iou-thrs")).ToArray();
        if (list.Length > MaxIouThresholds) throw new UsageException($"--iou-thrs: {list.Length} thresholds; at most {MaxIouThresholds}");
        return CheckThresholds(text, list);
    }

    /// <summary>Most IoU thresholds accepted (COCO uses 10).</summary>
    public const int MaxIouThresholds = 1000;

    private static double[] CheckThresholds(string text, double[] t) =>
        t.Length > 0 && t.All(x => x is >= 0 and <= 1) ? t : throw new UsageException($"--iou-thrs: '{text}': thresholds must be IoUs from 0 to 1");

    private static AreaRange[] ParseAreas(string text)
    {
        var list = new List<AreaRange>();
        var labels = new HashSet<string>(StringComparer.Ordinal);
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = part.IndexOf('=');
            var colon = part.IndexOf(':', Math.Max(eq, 0));
            if (eq <= 0 || colon < 0) throw new UsageException($"--area-ranges: '{part}' is not label=min:max");
            var (label, min, max) = (part[..eq], ParseDouble(part[(eq + 1)..colon], "--area-ranges"), ParseDouble(part[(colon + 1)..], "--area-ranges"));
            if (!labels.Add(label)) throw new UsageException($"--area-ranges: the label '{label}' appears twice (results are keyed by label)");
            if (!(min >= 0 && max >= min)) throw new UsageException($"--area-ranges: '{part}' needs 0 <= min <= max");
            list.Add(new AreaRange(label, min, max));
        }
        return list.ToArray();
    }
}
