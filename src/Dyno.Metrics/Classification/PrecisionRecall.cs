namespace Dyno.Metrics.Classification;

/// <summary>One class's figures: counts, precision, recall, F1, F-beta and (with scores) ROC-AUC and AP one-vs-rest.</summary>
/// <param name="Class">Class index.</param>
/// <param name="Support">Samples whose true class is this one.</param>
/// <param name="Predicted">Samples predicted as this class.</param>
/// <param name="TruePositives">Samples of this class predicted as this class.</param>
/// <param name="Precision">TP / predicted; 0 when nothing was predicted as this class (scikit-learn's zero_division).</param>
/// <param name="Recall">TP / support; 0 when the class never occurs.</param>
/// <param name="F1">Harmonic mean of precision and recall; 0 when both are 0.</param>
/// <param name="FBeta">F-beta with the report's beta.</param>
/// <param name="RocAuc">ROC-AUC of this class against the rest; NaN when the class has no positive or no negative sample.</param>
/// <param name="AveragePrecision">Average precision (area under the step PR curve); NaN when the class has no positive sample.</param>
public sealed record ClassScores(
    int Class, long Support, long Predicted, long TruePositives,
    double Precision, double Recall, double F1, double FBeta,
    double RocAuc = double.NaN, double AveragePrecision = double.NaN);

/// <summary>Precision, recall, F1 and F-beta under one averaging (<c>micro</c>, <c>macro</c>, <c>weighted</c>, <c>samples</c>).</summary>
public sealed record AveragedScores(string Averaging, double Precision, double Recall, double F1, double FBeta);

/// <summary>Precision/recall/F from counts, exactly as scikit-learn's <c>precision_recall_fscore_support</c> (zero_division=0).</summary>
public static class PrecisionRecall
{
    /// <summary>Precision, recall, F1 and F-beta of one (tp, predicted, support) triple.</summary>
    public static (double Precision, double Recall, double F1, double FBeta) FromCounts(double tp, double predicted, double support, double beta)
    {
        var precision = predicted == 0 ? 0 : tp / predicted;
        var recall = support == 0 ? 0 : tp / support;
        return (precision, recall, FScore(precision, recall, 1), FScore(precision, recall, beta));
    }

    /// <summary>F-beta from precision and recall in scikit-learn's operation order; 0 when both are 0.</summary>
    public static double FScore(double precision, double recall, double beta)
    {
        var b2 = beta * beta;
        var denom = b2 * precision + recall;
        if (denom == 0) denom = 1;
        return (1 + b2) * precision * recall / denom;
    }

    /// <summary>Per-class scores and the micro, macro and weighted (by support) averages of a confusion matrix.</summary>
    public static (ClassScores[] PerClass, AveragedScores Micro, AveragedScores Macro, AveragedScores Weighted) FromConfusion(ConfusionMatrix cm, double beta)
    {
        var n = cm.NumClasses;
        var tp = cm.Diagonal();
        var pred = cm.PredictedCounts();
        var support = cm.TrueCounts();
        var perClass = new ClassScores[n];
        for (var c = 0; c < n; c++)
        {
            var (p, r, f1, fb) = FromCounts(tp[c], pred[c], support[c], beta);
            perClass[c] = new ClassScores(c, support[c], pred[c], tp[c], p, r, f1, fb);
        }
        var (mp, mr, mf1, mfb) = FromCounts(tp.Sum(), pred.Sum(), support.Sum(), beta);
        var micro = new AveragedScores("micro", mp, mr, mf1, mfb);
        var macro = new AveragedScores("macro",
            Mean(perClass, s => s.Precision), Mean(perClass, s => s.Recall), Mean(perClass, s => s.F1), Mean(perClass, s => s.FBeta));
        var weighted = new AveragedScores("weighted",
            Weighted(perClass, s => s.Precision), Weighted(perClass, s => s.Recall), Weighted(perClass, s => s.F1), Weighted(perClass, s => s.FBeta));
        return (perClass, micro, macro, weighted);
    }

    /// <summary>Balanced accuracy: the mean recall over classes that occur (scikit-learn drops absent classes).</summary>
    public static double BalancedAccuracy(ConfusionMatrix cm)
    {
        var tp = cm.Diagonal();
        var support = cm.TrueCounts();
        double sum = 0;
        var present = 0;
        for (var c = 0; c < cm.NumClasses; c++)
        {
            if (support[c] == 0) continue;
            sum += (double)tp[c] / support[c];
            present++;
        }
        return present == 0 ? double.NaN : sum / present;
    }

    private static double Mean(ClassScores[] s, Func<ClassScores, double> f)
    {
        double sum = 0;
        foreach (var x in s) sum += f(x);
        return sum / s.Length;
    }

    private static double Weighted(ClassScores[] s, Func<ClassScores, double> f)
    {
        double sum = 0, w = 0;
        foreach (var x in s)
        {
            sum += f(x) * x.Support;
            w += x.Support;
        }
        return w == 0 ? 0 : sum / w;
    }
}
