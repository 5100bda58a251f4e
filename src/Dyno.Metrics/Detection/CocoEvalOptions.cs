namespace Dyno.Metrics.Detection;

/// <summary>What is compared: boxes or masks.</summary>
public enum CocoIouType
{
    /// <summary>Box IoU (pycocotools iouType='bbox').</summary>
    Bbox,

    /// <summary>Mask IoU on RLE/polygon masks (pycocotools iouType='segm').</summary>
    Segm,

    /// <summary>Object keypoint similarity, OKS (pycocotools iouType='keypoints').</summary>
    Keypoints,
}

/// <summary>An object-size range on the ground truth's <c>area</c> field; both ends are inclusive, as in pycocotools.</summary>
public readonly record struct AreaRange(string Label, double Min, double Max);

/// <summary>
/// The evaluation protocol: pycocotools' <c>Params</c> (iouType bbox/segm). The defaults are COCO's:
/// IoU 0.50:0.05:0.95, 101 recall points, maxDets [1, 10, 100], areas all/small/medium/large.
/// </summary>
public sealed record CocoEvalOptions
{
    /// <summary>COCO's IoU thresholds, <c>np.linspace(.5, .95, 10)</c> bit for bit (0.8999999999999999, not 0.9).</summary>
    public static IReadOnlyList<double> CocoIouThresholds { get; } = NumpyCompat.Linspace(.5, .95, 10);

    /// <summary>COCO's 101 recall points, <c>np.linspace(0, 1, 101)</c>.</summary>
    public static IReadOnlyList<double> CocoRecallThresholds { get; } = NumpyCompat.Linspace(0, 1, 101);

    /// <summary>COCO's area ranges (in pixels², inclusive): all [0, 1e10], small [0, 32²], medium [32², 96²], large [96², 1e10].</summary>
    public static IReadOnlyList<AreaRange> CocoAreaRanges { get; } =
    [
        new("all", 0, 1e5 * 1e5), new("small", 0, 32 * 32), new("medium", 32 * 32, 96 * 96), new("large", 96 * 96, 1e5 * 1e5),
    ];

    /// <summary>COCO's per-keypoint OKS sigmas (nose, eyes, ears, shoulders, elbows, wrists, hips, knees, ankles), pycocotools' values / 10.</summary>
    public static IReadOnlyList<double> CocoKeypointSigmas { get; } =
        new[] { .26, .25, .25, .35, .35, .79, .79, .72, .72, .62, .62, 1.07, 1.07, .87, .87, .89, .89 }.Select(v => v / 10.0).ToArray();

    /// <summary>CrowdPose's 14 per-keypoint OKS sigmas (shoulders, elbows, wrists, hips, knees, ankles, head, neck), crowdpose-api's and faster-coco-eval's values / 10.</summary>
    public static IReadOnlyList<double> CrowdPoseKeypointSigmas { get; } =
        new[] { .79, .79, .72, .72, .62, .62, 1.07, 1.07, .87, .87, .89, .89, .79, .79 }.Select(v => v / 10.0).ToArray();

    /// <summary>
    /// CrowdPose's protocol as faster-coco-eval runs it (<c>iouType="keypoints_crowd"</c>, <c>use_area=False</c>):
    /// CrowdPose sigmas, OKS scaled by 0.53 × the ground truth's box area, maxDets [20].
    /// </summary>
    public static CocoEvalOptions CrowdPose => CocoKeypoints with { KeypointSigmas = CrowdPoseKeypointSigmas, KeypointAreaFromBox = true };

    /// <summary>pycocotools' keypoint Params: maxDets [20], areas all/medium/large.</summary>
    public static CocoEvalOptions CocoKeypoints { get; } = new()
    {
        IouType = CocoIouType.Keypoints,
        MaxDets = [20],
        AreaRanges = [new("all", 0, 1e5 * 1e5), new("medium", 32 * 32, 96 * 96), new("large", 96 * 96, 1e5 * 1e5)],
    };

    /// <summary><c>np.linspace(start, stop, num)</c> bit for bit, for custom thresholds written as start:stop:step.</summary>
    public static double[] Linspace(double start, double stop, int num) => NumpyCompat.Linspace(start, stop, num);

    /// <summary>Boxes or masks.</summary>
    public CocoIouType IouType { get; init; } = CocoIouType.Bbox;

    /// <summary>IoU thresholds, used in the order given.</summary>
    public IReadOnlyList<double> IouThresholds { get; init; } = CocoIouThresholds;

    /// <summary>Recall points of the interpolated precision (ascending).</summary>
    public IReadOnlyList<double> RecallThresholds { get; init; } = CocoRecallThresholds;

    /// <summary>Detections kept per image and category, evaluated in ascending order; the last one is the headline.</summary>
    public IReadOnlyList<int> MaxDets { get; init; } = [1, 10, 100];

    /// <summary>Area ranges; the one labelled "all" is the headline.</summary>
    public IReadOnlyList<AreaRange> AreaRanges { get; init; } = CocoAreaRanges;

    /// <summary>Per-keypoint OKS sigmas (pycocotools' <c>params.kpt_oks_sigmas</c>), one per keypoint of the skeleton; null = COCO's 17.</summary>
    public IReadOnlyList<double>? KeypointSigmas { get; init; }

    /// <summary>CrowdPose's OKS scale: 0.53 × box width × height of the ground truth instead of its <c>area</c> field (faster-coco-eval <c>use_area=False</c>).</summary>
    public bool KeypointAreaFromBox { get; init; }

    /// <summary>
    /// Segm only: Boundary IoU (boundary-iou-api's <c>iouType='boundary'</c>) with this dilation ratio of the image
    /// diagonal (0.02 in the paper): min(mask IoU, boundary IoU) for non-crowd ground truth. Null: plain mask IoU.
    /// </summary>
    public double? BoundaryDilationRatio { get; init; }

    /// <summary>The sigmas in use.</summary>
    internal IReadOnlyList<double> Sigmas => KeypointSigmas ?? CocoKeypointSigmas;

    /// <summary>False: categories are ignored and every detection may match any ground truth of its image.</summary>
    public bool UseCats { get; init; } = true;

    /// <summary>
    /// When set: precision, recall and F1 at this score threshold and at the F1-optimal threshold
    /// (IoU 0.5 or the first threshold, area "all", the largest maxDets), pooled and per category.
    /// </summary>
    public double? ScoreThreshold { get; init; }

    /// <summary>True when every parameter is pycocotools' default.</summary>
    public bool IsCocoDefault =>
        IouThresholds.SequenceEqual(CocoIouThresholds) && RecallThresholds.SequenceEqual(CocoRecallThresholds) && UseCats
        && (IouType == CocoIouType.Keypoints
            ? MaxDets.SequenceEqual(CocoKeypoints.MaxDets) && AreaRanges.SequenceEqual(CocoKeypoints.AreaRanges)
              && Sigmas.SequenceEqual(CocoKeypointSigmas) && !KeypointAreaFromBox
            : MaxDets.SequenceEqual([1, 10, 100]) && AreaRanges.SequenceEqual(CocoAreaRanges));

    internal void Validate()
    {
        if (IouThresholds.Count == 0) throw new DynoInputException("at least one IoU threshold is needed");
        foreach (var t in IouThresholds)
            if (!(t >= 0 && t <= 1)) throw new DynoInputException($"IoU threshold {t} is outside [0, 1]");
        if (RecallThresholds.Count == 0) throw new DynoInputException("at least one recall threshold is needed");
        for (var i = 1; i < RecallThresholds.Count; i++)
            if (!(RecallThresholds[i] >= RecallThresholds[i - 1])) throw new DynoInputException("recall thresholds must be ascending");
        if (MaxDets.Count == 0) throw new DynoInputException("at least one maxDets value is needed");
        foreach (var m in MaxDets)
            if (m <= 0) throw new DynoInputException($"maxDets {m} must be positive");
        if (AreaRanges.Count == 0) throw new DynoInputException("at least one area range is needed");
        if (BoundaryDilationRatio is { } br && (IouType != CocoIouType.Segm || !(br >= 0 && double.IsFinite(br))))
            throw new DynoInputException(IouType != CocoIouType.Segm ? "Boundary IoU compares masks: it needs iou type segm" : $"dilation ratio {br} must be a finite number >= 0");
        if (Sigmas.Count == 0) throw new DynoInputException("at least one keypoint sigma is needed");
        foreach (var v in Sigmas)
            if (!(v > 0 && double.IsFinite(v))) throw new DynoInputException($"keypoint sigma {v} must be a positive finite number");
        foreach (var a in AreaRanges)
            if (!(a.Min <= a.Max)) throw new DynoInputException($"area range '{a.Label}' has min {a.Min} > max {a.Max}");
    }
}
