using System.Globalization;
using Dyno.Metrics.Assignment;
using Dyno.Reports.Documents;
using Dyno.Results;

namespace Dyno.Reports.Presenters;

/// <summary>
/// Presents an <c>anchors</c> result (<see cref="AnchorReport"/>): best possible recall, positives per box and the
/// positive/negative/ignored balance under the IoU assigner, the anchor configuration, and the fitted anchors.
/// </summary>
public sealed class AnchorsPresenter : IResultPresenter<AnchorReport>
{
    /// <summary>The one instance (it has no settings).</summary>
    public static AnchorsPresenter Instance { get; } = new();

    /// <inheritdoc/>
    public string Kind => ResultKinds.Anchors;

    /// <inheritdoc/>
    public IReadOnlyList<KeyFigure> Headline(AnchorReport r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var figures = new List<KeyFigure>
        {
            new("Best possible recall", F(r.Bpr, "0.####"), $"ground-truth boxes with a positive anchor (IoU ≥ {F(r.PosIou, "0.##")}{(r.BestAnchorPositive ? ", or its best anchor" : "")})"),
            new("BPR by IoU only", F(r.BprIouOnly, "0.####"), $"IoU ≥ {F(r.PosIou, "0.##")}, no best-anchor rule"),
            new("Mean best IoU", F(r.MeanBestIou, "0.####"), "each box with its best anchor"),
            new("Positives per box", F(r.PositivesPerGt.Mean, "0.##"), $"mean; median {F(r.PositivesPerGt.Median, "0.#")}, {r.PositivesPerGt.Zero.ToString(CultureInfo.InvariantCulture)} boxes with none"),
        };
        if (r.Fit is { } f)
            figures.Add(new("Fitted anchors mean IoU", F(f.MeanBestIou, "0.####"), FormattableString.Invariant($"k = {f.K} after {f.Generations} generations; configured {F(f.ConfiguredMeanBestIou, "0.####")}")));
        return figures;
    }

    /// <inheritdoc/>
    public IReadOnlyList<ResultTable> Tables(AnchorReport r)
    {
        ArgumentNullException.ThrowIfNull(r);
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
        if (r.Fit is { } f)
        {
            tables.Add(new ResultTable($"Fitted anchors (k = {f.K}, k-means on 1 − IoU{(f.Generations > 0 ? $" + {f.Generations} genetic generations" : "")})",
                [new ResultColumn(""), new ResultColumn("configured", right), new ResultColumn("fitted", right)],
                [
                    ["mean best IoU (shape only)", Fmt.Num(f.ConfiguredMeanBestIou, 4), Fmt.Num(f.MeanBestIou, 4)],
                    [$"boxes with a shape IoU ≥ {G(r.PosIou)}", Fmt.Pct(f.ConfiguredRecall, 2), Fmt.Pct(f.Recall, 2)],
                ]));
        }
        return tables;
    }

    /// <inheritdoc/>
    public IReadOnlyList<string> Notes(AnchorReport r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var notes = new List<string>
        {
            $"IoU assigner: positive ≥ {G(r.PosIou)}, negative < {G(r.NegIou)}, best anchor per box positive: {(r.BestAnchorPositive ? "yes" : "no")}; "
            + $"{r.SkippedCrowd} crowd and {r.SkippedDegenerate} zero-size boxes left out.",
        };
        if (r.Fit is { } f)
        {
            notes.Add("Fitted anchors (w×h): " + string.Join(" ", f.Anchors.Select(a => $"{G(a[0])}×{G(a[1])}")));
            notes.Add("Ready-to-paste (YOLOv5 model YAML):");
            notes.AddRange(f.Yaml.TrimEnd().Split('\n'));
        }
        return notes;
    }

    /// <inheritdoc/>
    public ReportSection Section(AnchorReport r, string? source, string id)
    {
        ArgumentNullException.ThrowIfNull(r);
        return Present.Section(this, r, $"Anchors: {r.Source}", source);
    }

    private static string F(double v, string format) => double.IsFinite(v) ? v.ToString(format, CultureInfo.InvariantCulture) : "-";
    private static string G(double v) => v.ToString("0.##", CultureInfo.InvariantCulture);
    private static string Join(double[] v) => string.Join(",", v.Select(G));
}
