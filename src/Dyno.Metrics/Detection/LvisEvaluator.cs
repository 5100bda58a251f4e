using System.Globalization;
using System.Text.Json;

namespace Dyno.Metrics.Detection;

/// <summary>An image's LVIS federated labels: categories verified absent, and present categories whose instances are not all annotated.</summary>
internal sealed record LvisImageLabels(long[]? Neg, long[]? NotExhaustive);

/// <summary>
/// What LVIS's federated rules take out of a COCO-style evaluation, as hooks into the shared engine:
/// annotations and detections removed before matching, and detections that may never be false positives.
/// </summary>
internal sealed class FederatedRules
{
    /// <summary>Ground truth left out (indexed by annotation).</summary>
    public required bool[] GtDropped;

    /// <summary>Detections left out (indexed by detection).</summary>
    public required bool[] DtDropped;

    /// <summary>Detections of a category not exhaustively annotated in their image: ignored when unmatched.</summary>
    public required bool[] DtNotExhaustive;

    /// <summary>Removes the dropped items from a grouped order, keeping the order and moving the group starts.</summary>
    public static int[] Without(int[] order, int[] groupStart, bool[] dropped)
    {
        var kept = new int[order.Length];
        var n = 0;
        var g = 0;
        var newStart = new int[groupStart.Length];
        for (var i = 0; i < order.Length; i++)
        {
            while (g + 1 < groupStart.Length && groupStart[g + 1] <= i) newStart[++g] = n;
            if (!dropped[order[i]]) kept[n++] = order[i];
        }
        while (g + 1 < groupStart.Length) newStart[++g] = n;
        Array.Copy(newStart, groupStart, groupStart.Length);
        return kept[..n];
    }
}

/// <summary>
/// LVIS v1 federated evaluation with lvis-api's numbers (lvis-dataset/lvis-api, <c>lvis/eval.py</c>
/// <c>LVISEval</c> and <c>lvis/results.py</c> <c>LVISResults</c>), on the COCO engine:
/// <list type="bullet">
/// <item>at most 300 detections per image over all categories (the highest scores, ties in file order), cut before anything else;</item>
/// <item>ground truth and detections with area ≤ 0 are left out (<c>get_ann_ids</c> keeps area &gt; 0);</item>
/// <item>a detection is evaluated only if its category is in its image's positive set (categories with ground truth
///   there) or in the image's <c>neg_category_ids</c>; the others are dropped;</item>
/// <item>an unmatched detection of a category in the image's <c>not_exhaustive_category_ids</c> is ignored;</item>
/// <item>no crowd (every pair's IoU is the plain one), no per-category maxDets cut, one maxDets of 300;</item>
/// <item>summary AP, AP50, AP75, APs/m/l, APr/APc/APf over the categories of each <c>frequency</c> group, AR@300, ARs/m/l@300.</item>
/// </list>
/// </summary>
public static class LvisEvaluator
{
    /// <summary>Detections kept per image (LVIS's official limit).</summary>
    public const int MaxDetsPerImage = 300;

    /// <summary>lvis-api's Params: COCO's IoU thresholds, recall points and area ranges, maxDets 300.</summary>
    public static CocoEvalOptions Options(CocoIouType iouType) =>
        iouType is CocoIouType.Bbox or CocoIouType.Segm
            ? new CocoEvalOptions { IouType = iouType, MaxDets = [MaxDetsPerImage] }
            : throw new DynoInputException("LVIS evaluation is defined for bbox and segm only", nameof(iouType));

    /// <summary>Evaluates <paramref name="dt"/> against LVIS ground truth (images with <c>neg_category_ids</c> and <c>not_exhaustive_category_ids</c>, categories with <c>frequency</c>).</summary>
    /// <exception cref="InvalidDataException">The ground truth lacks LVIS's fields.</exception>
    public static CocoEvalResult Evaluate(CocoGroundTruth gt, CocoDetections dt, CocoIouType iouType = CocoIouType.Bbox)
    {
        var options = Options(iouType);
        var (neg, notExhaustive) = ImageLabels(gt);
        var freq = Frequencies(gt);
        var nImg = gt.Images.Count;
        var K = gt.Categories.Count;

        // lvis-api's get_ann_ids(..., cat_ids) keeps area > 0 (and < inf) only, for ground truth and detections alike
        var gtDropped = new bool[gt.Count];
        var positive = new HashSet<int>[nImg];
        for (var i = 0; i < nImg; i++) positive[i] = [];
        for (var a = 0; a < gt.Count; a++)
        {
            gtDropped[a] = !(gt.Area[a] > 0 && gt.Area[a] < double.PositiveInfinity);
            if (!gtDropped[a]) positive[gt.Img[a]].Add(gt.Cat[a]);
        }

        // LVISResults.limit_dets_per_image: per image, sorted(score, reverse=True) (stable) and cut at 300
        var dtDropped = new bool[dt.Count];
        var perImage = new List<int>[nImg];
        for (var d = 0; d < dt.Count; d++) (perImage[dt.Img[d]] ??= []).Add(d);
        foreach (var list in perImage)
        {
            if (list is null || list.Count <= MaxDetsPerImage) continue;
            var keys = list.Select(d => -dt.Score[d]).ToArray();
            var items = list.ToArray();
            CocoEvaluator.StableSortByKey(keys, items);
            for (var j = MaxDetsPerImage; j < items.Length; j++) dtDropped[items[j]] = true;
        }
        var notEx = new bool[dt.Count];
        for (var d = 0; d < dt.Count; d++)
        {
            if (dtDropped[d]) continue;
            int img = dt.Img[d], cat = dt.Cat[d];
            if (!(dt.Area[d] > 0 && dt.Area[d] < double.PositiveInfinity)) { dtDropped[d] = true; continue; }
            // federated: only categories known present or known absent in the image are evaluated there
            if (!positive[img].Contains(cat) && !neg[img].Contains(cat)) { dtDropped[d] = true; continue; }
            notEx[d] = notExhaustive[img].Contains(cat);
        }

        var rules = new FederatedRules { GtDropped = gtDropped, DtDropped = dtDropped, DtNotExhaustive = notEx };
        var state = CocoEvaluator.EvaluateImages(gt.WithoutCrowd(), dt, options, federated: rules);
        var evaluated = dtDropped.Count(x => !x);
        var r = CocoEvaluator.Summarize(state, gt.Categories, new CocoCounts
        {
            Images = nImg,
            Categories = K,
            GtAnnotations = gt.Count,
            GtCrowd = 0,
            Detections = evaluated,
            Skipped = dt.Skipped.Count > 0 ? dt.Skipped : null,
        });

        var thr = state.IouThr;
        var R = options.RecallThresholds.Count;
        var labels = options.AreaRanges.Select(a => a.Label).ToArray();
        var md = state.MaxDets;
        double Stat(bool ap, double? iou, string area, char? group = null) =>
            CocoEvaluator.SliceMean(r.Precision, r.Recall, thr, R, K, labels, md, ap, iou, area, MaxDetsPerImage, k => group is null || freq[k] == group);
        var m = MaxDetsPerImage.ToString(CultureInfo.InvariantCulture);
        var stats = new Dictionary<string, double>
        {
            ["AP"] = Stat(true, null, "all"),
            ["AP50"] = Stat(true, .5, "all"),
            ["AP75"] = Stat(true, .75, "all"),
            ["APs"] = Stat(true, null, "small"),
            ["APm"] = Stat(true, null, "medium"),
            ["APl"] = Stat(true, null, "large"),
            ["APr"] = Stat(true, null, "all", 'r'),
            ["APc"] = Stat(true, null, "all", 'c'),
            ["APf"] = Stat(true, null, "all", 'f'),
            ["AR@" + m] = Stat(false, null, "all"),
            ["ARs@" + m] = Stat(false, null, "small"),
            ["ARm@" + m] = Stat(false, null, "medium"),
            ["ARl@" + m] = Stat(false, null, "large"),
        };
        return r with
        {
            Stats = stats,
            Protocol = r.Protocol with
            {
                Name = "lvis",
                CocoDefault = false,
                Reference = "lvis-api LVISEval (LVIS v1 federated: neg/not-exhaustive category sets, 300 detections per image, r/c/f groups)",
            },
        };
    }

    /// <summary>Each image's negative and not-exhaustive category sets (category indices); both keys are required on every image.</summary>
    private static (HashSet<int>[] Neg, HashSet<int>[] NotExhaustive) ImageLabels(CocoGroundTruth gt)
    {
        var neg = new HashSet<int>[gt.Images.Count];
        var nel = new HashSet<int>[gt.Images.Count];
        for (var i = 0; i < gt.Images.Count; i++)
        {
            var id = gt.Images[i].Id;
            LvisImageLabels? l = null;
            if (!gt.HasStringImageIds) gt.LvisImages?.TryGetValue(id, out l);
            if (l?.Neg is null) throw JsonInput.Bad(gt.Source, $"images (id {gt.Images[i].Label})", "no 'neg_category_ids' (LVIS federated evaluation needs 'neg_category_ids' and 'not_exhaustive_category_ids' on every image)");
            if (l.NotExhaustive is null) throw JsonInput.Bad(gt.Source, $"images (id {gt.Images[i].Label})", "no 'not_exhaustive_category_ids' (LVIS federated evaluation needs 'neg_category_ids' and 'not_exhaustive_category_ids' on every image)");
            neg[i] = Indices(gt, l.Neg);
            nel[i] = Indices(gt, l.NotExhaustive);
        }
        return (neg, nel);
    }

    // ids that are not categories of the file can match no detection (every detection's category is checked)
    private static HashSet<int> Indices(CocoGroundTruth gt, long[] ids) =>
        ids.Select(c => gt.CategoryIndex.TryGetValue(c, out var k) ? k : -1).Where(k => k >= 0).ToHashSet();

    private static char[] Frequencies(CocoGroundTruth gt)
    {
        var f = new char[gt.Categories.Count];
        for (var k = 0; k < f.Length; k++)
        {
            var id = gt.Categories[k].Id;
            string? v = null;
            gt.CategoryFrequency?.TryGetValue(id, out v);
            f[k] = v switch
            {
                "r" or "c" or "f" => v[0],
                null => throw JsonInput.Bad(gt.Source, $"categories (id {id})", "no 'frequency' (LVIS groups categories by frequency r, c or f for APr/APc/APf)"),
                _ => throw JsonInput.Bad(gt.Source, $"categories (id {id})", $"'frequency' is '{v}', expected \"r\", \"c\" or \"f\""),
            };
        }
        return f;
    }

    /// <summary>A list of integer ids (an integral float such as 3.0 counts, as in Python); null if it is anything else.</summary>
    internal static long[]? ReadIdList(ref Utf8JsonReader r)
    {
        if (r.TokenType != JsonTokenType.StartArray)
        {
            JsonInput.SkipValue(ref r);
            return null;
        }
        var ids = new List<long>();
        var ok = true;
        while (r.Read() && r.TokenType != JsonTokenType.EndArray)
        {
            if (JsonInput.TryId(ref r, out var id)) ids.Add(id);
            else
            {
                ok = false;
                if (r.TokenType is JsonTokenType.StartArray or JsonTokenType.StartObject) JsonInput.SkipValue(ref r);
            }
        }
        return ok ? ids.ToArray() : null;
    }
}
