using System.CommandLine;
using System.Globalization;
using Dyno.Cli.Infrastructure;
using Dyno.Metrics.Assignment;
using Dyno.Reports;
using Dyno.Results;

namespace Dyno.Cli.Commands;

/// <summary><c>dyno anchors</c>: how well an anchor configuration covers a dataset's boxes, and anchors fitted to it.</summary>
internal static class AnchorsCommand
{
    public static Command Create()
    {
        var common = new CommonOptions();
        var gt = new Option<string>("--gt") { Description = "COCO ground-truth JSON file, or YOLO dataset directory (images/ + labels/).", Required = true };
        var strides = new Option<string>("--strides") { Description = "Feature-level strides, comma-separated.", DefaultValueFactory = _ => "8,16,32" };
        var sizes = new Option<string?>("--sizes") { Description = "Anchor size (√area, px) per stride, comma-separated (default 4 × stride)." };
        var ratios = new Option<string>("--ratios") { Description = "Aspect ratios height/width, comma-separated.", DefaultValueFactory = _ => "0.5,1,2" };
        var scales = new Option<string>("--scales") { Description = "Size multipliers at every level, e.g. 1,1.26,1.59 (RetinaNet's octave scales).", DefaultValueFactory = _ => "1" };
        var posIou = new Option<double>("--pos-iou") { Description = "IoU at or above which an anchor is positive.", DefaultValueFactory = _ => 0.7 };
        var negIou = new Option<double>("--neg-iou") { Description = "IoU below which an anchor is negative (between: ignored).", DefaultValueFactory = _ => 0.3 };
        var noBest = new Option<bool>("--no-best-anchor") { Description = "Do not make each ground truth's best anchor positive." };
        var imgSize = new Option<int?>("--img-size") { Description = "Resize images so the longer side is this many pixels (default: native size)." };
        var fitK = new Option<int>("--fit") { Description = "Fit K anchors with k-means on 1 − IoU and print them as a configuration.", DefaultValueFactory = _ => 0 };
        var evolve = new Option<int>("--evolve") { Description = "Genetic refinement generations after k-means (YOLOv5 autoanchor uses 1000).", DefaultValueFactory = _ => 0 };
        var seed = new Option<int>("--seed") { Description = "Random seed of the fit.", DefaultValueFactory = _ => 0 };

        var cmd = new Command("anchors", "Anchor coverage of a detection dataset: best possible recall, positives per box, "
            + "positive/negative/ignored balance; and anchors fitted by k-means on 1 − IoU.");
        foreach (Option o in new Option[] { gt, strides, sizes, ratios, scales, posIou, negIou, noBest, imgSize, fitK, evolve, seed }) cmd.Options.Add(o);
        common.AddTo(cmd);
        cmd.SetAction(parse => CommandRunner.Run(() =>
        {
            var st = Ints(parse.GetValue(strides)!, "--strides");
            var sz = parse.GetValue(sizes) is { } s ? Doubles(s, "--sizes") : st.Select(x => 4.0 * x).ToArray();
            if (parse.GetValue(fitK) < 0) throw new UsageException("--fit must be ≥ 0");
            var options = new AnchorAnalysisOptions(
                AnchorGenerator.Create(st, sz, Doubles(parse.GetValue(ratios)!, "--ratios"), Doubles(parse.GetValue(scales)!, "--scales")),
                new IouAssigner(parse.GetValue(posIou), parse.GetValue(negIou), !parse.GetValue(noBest)),
                parse.GetValue(imgSize), parse.GetValue(fitK), parse.GetValue(evolve), parse.GetValue(seed));
            var report = AnchorAnalysis.Analyze(parse.GetValue(gt)!, options);
            common.Emit(parse, Render(report));
            return CommandRunner.Ok;
        }));
        return cmd;
    }

    private static CommandOutput Render(AnchorReport r)
    {
        var right = ColumnAlign.Right;
        var summary = new ResultTable($"Anchor assignment ({r.Images} images, {r.GtBoxes} boxes)",
            [new ResultColumn("metric"), new ResultColumn("value", right)],
            [
                ["best possible recall (≥1 positive)", Fmt.Pct(r.Bpr, 2)],
                [$"recall at IoU ≥ {Fmt.Num(r.PosIou, 2)} (no best-anchor rule)", Fmt.Pct(r.BprIouOnly, 2)],
                ["mean best anchor IoU", Fmt.Num(r.MeanBestIou, 4)],
                ["positives per box: mean / median", $"{Fmt.Num(r.PositivesPerGt.Mean, 2)} / {Fmt.Num(r.PositivesPerGt.Median, 1)}"],
                ["positives per box: min / max", $"{r.PositivesPerGt.Min} / {r.PositivesPerGt.Max}"],
                ["boxes with no positive", Fmt.Int(r.PositivesPerGt.Zero)],
                ["anchors per image", Fmt.Num(r.AnchorsPerImage, 0)],
                ["positive / negative / ignored", $"{Fmt.Int(r.AssignmentCounts.Positive)} / {Fmt.Int(r.AssignmentCounts.Negative)} / {Fmt.Int(r.AssignmentCounts.Ignored)}"],
                ["negatives per positive", Fmt.Num(r.AssignmentCounts.NegativesPerPositive, 1)],
            ]);
        var levels = new ResultTable("Anchor configuration",
            [new ResultColumn("stride", right), new ResultColumn("sizes"), new ResultColumn("ratios (h/w)"), new ResultColumn("shapes w×h")],
            r.Anchors.Select(l => (IReadOnlyList<string>)[l.Stride.ToString(CultureInfo.InvariantCulture), Join(l.Sizes), Join(l.AspectRatios),
                string.Join(" ", l.Shapes.Select(s => $"{G(s[0])}×{G(s[1])}"))]).ToList());
        var tables = new List<ResultTable> { summary, levels };
        var notes = new List<string>
        {
            $"IoU assigner: positive ≥ {G(r.PosIou)}, negative < {G(r.NegIou)}, best anchor per box positive: {(r.BestAnchorPositive ? "yes" : "no")}; "
            + $"{r.SkippedCrowd} crowd and {r.SkippedDegenerate} zero-size boxes left out.",
        };
        if (r.Fit is { } f)
        {
            tables.Add(new ResultTable($"Fitted anchors (k = {f.K}, k-means on 1 − IoU{(f.Generations > 0 ? $" + {f.Generations} genetic generations" : "")})",
                [new ResultColumn(""), new ResultColumn("configured", right), new ResultColumn("fitted", right)],
                [
                    ["mean best IoU (shape only)", Fmt.Num(f.ConfiguredMeanBestIou, 4), Fmt.Num(f.MeanBestIou, 4)],
                    [$"boxes with a shape IoU ≥ {G(r.PosIou)}", Fmt.Pct(f.ConfiguredRecall, 2), Fmt.Pct(f.Recall, 2)],
                ]));
            notes.Add("Fitted anchors (w×h): " + string.Join(" ", f.Anchors.Select(a => $"{G(a[0])}×{G(a[1])}")));
            notes.Add("Ready-to-paste (YOLOv5 model YAML):");
            notes.AddRange(f.Yaml.TrimEnd().Split('\n'));
        }
        return new CommandOutput(ResultKinds.Anchors, r, tables, notes);
    }

    private static string G(double v) => v.ToString("0.##", CultureInfo.InvariantCulture);
    private static string Join(double[] v) => string.Join(",", v.Select(G));

    private static int[] Ints(string s, string option) => Doubles(s, option).Select(v =>
        v == Math.Floor(v) && v is > 0 and < int.MaxValue ? (int)v : throw new UsageException($"{option}: '{G(v)}' is not a positive integer")).ToArray();

    private static double[] Doubles(string s, string option)
    {
        var parts = s.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0) throw new UsageException($"{option}: expected a comma-separated list of numbers, got '{s}'");
        return parts.Select(p => double.TryParse(p, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v) && v > 0
            ? v : throw new UsageException($"{option}: '{p}' is not a positive number")).ToArray();
    }
}
