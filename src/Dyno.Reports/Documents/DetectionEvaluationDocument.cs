using Dyno.Metrics.Detection;

namespace Dyno.Reports.Documents;

/// <summary>
/// The <c>eval-det</c> result document (schema 1, docs/results.md): what <c>dyno eval det</c>, <c>eval merge</c> and
/// <c>val</c> on a detector write (the val document carries the same keys). Members are serialized in declaration order;
/// null ones are left out. <c>Dyno.Reports.Presenters.EvalDetPresenter</c> presents it.
/// </summary>
public sealed record DetectionEvaluationDocument
{
    /// <summary>The 12 COCO summary stats (or those of a custom protocol), keyed AP, AP50, ... as pycocotools prints them.</summary>
    public required IReadOnlyDictionary<string, double> Stats { get; init; }

    /// <summary>AP, AP50, ... AR, gt and dt counts of each category.</summary>
    public required IReadOnlyList<CocoCategoryResult> PerCategory { get; init; }

    /// <summary>AP (area all, largest maxDets) at each IoU threshold, keyed by the threshold.</summary>
    public required IReadOnlyDictionary<string, double> ApPerIouThreshold { get; init; }

    /// <summary>With <c>--score-threshold</c>: precision, recall and F1 at that score and at the F1-optimal one.</summary>
    public CocoOperatingPoints? OperatingPoints { get; init; }

    /// <summary>Per-category precision at the 101 recall points (IoU nearest 0.5, area all, largest maxDets).</summary>
    public PrCurves? PrCurves { get; init; }

    /// <summary>With <c>--split</c>: AP of the base and novel categories.</summary>
    public CocoSplitResult? Split { get; init; }

    /// <summary>With <c>--voc</c>: Pascal VOC AP.</summary>
    public VocResult? Voc { get; init; }

    /// <summary>With <c>--confusion</c>: the detection confusion matrix with background.</summary>
    public DetectionConfusionMatrix? ConfusionMatrix { get; init; }

    /// <summary>The evaluation protocol (IoU type, thresholds, maxDets, area ranges).</summary>
    public required CocoProtocol Protocol { get; init; }

    /// <summary>Images, categories, annotations and detections evaluated (and skipped).</summary>
    public required CocoCounts Counts { get; init; }
}

/// <summary>The precision–recall curves of <see cref="DetectionEvaluationDocument.PrCurves"/>.</summary>
/// <param name="IouThreshold">The IoU threshold nearest 0.5 of the protocol.</param>
/// <param name="Area">Always <c>all</c>.</param>
/// <param name="MaxDets">The largest maxDets.</param>
/// <param name="Recall">The recall points (0, 0.01, ... 1 for COCO's 101).</param>
/// <param name="PerCategory">Precision at each recall point, per category (-1 where undefined, as pycocotools).</param>
public sealed record PrCurves(double IouThreshold, string Area, int MaxDets, IReadOnlyList<double> Recall, IReadOnlyList<PrCurve> PerCategory)
{
    /// <summary>
    /// Per-category precision at COCO's 101 recall points (pycocotools' eval['precision'] at the IoU threshold
    /// nearest 0.5, area all, the largest maxDets): the data of the PR curve of each class; null without categories.
    /// </summary>
    public static PrCurves? Of(CocoEvalResult r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var p = r.Protocol;
        int T = p.IouThresholds.Count, R = p.RecallPoints, A = p.AreaRanges.Count, M = p.MaxDets.Count;
        var K = r.PerCategory.Count;
        if (T == 0 || R == 0 || A == 0 || M == 0 || K == 0 || r.Precision.Length != T * R * K * A * M) return null;
        var t = Enumerable.Range(0, T).MinBy(i => Math.Abs(p.IouThresholds[i] - 0.5));
        var recall = Enumerable.Range(0, R).Select(i => R == 1 ? 0.0 : (double)i / (R - 1)).ToArray();
        var perCategory = r.PerCategory.Select((c, k) => new PrCurve(c.Id, c.Name,
            Enumerable.Range(0, R).Select(ri => r.Precision[(((t * R + ri) * K + k) * A + 0) * M + (M - 1)]).ToArray())).ToList();
        return new PrCurves(p.IouThresholds[t], "all", p.MaxDets[^1], recall, perCategory);
    }
}

/// <summary>One category's precision at each recall point.</summary>
/// <param name="Id">Category id.</param>
/// <param name="Name">Category name.</param>
/// <param name="Precision">Precision at each of <see cref="PrCurves.Recall"/>.</param>
public sealed record PrCurve(long Id, string Name, IReadOnlyList<double> Precision);
