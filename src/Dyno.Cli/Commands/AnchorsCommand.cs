using System.CommandLine;
using System.Globalization;
using Dyno.Cli.Infrastructure;
using Dyno.Metrics.Assignment;
using Dyno.Reports.Presenters;

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
            common.Emit(parse, CommandOutput.Of(AnchorsPresenter.Instance, report));
            return CommandRunner.Ok;
        }));
        return cmd;
    }

    private static string G(double v) => v.ToString("0.##", CultureInfo.InvariantCulture);

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
