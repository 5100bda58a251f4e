using System.Text.Json.Serialization;

namespace Dyno.Reports.Documents;

/// <summary>
/// The <c>eval-seg</c> result document (schema 1, docs/results.md): what <c>dyno eval seg</c> and <c>val</c> on a
/// segmenter write. Members are serialized in declaration order; null optional ones are left out.
/// </summary>
public sealed record SegmentationDocument
{
    /// <summary>Always <c>segmentation</c>.</summary>
    public string Task { get; init; } = "segmentation";

    /// <summary>Image pairs evaluated.</summary>
    public required long Images { get; init; }

    /// <summary>Classes 0..N-1.</summary>
    public required int NumClasses { get; init; }

    /// <summary>Pixels evaluated (ignored ones excluded).</summary>
    public required long Pixels { get; init; }

    /// <summary>Ground-truth pixels at the ignore index.</summary>
    public required long IgnoredPixels { get; init; }

    /// <summary>The ignore index; written as null when there is none.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public required int? IgnoreIndex { get; init; }

    /// <summary>Whether ground truth 0 was ignored and v read as v − 1.</summary>
    public required bool ReduceZeroLabel { get; init; }

    /// <summary>Always <c>dataset</c>: pixel counts summed over all images, then divided.</summary>
    public string Averaging { get; init; } = "dataset";

    /// <summary>miou, dice, pixel_accuracy, mean_accuracy, fwiou over the dataset.</summary>
    public required IReadOnlyDictionary<string, double> Metrics { get; init; }

    /// <summary>With per-image figures: the same five, averaged over images.</summary>
    public IReadOnlyDictionary<string, double>? PerImageMean { get; init; }

    /// <summary>IoU, Dice, accuracy and pixel counts of each class.</summary>
    public required IReadOnlyList<SegmentationPerClass> PerClass { get; init; }

    /// <summary>With per-image figures: each image's scores.</summary>
    public IReadOnlyList<SegmentationPerImage>? PerImage { get; init; }

    /// <summary>The pixel confusion matrix.</summary>
    public required SegmentationConfusion ConfusionMatrix { get; init; }

    /// <summary>The definitions the figures follow.</summary>
    public required IReadOnlyList<string> Conventions { get; init; }
}

/// <summary>The pixel confusion matrix of <see cref="SegmentationDocument"/>.</summary>
/// <param name="Orientation">Always "rows are ground-truth classes, columns predicted classes; pixels".</param>
/// <param name="Counts">Pixel counts.</param>
public sealed record SegmentationConfusion(string Orientation, long[][] Counts);

/// <summary>One row of <see cref="SegmentationDocument.PerClass"/> (dataset-level pixel counts).</summary>
/// <param name="Class">Class index.</param>
/// <param name="Name">Class name.</param>
/// <param name="Iou">Intersection over union (NaN, written null, when the class is in neither map).</param>
/// <param name="Dice">Dice (F1).</param>
/// <param name="Accuracy">Recall of the class's pixels.</param>
/// <param name="GtPixels">Ground-truth pixels.</param>
/// <param name="PredPixels">Predicted pixels.</param>
/// <param name="Intersection">Pixels in both.</param>
/// <param name="Union">Pixels in either.</param>
public sealed record SegmentationPerClass(int Class, string Name, double Iou, double Dice, double Accuracy, long GtPixels, long PredPixels, long Intersection, long Union);

/// <summary>One row of <see cref="SegmentationDocument.PerImage"/>.</summary>
/// <param name="Name">The image.</param>
/// <param name="Pixels">Evaluated pixels.</param>
/// <param name="Miou">Its mIoU.</param>
/// <param name="Dice">Its mean Dice.</param>
/// <param name="PixelAccuracy">Its pixel accuracy.</param>
/// <param name="MeanAccuracy">Its mean class accuracy.</param>
/// <param name="Fwiou">Its frequency-weighted IoU.</param>
public sealed record SegmentationPerImage(string Name, long Pixels, double Miou, double Dice, double PixelAccuracy, double MeanAccuracy, double Fwiou);
