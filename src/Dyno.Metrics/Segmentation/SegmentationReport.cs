using Dyno.Metrics.Classification;

namespace Dyno.Metrics.Segmentation;

/// <summary>How label maps are read (mmsegmentation's conventions).</summary>
public sealed record SegmentationOptions
{
    /// <summary>Ground-truth value whose pixels are left out entirely (after <see cref="ReduceZeroLabel"/>); null for none.</summary>
    public int? IgnoreIndex { get; init; } = 255;

    /// <summary>
    /// Ground truth 0 means "ignore" and every other value v is class v − 1 (ADE20K style): applied to the
    /// ground truth only, as mmsegmentation does (0 → 255, v → v − 1, 255 stays 255).
    /// </summary>
    public bool ReduceZeroLabel { get; init; }

    /// <summary>Keep per-image figures (for the per-image mean and the per-image list).</summary>
    public bool PerImage { get; init; }
}

/// <summary>One class's pixel counts and scores (dataset level).</summary>
/// <param name="Class">Class index.</param>
/// <param name="GtPixels">Pixels of this class in the ground truth (not ignored).</param>
/// <param name="PredPixels">Non-ignored pixels predicted as this class.</param>
/// <param name="Intersection">Pixels of this class predicted as this class.</param>
/// <param name="Union">GtPixels + PredPixels − Intersection.</param>
/// <param name="Iou">Intersection / Union; NaN when the class is absent from both.</param>
/// <param name="Dice">2 Intersection / (GtPixels + PredPixels) (= F1); NaN when absent from both.</param>
/// <param name="Accuracy">Intersection / GtPixels (the class recall); NaN when absent from the ground truth.</param>
public sealed record SegmentationClassScores(int Class, long GtPixels, long PredPixels, long Intersection, long Union, double Iou, double Dice, double Accuracy);

/// <summary>The summary figures of a segmentation evaluation, under one averaging.</summary>
/// <param name="Averaging"><c>dataset</c> (pixel counts summed over all images, then divided: mmsegmentation) or <c>per_image_mean</c>.</param>
/// <param name="MIoU">Mean IoU over classes whose IoU is defined (NaN classes are excluded).</param>
/// <param name="Dice">Mean Dice over classes whose Dice is defined.</param>
/// <param name="PixelAccuracy">Correct pixels / evaluated pixels (mmsegmentation's aAcc).</param>
/// <param name="MeanAccuracy">Mean per-class accuracy over classes present in the ground truth (mAcc).</param>
/// <param name="FwIoU">Frequency-weighted IoU: Σ (GtPixels/total) IoU over classes present in the ground truth.</param>
public sealed record SegmentationScores(string Averaging, double MIoU, double Dice, double PixelAccuracy, double MeanAccuracy, double FwIoU);

/// <summary>One image's summary figures.</summary>
/// <param name="Name">The image name (file name for folders).</param>
/// <param name="Pixels">Evaluated (non-ignored) pixels.</param>
/// <param name="Scores">Its figures computed on this image alone.</param>
public sealed record ImageSegmentationScores(string Name, long Pixels, SegmentationScores Scores);

/// <summary>Everything <see cref="SegmentationAccumulator.Compute"/> returns.</summary>
public sealed record SegmentationReport
{
    /// <summary>Number of classes.</summary>
    public required int NumClasses { get; init; }

    /// <summary>Images evaluated.</summary>
    public required long Images { get; init; }

    /// <summary>Pixels evaluated (not ignored).</summary>
    public required long Pixels { get; init; }

    /// <summary>Pixels left out by the ignore index (and reduce-zero-label).</summary>
    public required long IgnoredPixels { get; init; }

    /// <summary>Dataset-level figures (the default, mmsegmentation's definition).</summary>
    public required SegmentationScores Dataset { get; init; }

    /// <summary>Per-class figures, dataset level.</summary>
    public required IReadOnlyList<SegmentationClassScores> PerClass { get; init; }

    /// <summary>Mean over images of each image's figures; null unless per-image figures were kept.</summary>
    public SegmentationScores? PerImageMean { get; init; }

    /// <summary>Each image's figures in name order; null unless kept.</summary>
    public IReadOnlyList<ImageSegmentationScores>? PerImage { get; init; }

    /// <summary>The pixel confusion matrix (rows ground truth, columns prediction).</summary>
    public required ConfusionMatrix Confusion { get; init; }
}
