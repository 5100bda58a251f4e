using System.Globalization;
using System.Text;
using Dyno.Metrics.Boxes;

namespace Dyno.Metrics.Assignment;

/// <summary>What <see cref="AnchorAnalysis"/> evaluates: the anchor configuration, the assigner, the optional fit.</summary>
/// <param name="Generator">The anchor configuration.</param>
/// <param name="Assigner">IoU-threshold assigner (RPN defaults 0.7 / 0.3).</param>
/// <param name="ImageSize">Resize each image so its longer side is this many pixels (YOLO-style letterbox
/// scaling, boxes scaled alike); null keeps the native size.</param>
/// <param name="FitK">Fit this many anchors with k-means on 1 − IoU; 0 = no fit.</param>
/// <param name="FitGenerations">Genetic refinement generations after k-means (YOLOv5 uses 1000).</param>
/// <param name="Seed">Seed of the fit.</param>
public sealed record AnchorAnalysisOptions(AnchorGenerator Generator, IouAssigner Assigner, int? ImageSize = null,
    int FitK = 0, int FitGenerations = 0, int Seed = 0);

/// <summary>One level of the evaluated anchor configuration.</summary>
/// <param name="Stride">Level stride (pixels).</param>
/// <param name="Sizes">Anchor sizes (√area).</param>
/// <param name="AspectRatios">Height/width ratios.</param>
/// <param name="Shapes">The rounded (width, height) of each anchor at a location.</param>
public sealed record AnchorLevelReport(int Stride, double[] Sizes, double[] AspectRatios, double[][] Shapes);

/// <summary>Distribution of the number of positive anchors per ground-truth box.</summary>
/// <param name="Mean">Average positives per ground truth.</param>
/// <param name="Median">Median.</param>
/// <param name="Min">Fewest.</param>
/// <param name="Max">Most.</param>
/// <param name="Zero">Ground truths with no positive anchor.</param>
public sealed record PositivesPerGtReport(double Mean, double Median, int Min, int Max, int Zero);

/// <summary>Anchors by outcome, summed over all images.</summary>
/// <param name="Positive">Anchors matched to a ground truth.</param>
/// <param name="Negative">Background anchors.</param>
/// <param name="Ignored">Anchors between the thresholds.</param>
/// <param name="Total">All anchors.</param>
/// <param name="PositiveFraction">Positive / total.</param>
/// <param name="NegativesPerPositive">Negative / positive: the imbalance focal loss addresses.</param>
public sealed record AssignmentCountsReport(long Positive, long Negative, long Ignored, long Total, double PositiveFraction,
    double NegativesPerPositive);

/// <summary>Anchors fitted to the dataset's box shapes.</summary>
/// <param name="K">Number of anchors.</param>
/// <param name="Generations">Genetic generations run.</param>
/// <param name="Anchors">(width, height) pairs, rounded to 0.1 px, smallest first.</param>
/// <param name="MeanBestIou">Mean over boxes of the best IoU with a fitted anchor.</param>
/// <param name="KmeansMeanBestIou">The same before genetic refinement.</param>
/// <param name="ConfiguredMeanBestIou">The same for the configured anchor shapes (for comparison).</param>
/// <param name="Recall">Share of boxes whose best fitted anchor has IoU ≥ the positive threshold (shapes only, centres aligned).</param>
/// <param name="ConfiguredRecall">The same for the configured anchor shapes.</param>
/// <param name="Yaml">Ready-to-paste YOLOv5-style <c>anchors:</c> block, one row per stride.</param>
public sealed record AnchorFitReport(int K, int Generations, double[][] Anchors, double MeanBestIou, double KmeansMeanBestIou,
    double ConfiguredMeanBestIou, double Recall, double ConfiguredRecall, string Yaml);

/// <summary>The result of <c>dyno anchors</c>.</summary>
/// <param name="Source">The ground-truth file or directory.</param>
/// <param name="Images">Images read.</param>
/// <param name="GtBoxes">Ground-truth boxes evaluated (crowd and zero-size boxes excluded).</param>
/// <param name="SkippedCrowd">COCO iscrowd boxes left out.</param>
/// <param name="SkippedDegenerate">Boxes of zero width or height left out.</param>
/// <param name="ImageSize">The longer-side resize, or null for native sizes.</param>
/// <param name="PosIou">Positive threshold.</param>
/// <param name="NegIou">Negative threshold.</param>
/// <param name="BestAnchorPositive">Whether each ground truth's best anchor is made positive.</param>
/// <param name="Bpr">Best possible recall: share of ground truths with at least one positive anchor under the assigner.</param>
/// <param name="BprIouOnly">Share of ground truths whose best anchor IoU reaches the positive threshold (no best-anchor rule).</param>
/// <param name="MeanBestIou">Mean over ground truths of their best anchor IoU (positions included).</param>
/// <param name="Anchors">The configuration, per level.</param>
/// <param name="AnchorsPerImage">Mean anchors per image.</param>
/// <param name="PositivesPerGt">Positives per ground truth.</param>
/// <param name="AssignmentCounts">Positive / negative / ignored anchors.</param>
/// <param name="Fit">The fitted anchors, when asked for.</param>
public sealed record AnchorReport(string Source, int Images, int GtBoxes, int SkippedCrowd, int SkippedDegenerate, int? ImageSize,
    double PosIou, double NegIou, bool BestAnchorPositive, double Bpr, double BprIouOnly, double MeanBestIou,
    AnchorLevelReport[] Anchors, double AnchorsPerImage, PositivesPerGtReport PositivesPerGt, AssignmentCountsReport AssignmentCounts,
    AnchorFitReport? Fit);

/// <summary>
/// Dataset-level anchor statistics: assigns every image's anchors with the IoU assigner and reports the
/// best possible recall, positives per ground truth and the positive/negative/ignored balance; optionally
/// fits anchor shapes to the boxes (<see cref="AnchorFitter"/>).
/// </summary>
public static class AnchorAnalysis
{
    /// <summary>Analyses a COCO ground-truth JSON file or a YOLO dataset directory.</summary>
    public static AnchorReport Analyze(string path, AnchorAnalysisOptions options)
    {
        var gt = GroundTruthReader.Read(path);
        return Analyze(path, gt, options);
    }

    internal static AnchorReport Analyze(string source, GroundTruthSet gt, AnchorAnalysisOptions options)
    {
        if (options.ImageSize is <= 0) throw new DynoInputException($"anchors: image size must be positive, got {options.ImageSize}");
        var images = gt.Images.Select(im => Scaled(im, options.ImageSize)).ToArray();
        var perImage = new (long Pos, long Neg, long Ign, long Total, int[] PerGt, double[] GtMax)[images.Length];
        var cache = new System.Collections.Concurrent.ConcurrentDictionary<(int, int), AnchorSet>();
        Parallel.For(0, images.Length, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount },
            () => new IouAssigner.SparseWork(), (i, _, work) =>
        {
            var im = images[i];
            // A bounded cache: COCO has hundreds of distinct image sizes, and regenerating is cheap.
            if (!cache.TryGetValue((im.Width, im.Height), out var set))
            {
                set = options.Generator.Generate(im.Width, im.Height);
                if (cache.Count < 64) cache.TryAdd((im.Width, im.Height), set);
            }
            options.Assigner.AssignInto(set, im.Boxes, im.Labels, work);
            long pos = 0, neg = 0, ign = 0;
            var perGtHere = new int[im.Boxes.Length];
            foreach (var m in work.Matched.AsSpan(0, set.Anchors.Length))
            {
                if (m >= 0) { pos++; perGtHere[m]++; }
                else if (m == AnchorAssignment.Negative) neg++;
                else ign++;
            }
            perImage[i] = (pos, neg, ign, set.Anchors.Length, perGtHere, work.GtMax.AsSpan(0, im.Boxes.Length).ToArray());
            return work;
        }, _ => { });

        var perGt = perImage.SelectMany(p => p.PerGt).ToArray();
        var gtMax = perImage.SelectMany(p => p.GtMax).ToArray();
        var n = perGt.Length;
        long positive = perImage.Sum(p => p.Pos), negative = perImage.Sum(p => p.Neg), ignored = perImage.Sum(p => p.Ign);
        long total = perImage.Sum(p => p.Total);
        var sorted = perGt.Order().ToArray();
        var ppg = new PositivesPerGtReport(
            n == 0 ? double.NaN : perGt.Average(),
            n == 0 ? double.NaN : n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
            n == 0 ? 0 : sorted[0], n == 0 ? 0 : sorted[^1], perGt.Count(c => c == 0));
        var counts = new AssignmentCountsReport(positive, negative, ignored, total,
            total == 0 ? double.NaN : positive / (double)total, positive == 0 ? double.NaN : negative / (double)positive);

        var levels = options.Generator.Levels.Select(l => new AnchorLevelReport(l.Stride, l.Sizes.ToArray(), l.AspectRatios.ToArray(),
            options.Generator.BaseAnchors(l).Select(b => new[] { b.Width, b.Height }).ToArray())).ToArray();

        AnchorFitReport? fit = null;
        if (options.FitK > 0)
        {
            // As YOLOv5's autoanchor: boxes with both sides under 2 px carry no shape information.
            var shapes = images.SelectMany(im => im.Boxes).Select(b => new BoxShape(b.Width, b.Height))
                .Where(s => s.Width >= 2 || s.Height >= 2).ToArray();
            var f = AnchorFitter.Fit(shapes, options.FitK, options.FitGenerations, options.Seed);
            var configured = options.Generator.Levels.SelectMany(l => options.Generator.BaseAnchors(l))
                .Select(b => new BoxShape(b.Width, b.Height)).ToArray();
            var thr = options.Assigner.PositiveIou;
            var configuredFit = new AnchorFit(configured, 0, 0, 0, 0);
            fit = new AnchorFitReport(options.FitK, options.FitGenerations,
                f.Anchors.Select(a => new[] { Math.Round(a.Width, 1), Math.Round(a.Height, 1) }).ToArray(),
                f.MeanBestIou, f.KmeansMeanBestIou, AnchorFitter.Fitness(shapes, configured), f.Recall(shapes, thr),
                configuredFit.Recall(shapes, thr), Yaml(f.Anchors, options.Generator.Levels.Select(l => l.Stride).ToArray()));
        }

        return new AnchorReport(source, images.Length, n, gt.SkippedCrowd, gt.SkippedDegenerate, options.ImageSize,
            options.Assigner.PositiveIou, options.Assigner.NegativeIou, options.Assigner.BestAnchorPositive,
            n == 0 ? double.NaN : perGt.Count(c => c > 0) / (double)n,
            n == 0 ? double.NaN : gtMax.Count(v => v >= options.Assigner.PositiveIou) / (double)n,
            n == 0 ? double.NaN : gtMax.Average(),
            levels, images.Length == 0 ? 0 : total / (double)images.Length, ppg, counts, fit);
    }

    private static GroundTruthImage Scaled(GroundTruthImage im, int? size)
    {
        if (size is not { } s) return im;
        var r = s / (double)Math.Max(im.Width, im.Height);
        return im with
        {
            Width = Math.Max(1, (int)Math.Round(im.Width * r)),
            Height = Math.Max(1, (int)Math.Round(im.Height * r)),
            Boxes = im.Boxes.Select(b => new Box(b.X1 * r, b.Y1 * r, b.X2 * r, b.Y2 * r)).ToArray(),
        };
    }

    /// <summary>YOLOv5's <c>anchors:</c> block: anchors smallest first, split evenly over the strides when they divide.</summary>
    internal static string Yaml(BoxShape[] anchors, int[] strides)
    {
        var sb = new StringBuilder("anchors:\n");
        var rows = anchors.Length % strides.Length == 0 ? strides.Length : 1;
        var per = anchors.Length / rows;
        for (var r = 0; r < rows; r++)
        {
            var items = anchors.Skip(r * per).Take(per)
                .Select(a => string.Create(CultureInfo.InvariantCulture, $"{Math.Round(a.Width)},{Math.Round(a.Height)}"));
            sb.Append("  - [").AppendJoin(", ", items).Append(']');
            if (rows == strides.Length) sb.Append(CultureInfo.InvariantCulture, $"  # P{Math.Log2(strides[r]):0}/{strides[r]}");
            sb.Append('\n');
        }
        return sb.ToString();
    }
}
