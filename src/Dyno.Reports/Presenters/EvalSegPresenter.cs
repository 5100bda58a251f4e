using System.Globalization;
using Dyno.Reports.Charts;
using Dyno.Reports.Documents;
using Dyno.Results;

namespace Dyno.Reports.Presenters;

/// <summary>
/// Presents an <c>eval-seg</c> result (<see cref="SegmentationDocument"/>): the dataset-level (and per-image mean)
/// metrics with their definitions, per class and per image; the report adds IoU per class and the pixel confusion heatmap.
/// </summary>
public sealed class EvalSegPresenter : IResultPresenter<SegmentationDocument>
{
    /// <summary>The one instance (it has no settings).</summary>
    public static EvalSegPresenter Instance { get; } = new();

    /// <inheritdoc/>
    public string Kind => ResultKinds.EvalSeg;

    private static readonly (string Key, string Label, string Definition)[] MetricKeys =
    [
        ("miou", "mIoU", "mean IoU over classes with a defined IoU"), ("dice", "Dice", "mean Dice (F1) over classes with a defined Dice"),
        ("pixel_accuracy", "Pixel accuracy", "correct pixels / evaluated pixels"), ("mean_accuracy", "Mean class accuracy", "mean per-class recall over classes in the ground truth"),
        ("fwiou", "FW IoU", "IoU weighted by ground-truth pixel frequency"),
    ];

    /// <inheritdoc/>
    public IReadOnlyList<KeyFigure> Headline(SegmentationDocument d) =>
        MetricKeys.Where(k => d.Metrics.TryGetValue(k.Key, out var v) && double.IsFinite(v))
            .Select(k => new KeyFigure(k.Label, d.Metrics[k.Key].ToString("0.####", CultureInfo.InvariantCulture), $"{d.Averaging}-level accumulation")).ToList();

    /// <inheritdoc/>
    public IReadOnlyList<ResultTable> Tables(SegmentationDocument d)
    {
        static string Value(IReadOnlyDictionary<string, double> m, string key) => Fmt.Num(m.TryGetValue(key, out var v) ? v : double.NaN, 4);
        var summary = new List<Column<(string Key, string Label, string Definition)>> { Present.Name<(string Key, string Label, string Definition)>("metric", k => k.Key), new("dataset", k => Value(d.Metrics, k.Key)) };
        if (d.PerImageMean is { } pim) summary.Add(new("per-image mean", k => Value(pim, k.Key)));
        summary.Add(Present.Name<(string Key, string Label, string Definition)>("definition", k => k.Definition));
        var tables = new List<ResultTable>
        {
            Present.Table($"Segmentation: {Fmt.Int(d.Images)} images, {Fmt.Int(d.Pixels)} pixels ({Fmt.Int(d.IgnoredPixels)} ignored)", MetricKeys, summary),
            Present.Table("Per class", d.PerClass,
                Present.Name<SegmentationPerClass>("class", c => c.Name), new("iou", c => Fmt.Num(c.Iou, 4)), new("dice", c => Fmt.Num(c.Dice, 4)),
                new("accuracy", c => Fmt.Num(c.Accuracy, 4)), new("gt pixels", c => Fmt.Int(c.GtPixels)), new("pred pixels", c => Fmt.Int(c.PredPixels))),
        };
        if (d.PerImage is { } images)
            tables.Add(Present.Table("Per image", images,
                Present.Name<SegmentationPerImage>("image", i => i.Name), new("pixels", i => Fmt.Int(i.Pixels)),
                new("miou", i => Fmt.Num(i.Miou, 4)), new("pixel_accuracy", i => Fmt.Num(i.PixelAccuracy, 4))));
        return tables;
    }

    /// <inheritdoc/>
    public IReadOnlyList<string> Notes(SegmentationDocument d) => d.Conventions;

    /// <inheritdoc/>
    public ReportSection Section(SegmentationDocument d, string? source, string id)
    {
        var s = Present.Section(this, d, $"Segmentation: {source ?? "result"}", source);
        var names = d.PerClass.Select(c => c.Name).ToList();
        if (d.PerClass.Count is > 0 and <= 200)
            s.Figures.Add(new($"{id}-iou", "IoU per class", ChartKit.Bars("IoU per class", names, d.PerClass.Select(c => double.IsFinite(c.Iou) ? c.Iou : 0).ToList(), "IoU"),
                "Intersection over union of each class over the whole dataset (pixels accumulated before dividing); absent classes are 0 here and excluded from mIoU (see the per-class table)."));
        var counts = d.ConfusionMatrix.Counts;
        if (counts.Length is > 0 and <= 50)
        {
            var grid = new double[counts.Length, counts[0].Length];
            for (var i = 0; i < counts.Length; i++)
            {
                double row = counts[i].Sum();
                for (var j = 0; j < counts[i].Length; j++) grid[i, j] = row > 0 ? counts[i][j] / row : 0;
            }
            var labels = names.Count == counts.Length ? names : Enumerable.Range(0, counts.Length).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToList();
            s.Figures.Add(new($"{id}-confusion", "Pixel confusion matrix", ChartKit.Heatmap("Pixel confusion (row-normalized)", grid, labels, labels, "predicted class", "ground-truth class"),
                "Rows are ground-truth classes, columns predicted classes; each row divided by its pixel count (recall on the diagonal)."));
        }
        return s;
    }
}
