namespace Dyno.Metrics.Classification;

/// <summary>
/// Threshold-free binary ranking metrics, exact and tie-aware: ROC-AUC as scikit-learn's
/// <c>roc_auc_score</c> (trapezoids over distinct thresholds, so tied scores count one half) and
/// average precision as <c>average_precision_score</c> (the step sum Σ (Rₖ − Rₖ₋₁) Pₖ, no interpolation).
/// </summary>
public static class BinaryRanking
{
    /// <summary>
    /// ROC-AUC and AP from the scores of the positive and the negative samples. The spans are sorted in place.
    /// ROC-AUC is NaN without positives or without negatives; AP is NaN without positives.
    /// </summary>
    public static (double RocAuc, double AveragePrecision) Compute(Span<double> positives, Span<double> negatives)
    {
        long nPos = positives.Length, nNeg = negatives.Length;
        if (nPos == 0) return (double.NaN, double.NaN);
        positives.Sort();
        negatives.Sort();
        // Walk thresholds from the highest score down, consuming ties together.
        int ip = positives.Length - 1, ineg = negatives.Length - 1;
        long tp = 0, fp = 0;
        Int128 aucNumerator = 0; // Σ Δfp · (tp + tp_prev): twice the area in count units
        double ap = 0;
        while (ip >= 0 || ineg >= 0)
        {
            var t = ip < 0 ? negatives[ineg] : ineg < 0 ? positives[ip] : Math.Max(positives[ip], negatives[ineg]);
            long tpPrev = tp, fpPrev = fp;
            while (ip >= 0 && positives[ip] == t) { tp++; ip--; }
            while (ineg >= 0 && negatives[ineg] == t) { fp++; ineg--; }
            aucNumerator += (Int128)(fp - fpPrev) * (tp + tpPrev);
            if (tp > tpPrev) ap += (double)(tp - tpPrev) / nPos * ((double)tp / (tp + fp));
        }
        var auc = nNeg == 0 ? double.NaN : (double)aucNumerator / (2.0 * nPos * nNeg);
        return (auc, ap);
    }
}
