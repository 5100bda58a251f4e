using Dyno.Metrics.Boxes;
using Dyno.Metrics.Losses;

namespace Dyno.Metrics.Assignment;

/// <summary>How the DETR matcher prices classification.</summary>
public enum MatchClassCost
{
    /// <summary>DETR: −softmax(logits)[target class] (logits include the no-object column).</summary>
    Softmax,

    /// <summary>Deformable DETR / DINO: focal cost α(1−p)^γ(−log p) − (1−α)p^γ(−log(1−p)) with p = σ(logit).</summary>
    Focal,
}

/// <summary>A one-to-one query ↔ target matching, sorted by query, with the full cost matrix (queries × targets).</summary>
public sealed record DetrMatch(int[] Queries, int[] Targets, double TotalCost, double[] Cost);

/// <summary>
/// DETR's Hungarian matcher: cost = w_class·C_class + w_L1·‖b − b̂‖₁ (cx, cy, w, h) + w_GIoU·(−GIoU(b, b̂))
/// between every query and every target of one image, solved with <see cref="LinearAssignment"/>
/// (SciPy's order, as DETR calls <c>linear_sum_assignment</c>). Defaults are DETR's (1, 5, 2); Deformable
/// DETR uses the focal class cost with weight 2. Boxes are (cx, cy, w, h), normalised or in pixels alike.
/// </summary>
public sealed record HungarianMatcher(double ClassWeight = 1, double L1Weight = 5, double GIoUWeight = 2,
    MatchClassCost ClassCost = MatchClassCost.Softmax, double FocalAlpha = 0.25, double FocalGamma = 2)
{
    /// <summary>Matches <c>queries × classes</c> logits and <c>queries × 4</c> boxes to the targets.</summary>
    public DetrMatch Match(ReadOnlySpan<double> logits, int classes, ReadOnlySpan<double> predBoxes,
        ReadOnlySpan<int> targetLabels, ReadOnlySpan<double> targetBoxes)
    {
        if (classes <= 0 || logits.Length % classes != 0)
            throw new ArgumentException($"matcher: {logits.Length} logits is not a whole number of rows of {classes} classes");
        var q = logits.Length / classes;
        var t = targetLabels.Length;
        if (predBoxes.Length != 4 * q) throw new ArgumentException($"matcher: {predBoxes.Length / 4.0} predicted boxes for {q} queries");
        if (targetBoxes.Length != 4 * t) throw new ArgumentException($"matcher: {targetBoxes.Length / 4.0} target boxes for {t} labels");

        var classCost = new double[q * classes];
        var logp = new double[classes];
        var prob = new double[classes];
        for (var i = 0; i < q; i++)
        {
            var row = logits.Slice(i * classes, classes);
            if (ClassCost == MatchClassCost.Softmax)
            {
                LossMath.Softmax(row, prob, logp);
                for (var c = 0; c < classes; c++) classCost[i * classes + c] = -prob[c];
            }
            else
            {
                for (var c = 0; c < classes; c++)
                {
                    var p = LossMath.SigmoidTerms(row[c]).P;
                    var neg = (1 - FocalAlpha) * Math.Pow(p, FocalGamma) * -Math.Log(1 - p + 1e-8);
                    var pos = FocalAlpha * Math.Pow(1 - p, FocalGamma) * -Math.Log(p + 1e-8);
                    classCost[i * classes + c] = pos - neg;
                }
            }
        }

        var cost = new double[q * t];
        for (var i = 0; i < q; i++)
        {
            var pb = Box.FromCxcywh(predBoxes[4 * i], predBoxes[4 * i + 1], predBoxes[4 * i + 2], predBoxes[4 * i + 3]);
            for (var j = 0; j < t; j++)
            {
                var c = targetLabels[j];
                if ((uint)c >= (uint)classes) throw new ArgumentException($"matcher: label {c} of target {j} is outside [0, {classes})");
                var l1 = 0.0;
                for (var k = 0; k < 4; k++) l1 += Math.Abs(predBoxes[4 * i + k] - targetBoxes[4 * j + k]);
                var tb = Box.FromCxcywh(targetBoxes[4 * j], targetBoxes[4 * j + 1], targetBoxes[4 * j + 2], targetBoxes[4 * j + 3]);
                cost[i * t + j] = ClassWeight * classCost[i * classes + c] + L1Weight * l1 - GIoUWeight * BoxIou.GIoU(pb, tb);
            }
        }
        var r = LinearAssignment.Solve(cost, q, t);
        return new DetrMatch(r.Rows, r.Columns, r.TotalCost, cost);
    }
}
