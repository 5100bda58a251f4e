using System.Text.Json.Serialization;

namespace Dyno.Metrics.Detection;

/// <summary>Pascal VOC AP of one category; −1 without non-difficult ground truth.</summary>
public sealed record VocCategoryAp(long Id, string Name,
    [property: JsonPropertyName("AP_11point")] double Ap11Point,
    [property: JsonPropertyName("AP_allpoint")] double ApAllPoint,
    int NumGt, int NumDt);

/// <summary>Pascal VOC evaluation: per-category AP (VOC2007 11-point and VOC2010+ all-point) and their means.</summary>
public sealed record VocResult
{
    /// <summary>IoU threshold (a match needs IoU strictly greater, as in voc_eval.py).</summary>
    public double IouThreshold { get; init; }

    /// <summary>Whether widths and heights got VOC's +1 pixel.</summary>
    public bool PixelPlusOne { get; init; }

    /// <summary>Mean 11-point AP over categories with ground truth.</summary>
    [JsonPropertyName("mAP_11point")] public double MeanAp11Point { get; init; }

    /// <summary>Mean all-point AP over categories with ground truth.</summary>
    [JsonPropertyName("mAP_allpoint")] public double MeanApAllPoint { get; init; }

    /// <summary>Per category, sorted by id.</summary>
    public IReadOnlyList<VocCategoryAp> PerCategory { get; init; } = [];
}

/// <summary>
/// Pascal VOC AP following the devkit's <c>voc_eval.py</c>: per category, detections by descending
/// score; each takes the ground truth of its image with the highest IoU; IoU &gt; threshold and not yet
/// taken → TP, already taken → FP (no second choice, unlike COCO), a "difficult" ground truth (COCO's
/// iscrowd) → neither; recall = TP / non-difficult ground truth, precision = TP / max(TP + FP, eps).
/// Equal scores keep file order (the devkit's quicksort leaves them unspecified).
/// </summary>
public static class VocEvaluator
{
    /// <summary>Evaluates box detections with VOC's rules.</summary>
    public static VocResult Evaluate(CocoGroundTruth gt, CocoDetections dt, double iouThreshold = 0.5, bool pixelPlusOne = false)
    {
        var K = gt.Categories.Count;
        var gtByCell = new Dictionary<(int Img, int Cat), List<int>>();
        for (var i = 0; i < gt.Count; i++)
        {
            if (!gtByCell.TryGetValue((gt.Img[i], gt.Cat[i]), out var l)) gtByCell[(gt.Img[i], gt.Cat[i])] = l = [];
            l.Add(i);
        }
        var dtByCat = new List<int>[K];
        for (var k = 0; k < K; k++) dtByCat[k] = [];
        for (var i = 0; i < dt.Count; i++) dtByCat[dt.Cat[i]].Add(i);
        var per = new VocCategoryAp[K];
        Parallelism.For(0, K, k =>
        {
            var npos = 0;
            for (var i = 0; i < gt.Count; i++) if (gt.Cat[i] == k && !gt.Crowd[i]) npos++;
            var dets = dtByCat[k].ToArray();
            var keys = dets.Select(i => -dt.Score[i]).ToArray();
            CocoEvaluator.StableSortByKey(keys, dets);
            var taken = new HashSet<int>();
            var rec = new List<double>(dets.Length);
            var prec = new List<double>(dets.Length);
            double tp = 0, fp = 0;
            foreach (var d in dets)
            {
                var best = double.NegativeInfinity;
                var jmax = -1;
                if (gtByCell.TryGetValue((dt.Img[d], k), out var cands))
                    foreach (var g in cands)
                    {
                        var o = Iou(dt.X[d], dt.Y[d], dt.W[d], dt.H[d], gt.X[g], gt.Y[g], gt.W[g], gt.H[g], pixelPlusOne);
                        if (o > best) { best = o; jmax = g; }
                    }
                if (best > iouThreshold)
                {
                    if (gt.Crowd[jmax]) continue; // difficult: neither TP nor FP
                    if (taken.Add(jmax)) tp++; else fp++;
                }
                else fp++;
                rec.Add(tp / npos);
                prec.Add(tp / Math.Max(tp + fp, 2.220446049250313e-16)); // np.finfo(np.float64).eps
            }
            per[k] = npos == 0
                ? new VocCategoryAp(gt.Categories[k].Id, gt.Categories[k].Name, -1, -1, 0, dets.Length)
                : new VocCategoryAp(gt.Categories[k].Id, gt.Categories[k].Name, Ap11(rec, prec), ApAll(rec, prec), npos, dets.Length);
        });
        var valid = per.Where(p => p.NumGt > 0).ToArray();
        return new VocResult
        {
            IouThreshold = iouThreshold,
            PixelPlusOne = pixelPlusOne,
            MeanAp11Point = valid.Length == 0 ? -1 : NumpyCompat.Mean(valid.Select(p => p.Ap11Point).ToArray()),
            MeanApAllPoint = valid.Length == 0 ? -1 : NumpyCompat.Mean(valid.Select(p => p.ApAllPoint).ToArray()),
            PerCategory = per,
        };
    }

    private static double Iou(double dx, double dy, double dw, double dh, double gx, double gy, double gw, double gh, bool plusOne)
    {
        var one = plusOne ? 1.0 : 0.0;
        var iw = Math.Max(Math.Min(dx + dw, gx + gw) - Math.Max(dx, gx) + one, 0);
        var ih = Math.Max(Math.Min(dy + dh, gy + gh) - Math.Max(dy, gy) + one, 0);
        var inter = iw * ih;
        var uni = (dw + one) * (dh + one) + (gw + one) * (gh + one) - inter;
        return uni > 0 ? inter / uni : 0;
    }

    /// <summary>VOC2007: mean over recall 0, 0.1, ..., 1 (np.arange) of the best precision at recall ≥ t.</summary>
    private static double Ap11(List<double> rec, List<double> prec)
    {
        var ap = 0.0;
        for (var i = 0; i < 11; i++)
        {
            var t = i * 0.1;
            var p = 0.0;
            for (var j = 0; j < rec.Count; j++) if (rec[j] >= t) p = Math.Max(p, prec[j]);
            ap += p / 11;
        }
        return ap;
    }

    /// <summary>VOC2010+: area under the monotone precision envelope, summed over recall changes.</summary>
    private static double ApAll(List<double> rec, List<double> prec)
    {
        var n = rec.Count + 2;
        var mrec = new double[n];
        var mpre = new double[n];
        mrec[^1] = 1;
        for (var i = 0; i < rec.Count; i++) { mrec[i + 1] = rec[i]; mpre[i + 1] = prec[i]; }
        for (var i = n - 1; i > 0; i--) mpre[i - 1] = Math.Max(mpre[i - 1], mpre[i]);
        var terms = new List<double>();
        for (var i = 0; i < n - 1; i++)
            if (mrec[i + 1] != mrec[i]) terms.Add((mrec[i + 1] - mrec[i]) * mpre[i + 1]);
        return NumpyCompat.Sum(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(terms));
    }
}
