using System.Runtime.CompilerServices;

namespace Dyno.Metrics.Tracking;

/// <summary>
/// TrackEval's box IoU between the ground-truth and predicted boxes of each frame, kept sparse (only
/// pairs with IoU &gt; 0). Computed once per sequence and shared by preprocessing and evaluation.
/// </summary>
internal sealed class FrameOverlaps
{
    private FrameOverlaps(int first, int frames, int[] gtStart, int[] predStart, int[] rowStart, int[] col, double[] val)
    {
        First = first; Frames = frames; GtStart = gtStart; PredStart = predStart; RowStart = rowStart; Col = col; Val = val;
    }

    public int First { get; }
    public int Frames { get; }
    /// <summary>Ground-truth rows of frame t: GtStart[t]..GtStart[t+1].</summary>
    public int[] GtStart { get; }
    public int[] PredStart { get; }
    /// <summary>Entries of ground-truth row r: RowStart[r]..RowStart[r+1], with the prediction row (table index) and IoU.</summary>
    public int[] RowStart { get; }
    public int[] Col { get; }
    public double[] Val { get; }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static FrameOverlaps Compute(TrackTable gt, TrackTable pred, int first, int frames)
    {
        var gs = gt.FrameStarts(first, frames);
        var ps = pred.FrameStarts(first, frames);
        var rowStart = new int[gt.Count + 1];
        var col = new List<int>(gt.Count * 2);
        var val = new List<double>(gt.Count * 2);
        // Corner form once, as TrackEval converts xywh → x1y1x2y2 before the IoU.
        var px2 = new double[pred.Count];
        var py2 = new double[pred.Count];
        for (var j = 0; j < pred.Count; j++) { px2[j] = pred.X[j] + pred.W[j]; py2[j] = pred.Y[j] + pred.H[j]; }
        var px = pred.X; var py = pred.Y;
        for (var t = 0; t < frames; t++)
        {
            int k0 = ps[t], k1 = ps[t + 1];
            for (var d = gs[t]; d < gs[t + 1]; d++)
            {
                rowStart[d] = col.Count;
                double ax1 = gt.X[d], ay1 = gt.Y[d];
                double ax2 = ax1 + gt.W[d], ay2 = ay1 + gt.H[d];
                for (var j = k0; j < k1; j++)
                {
                    // Disjoint boxes have IoU exactly 0 in TrackEval's formula as well.
                    if (Math.Min(ax2, px2[j]) - Math.Max(ax1, px[j]) <= 0 || Math.Min(ay2, py2[j]) - Math.Max(ay1, py[j]) <= 0) continue;
                    var iou = TrackingIou.TrackEval(ax1, ay1, ax2, ay2, px[j], py[j], px2[j], py2[j]);
                    if (iou > 0) { col.Add(j); val.Add(iou); }
                }
            }
        }
        rowStart[gt.Count] = col.Count;
        return new FrameOverlaps(first, frames, gs, ps, rowStart, col.ToArray(), val.ToArray());
    }

    /// <summary>Checks that every row's frame lies in first..first+frames−1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void CheckRange(TrackTable tab, string what, string seq, int first, int frames)
    {
        for (var i = 0; i < tab.Count; i++)
        {
            var t = tab.Frame[i] - first;
            if (t < 0 || t >= frames)
                throw new InvalidDataException($"{seq}: {what} line {tab.Line[i]}: frame {tab.Frame[i]} is outside the sequence's frames {first}..{first + frames - 1}");
        }
    }
}
