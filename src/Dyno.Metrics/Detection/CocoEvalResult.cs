using System.Text.Json.Serialization;

namespace Dyno.Metrics.Detection;

/// <summary>Per-category figures (area "all", headline maxDets); −1 where the category has no non-crowd ground truth.</summary>
public sealed record CocoCategoryResult
{
    /// <summary>Category id.</summary>
    public long Id { get; init; }

    /// <summary>Category name.</summary>
    public string Name { get; init; } = "";

    /// <summary>AP@[.50:.95].</summary>
    [JsonPropertyName("AP")] public double AP { get; init; }

    /// <summary>AP at IoU 0.5 (−1 if 0.5 is not a threshold).</summary>
    [JsonPropertyName("AP50")] public double AP50 { get; init; }

    /// <summary>AP at IoU 0.75 (−1 if 0.75 is not a threshold).</summary>
    [JsonPropertyName("AP75")] public double AP75 { get; init; }

    /// <summary>AP on small objects.</summary>
    [JsonPropertyName("APs")] public double APs { get; init; }

    /// <summary>AP on medium objects.</summary>
    [JsonPropertyName("APm")] public double APm { get; init; }

    /// <summary>AP on large objects.</summary>
    [JsonPropertyName("APl")] public double APl { get; init; }

    /// <summary>AR at the headline maxDets.</summary>
    [JsonPropertyName("AR")] public double AR { get; init; }

    /// <summary>Non-crowd ground-truth objects.</summary>
    public int NumGt { get; init; }

    /// <summary>Detections (before the maxDets cut).</summary>
    public int NumDt { get; init; }
}

/// <summary>The protocol that produced a result, recorded so the numbers describe themselves.</summary>
public sealed record CocoProtocol
{
    /// <summary>"bbox", "segm", "boundary" (Boundary IoU on masks) or "keypoints".</summary>
    public string IouType { get; init; } = "bbox";

    /// <summary>The evaluation family when it is not plain COCO: "lvis" (federated, lvis-api); null (not written) for COCO.</summary>
    public string? Name { get; init; }

    /// <summary>IoU thresholds in the order evaluated.</summary>
    public IReadOnlyList<double> IouThresholds { get; init; } = [];

    /// <summary>Number of recall points of the interpolated precision.</summary>
    public int RecallPoints { get; init; }

    /// <summary>maxDets values; the last is the headline (pycocotools hard-codes 100 for AP).</summary>
    public IReadOnlyList<int> MaxDets { get; init; } = [];

    /// <summary>Area ranges on the ground truth's 'area' (inclusive).</summary>
    public IReadOnlyList<AreaRange> AreaRanges { get; init; } = [];

    /// <summary>Boundary IoU: the dilation ratio of the image diagonal; null otherwise.</summary>
    public double? BoundaryDilationRatio { get; init; }

    /// <summary>Keypoints: the per-keypoint OKS sigmas used (one per keypoint of the skeleton); null for boxes and masks.</summary>
    public IReadOnlyList<double>? KeypointSigmas { get; init; }

    /// <summary>Whether detections only match ground truth of their own category.</summary>
    public bool UseCats { get; init; } = true;

    /// <summary>True when every parameter is pycocotools' default.</summary>
    public bool CocoDefault { get; init; }

    /// <summary>The reference whose numbers these reproduce.</summary>
    public string Reference { get; init; } = "pycocotools 2.0.x COCOeval (evaluate, accumulate, summarize)";
}

/// <summary>Counts of what was evaluated.</summary>
public sealed record CocoCounts
{
    /// <summary>Ground-truth images.</summary>
    public int Images { get; init; }

    /// <summary>Categories.</summary>
    public int Categories { get; init; }

    /// <summary>Ground-truth annotations (crowd included).</summary>
    public int GtAnnotations { get; init; }

    /// <summary>Crowd ground-truth annotations.</summary>
    public int GtCrowd { get; init; }

    /// <summary>Detections evaluated.</summary>
    public int Detections { get; init; }

    /// <summary>Detections skipped (--lenient), by reason.</summary>
    public IReadOnlyDictionary<string, int>? Skipped { get; init; }
}

/// <summary>
/// A COCO evaluation: the summary stats (pycocotools' 12 for the default protocol), per-category
/// figures, AP per IoU threshold, the protocol, and the accumulated precision/recall arrays.
/// </summary>
public sealed record CocoEvalResult
{
    /// <summary>Summary stats by name, in pycocotools' order: AP, AP50, AP75, APs, APm, APl, AR{maxDets...}, ARs, ARm, ARl; −1 = undefined.</summary>
    public IReadOnlyDictionary<string, double> Stats { get; init; } = new Dictionary<string, double>();

    /// <summary>Per category, sorted by id.</summary>
    public IReadOnlyList<CocoCategoryResult> PerCategory { get; init; } = [];

    /// <summary>AP (area all, headline maxDets) at each IoU threshold, keyed by the threshold's shortest round-trip text.</summary>
    public IReadOnlyDictionary<string, double> ApPerIouThreshold { get; init; } = new Dictionary<string, double>();

    /// <summary>Precision/recall/F1 operating points, when <see cref="CocoEvalOptions.ScoreThreshold"/> is set.</summary>
    public CocoOperatingPoints? OperatingPoints { get; init; }

    /// <summary>The protocol used.</summary>
    public CocoProtocol Protocol { get; init; } = new();

    /// <summary>What was evaluated.</summary>
    public CocoCounts Counts { get; init; } = new();

    /// <summary>pycocotools' <c>eval['precision']</c>, shape [T, R, K, A, M] in C order; −1 where undefined.</summary>
    [JsonIgnore] public double[] Precision { get; init; } = [];

    /// <summary>pycocotools' <c>eval['recall']</c>, shape [T, K, A, M] in C order; −1 where undefined.</summary>
    [JsonIgnore] public double[] Recall { get; init; } = [];
}

/// <summary>Open-vocabulary figures: AP over base and novel categories and their harmonic mean (−1 = undefined).</summary>
public sealed record CocoSplitResult
{
    /// <summary>AP@[.50:.95] over the base categories.</summary>
    [JsonPropertyName("AP_base")] public double APBase { get; init; }

    /// <summary>AP@[.50:.95] over the novel categories.</summary>
    [JsonPropertyName("AP_novel")] public double APNovel { get; init; }

    /// <summary>Harmonic mean of AP_base and AP_novel.</summary>
    [JsonPropertyName("AP_harmonic")] public double APHarmonic { get; init; }

    /// <summary>AP50 over the base categories.</summary>
    [JsonPropertyName("AP50_base")] public double AP50Base { get; init; }

    /// <summary>AP50 over the novel categories.</summary>
    [JsonPropertyName("AP50_novel")] public double AP50Novel { get; init; }

    /// <summary>Harmonic mean of AP50_base and AP50_novel.</summary>
    [JsonPropertyName("AP50_harmonic")] public double AP50Harmonic { get; init; }

    /// <summary>Number of base categories.</summary>
    public int BaseCategories { get; init; }

    /// <summary>Number of novel categories.</summary>
    public int NovelCategories { get; init; }
}

/// <summary>
/// Precision, recall and F1 of the detections with score ≥ <see cref="Threshold"/>, with COCO's matching
/// (crowd and out-of-range matches are neither TP nor FP). FN = non-ignored ground truth − TP.
/// </summary>
public sealed record CocoOperatingPoint
{
    /// <summary>Score threshold (detections with score ≥ it count).</summary>
    public double Threshold { get; init; }

    /// <summary>TP / (TP + FP); 0 when nothing passes.</summary>
    public double Precision { get; init; }

    /// <summary>TP / non-ignored ground truth; −1 without ground truth.</summary>
    public double Recall { get; init; }

    /// <summary>2PR / (P + R); 0 when P + R = 0.</summary>
    [JsonPropertyName("F1")] public double F1 { get; init; }

    /// <summary>True positives.</summary>
    public long Tp { get; init; }

    /// <summary>False positives.</summary>
    public long Fp { get; init; }

    /// <summary>Missed ground truth.</summary>
    public long Fn { get; init; }
}

/// <summary>An operating point of one category.</summary>
public sealed record CocoCategoryOperatingPoints(long Id, string Name, CocoOperatingPoint AtThreshold, CocoOperatingPoint BestF1);

/// <summary>Operating points at a score threshold and at the F1-optimal threshold: pooled over categories (micro) and per category.</summary>
public sealed record CocoOperatingPoints
{
    /// <summary>IoU threshold of the matching used.</summary>
    public double IouThreshold { get; init; }

    /// <summary>Pooled over categories at the requested threshold.</summary>
    public CocoOperatingPoint AtThreshold { get; init; } = new();

    /// <summary>Pooled, at the score that maximises F1 (ties: the higher score).</summary>
    public CocoOperatingPoint BestF1 { get; init; } = new();

    /// <summary>Pooled precision / recall / F1 against the score threshold at 0, 0.01, …, 1: the data of the PR and F1-confidence curves.</summary>
    public IReadOnlyList<CocoOperatingPoint> Curve { get; init; } = [];

    /// <summary>Per category (categories with ground truth or detections).</summary>
    public IReadOnlyList<CocoCategoryOperatingPoints> PerCategory { get; init; } = [];
}
