using Dyno.Metrics.Boxes;

namespace Dyno.Metrics.Detection;

/// <summary>
/// A detection confusion matrix with a background row and column, after Ultralytics' <c>ConfusionMatrix</c>:
/// <c>Counts[predicted][actual]</c>, index = category position (sorted ids), the last index = background.
/// </summary>
public sealed record DetectionConfusionMatrix
{
    /// <summary>Category ids in index order (background is the extra last index).</summary>
    public IReadOnlyList<long> CategoryIds { get; init; } = [];

    /// <summary>Category names in index order, then "background".</summary>
    public IReadOnlyList<string> Labels { get; init; } = [];

    /// <summary>[predicted, actual] counts, (K + 1) × (K + 1).</summary>
    public IReadOnlyList<IReadOnlyList<long>> Counts { get; init; } = [];

    /// <summary>Detections with score ≥ this are considered.</summary>
    public double ScoreThreshold { get; init; }

    /// <summary>A pair matches when IoU is strictly greater than this.</summary>
    public double IouThreshold { get; init; }

    /// <summary>
    /// Builds the matrix. Per image: detections with score ≥ <paramref name="scoreThreshold"/>; every
    /// (ground truth, detection) pair with IoU &gt; <paramref name="iouThreshold"/>, whatever the classes, is a
    /// candidate; candidates are taken by descending IoU (ties: lower ground-truth, then detection index,
    /// in file order), each ground truth and detection at most once. A matched pair counts at
    /// [detected class, true class]; an unmatched ground truth at [background, true class]; an unmatched
    /// detection at [detected class, background]. Crowd ground truth is left out.
    /// </summary>
    public static DetectionConfusionMatrix Compute(CocoGroundTruth gt, CocoDetections dt, double scoreThreshold = 0.25, double iouThreshold = 0.45)
    {
        var K = gt.Categories.Count;
        var m = new long[K + 1, K + 1];
        var gtByImg = new List<int>[gt.Images.Count];
        var dtByImg = new List<int>[gt.Images.Count];
        for (var i = 0; i < gt.Count; i++) if (!gt.Crowd[i]) (gtByImg[gt.Img[i]] ??= []).Add(i);
        for (var i = 0; i < dt.Count; i++) if (dt.Score[i] >= scoreThreshold) (dtByImg[dt.Img[i]] ??= []).Add(i);
        for (var img = 0; img < gt.Images.Count; img++)
        {
            var gs = gtByImg[img] ?? [];
            var ds = dtByImg[img] ?? [];
            var gBoxes = gs.Select(i => Box.FromXywh(gt.X[i], gt.Y[i], gt.W[i], gt.H[i])).ToArray();
            var dBoxes = ds.Select(i => Box.FromXywh(dt.X[i], dt.Y[i], dt.W[i], dt.H[i])).ToArray();
            var iou = PairwiseIou.Compute(gBoxes, dBoxes);
            var pairs = new List<(double Iou, int G, int D)>();
            for (var g = 0; g < gs.Count; g++)
                for (var d = 0; d < ds.Count; d++)
                    if (iou[g, d] > iouThreshold) pairs.Add((iou[g, d], g, d));
            pairs.Sort((a, b) => a.Iou != b.Iou ? b.Iou.CompareTo(a.Iou) : a.G != b.G ? a.G.CompareTo(b.G) : a.D.CompareTo(b.D));
            var gMatch = new int[gs.Count];
            var dMatched = new bool[ds.Count];
            Array.Fill(gMatch, -1);
            foreach (var (_, g, d) in pairs)
            {
                if (gMatch[g] >= 0 || dMatched[d]) continue;
                gMatch[g] = d;
                dMatched[d] = true;
            }
            for (var g = 0; g < gs.Count; g++)
                m[gMatch[g] >= 0 ? dt.Cat[ds[gMatch[g]]] : K, gt.Cat[gs[g]]]++;
            for (var d = 0; d < ds.Count; d++)
                if (!dMatched[d]) m[dt.Cat[ds[d]], K]++;
        }
        var rows = new List<IReadOnlyList<long>>(K + 1);
        for (var p = 0; p <= K; p++)
        {
            var row = new long[K + 1];
            for (var a = 0; a <= K; a++) row[a] = m[p, a];
            rows.Add(row);
        }
        return new DetectionConfusionMatrix
        {
            CategoryIds = gt.Categories.Select(c => c.Id).ToArray(),
            Labels = gt.Categories.Select(c => c.Name).Append("background").ToArray(),
            Counts = rows,
            ScoreThreshold = scoreThreshold,
            IouThreshold = iouThreshold,
        };
    }
}
