using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Dyno.Cli.Infrastructure;
using Dyno.Cli.Inputs;
using Dyno.Metrics.Segmentation;
using Dyno.Reports;
using Dyno.Reports.Documents;
using Dyno.Reports.Presenters;
using Dyno.Results;

namespace Dyno.Cli.Commands;

/// <summary><c>dyno eval seg</c>: semantic-segmentation metrics over folders of PNG label maps.</summary>
internal static class EvalSegCommand
{
    public static Command Create()
    {
        var common = new CommonOptions();
        var pred = new Option<DirectoryInfo>("--pred") { Description = "Folder of predicted label maps (PNG, 8/16-bit grayscale or 8-bit palette).", Required = true };
        var gt = new Option<DirectoryInfo>("--gt") { Description = "Folder of ground-truth label maps, matched to predictions by relative path.", Required = true };
        var numClasses = new Option<int>("--num-classes") { Description = "Number of classes (labels 0..N-1).", Required = true };
        var ignore = new Option<string>("--ignore-index")
        {
            Description = "Ground-truth value to leave out (after --reduce-zero-label), or 'none'.",
            DefaultValueFactory = _ => "255",
        };
        var reduceZero = new Option<bool>("--reduce-zero-label") { Description = "Ground truth 0 is ignored and v becomes class v-1 (ADE20K); predictions are not shifted." };
        var perImage = new Option<bool>("--per-image") { Description = "Also report each image's figures and their mean over images (torchmetrics-style)." };
        var classes = new Option<FileInfo?>("--classes") { Description = "Class names: one per line, or an Ultralytics data.yaml ('names' list or map)." };
        var gtSuffix = new Option<string>("--gt-suffix") { Description = "Suffix stripped from ground-truth file names for matching.", DefaultValueFactory = _ => ".png" };
        var maxPixels = new Option<long>("--max-image-pixels")
        {
            Description = "Largest label map accepted, in pixels (Pillow's decompression-bomb limit by default).",
            DefaultValueFactory = _ => PngLabelReader.DefaultMaxPixels,
        };
        var predSuffix = new Option<string>("--pred-suffix") { Description = "Suffix stripped from prediction file names for matching.", DefaultValueFactory = _ => ".png" };
        var cmd = new Command("seg", "Segmentation metrics: per-class IoU, mIoU, Dice, pixel accuracy, mean class accuracy, frequency-weighted IoU " +
                                     "(dataset-level accumulation as mmsegmentation; optional per-image mean).")
        {
            pred, gt, numClasses, ignore, reduceZero, perImage, classes, gtSuffix, predSuffix, maxPixels,
        };
        common.AddTo(cmd);
        cmd.SetAction(parse => CommandRunner.Run(() =>
        {
            var n = parse.GetValue(numClasses);
            if (n is < 1 or > 65535) throw new UsageException($"--num-classes must be in 1..65535, got {n}");
            var ignoreText = parse.GetValue(ignore)!.Trim();
            int? ignoreIndex = ignoreText.Equals("none", StringComparison.OrdinalIgnoreCase) ? null
                : int.TryParse(ignoreText, NumberStyles.Integer, CultureInfo.InvariantCulture, out var ii) && ii >= 0 ? ii
                : throw new UsageException($"--ignore-index must be a non-negative integer or 'none', got '{ignoreText}'");
            var names = ClassNames.Read(parse.GetValue(classes));
            if (names is not null && names.Count != n) throw new UsageException($"--classes lists {names.Count} names but --num-classes is {n}");
            var options = new SegmentationOptions { IgnoreIndex = ignoreIndex, ReduceZeroLabel = parse.GetValue(reduceZero), PerImage = parse.GetValue(perImage) };
            var quiet = parse.GetValue(common.Quiet);
            var sw = Stopwatch.StartNew();
            var (pairs, extra) = SegmentationFolders.Match(parse.GetValue(gt)!.FullName, parse.GetValue(pred)!.FullName,
                parse.GetValue(gtSuffix)!, parse.GetValue(predSuffix)!);
            if (extra > 0 && !quiet) Console.Error.WriteLine($"dyno: warning: {extra} prediction file(s) have no ground truth and are not evaluated");
            var limit = parse.GetValue(maxPixels);
            if (limit < 1) throw new UsageException($"--max-image-pixels {limit}: must be at least 1");
            var report = SegmentationFolders.Evaluate(pairs, n, options, maxPixels: limit);
            if (!quiet) Console.Error.WriteLine($"dyno: evaluated {report.Images} image pairs ({Fmt.Si(report.Pixels)}pixels) in {sw.Elapsed.TotalSeconds:F2} s");
            common.Emit(parse, SegmentationOutput.Build(report, options, names));
            return CommandRunner.Ok;
        }));
        return cmd;
    }
}

/// <summary>Turns a segmentation report into the <c>dyno eval seg</c> JSON contract and tables.</summary>
internal static class SegmentationOutput
{
    /// <summary>The JSON document and tables.</summary>
    public static CommandOutput Build(SegmentationReport r, SegmentationOptions o, IReadOnlyList<string>? names)
    {
        string Name(int c) => names?[c] ?? c.ToString(CultureInfo.InvariantCulture);
        static Dictionary<string, double> Metrics(SegmentationScores s) => new()
        {
            ["miou"] = s.MIoU, ["dice"] = s.Dice, ["pixel_accuracy"] = s.PixelAccuracy, ["mean_accuracy"] = s.MeanAccuracy, ["fwiou"] = s.FwIoU,
        };
        var conventions = new List<string>
        {
            "dataset-level: pixel counts summed over all images, then divided (mmsegmentation)",
            "a class absent from both ground truth and prediction has IoU/Dice NaN (null) and is left out of the means; a class predicted but absent from the ground truth has IoU 0 and counts",
            $"ignore index: {(o.IgnoreIndex?.ToString(CultureInfo.InvariantCulture) ?? "none")}{(o.ReduceZeroLabel ? "; reduce-zero-label: ground truth 0 ignored, v -> v-1" : "")}",
        };
        var json = new SegmentationDocument
        {
            Images = r.Images,
            NumClasses = r.NumClasses,
            Pixels = r.Pixels,
            IgnoredPixels = r.IgnoredPixels,
            IgnoreIndex = o.IgnoreIndex,
            ReduceZeroLabel = o.ReduceZeroLabel,
            Metrics = Metrics(r.Dataset),
            PerImageMean = r.PerImageMean is { } pim ? Metrics(pim) : null,
            PerClass = r.PerClass.Select(c => new SegmentationPerClass(c.Class, Name(c.Class), c.Iou, c.Dice, c.Accuracy, c.GtPixels, c.PredPixels, c.Intersection, c.Union)).ToArray(),
            PerImage = r.PerImage?.Select(i => new SegmentationPerImage(i.Name, i.Pixels, i.Scores.MIoU, i.Scores.Dice, i.Scores.PixelAccuracy, i.Scores.MeanAccuracy, i.Scores.FwIoU)).ToArray(),
            ConfusionMatrix = new SegmentationConfusion("rows are ground-truth classes, columns predicted classes; pixels",
                r.Confusion.ToRows().Select(row => row.Select(v => (long)v).ToArray()).ToArray()),
            Conventions = conventions,
        };

        return CommandOutput.Of(EvalSegPresenter.Instance, json);
    }
}
