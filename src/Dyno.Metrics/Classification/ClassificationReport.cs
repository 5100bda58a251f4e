namespace Dyno.Metrics.Classification;

/// <summary>What <see cref="ClassificationAccumulator"/> computes from its inputs.</summary>
public sealed record ClassificationOptions
{
    /// <summary>The k of each top-k accuracy reported besides top-1 (k ≥ 2).</summary>
    public IReadOnlyList<int> TopK { get; init; } = [5];

    /// <summary>Number of calibration bins (ECE, MCE, reliability diagram).</summary>
    public int EceBins { get; init; } = 15;

    /// <summary>The scores are logits: probabilities are their softmax.</summary>
    public bool Logits { get; init; }

    /// <summary>The beta of the reported F-beta (F1 is always reported).</summary>
    public double Beta { get; init; } = 1;

    /// <summary>
    /// Keep every probability so ROC-AUC and PR-AUC can be computed (memory: 8 bytes × samples × classes).
    /// Without it, everything else still streams in constant memory per class.
    /// </summary>
    public bool Ranking { get; init; } = true;
}

/// <summary>A top-k accuracy: the fraction of samples whose true class is among the k highest scores.</summary>
public sealed record TopKAccuracy(int K, double Accuracy);

/// <summary>One-vs-rest ranking metrics averaged over the classes that have positive and negative samples.</summary>
/// <param name="RocAucMacro">Unweighted mean of per-class ROC-AUC.</param>
/// <param name="RocAucWeighted">Mean of per-class ROC-AUC weighted by support.</param>
/// <param name="AveragePrecisionMacro">Unweighted mean of per-class AP (PR-AUC).</param>
/// <param name="AveragePrecisionWeighted">Mean of per-class AP weighted by support.</param>
/// <param name="ClassesExcluded">Classes left out of the averages because ROC-AUC is undefined for them.</param>
public sealed record RankingScores(double RocAucMacro, double RocAucWeighted, double AveragePrecisionMacro, double AveragePrecisionWeighted, int ClassesExcluded);

/// <summary>Every single-label classification figure, as computed by <see cref="ClassificationAccumulator.Compute"/>.</summary>
public sealed record ClassificationReport
{
    /// <summary>Number of classes.</summary>
    public required int NumClasses { get; init; }

    /// <summary>Samples evaluated.</summary>
    public required long Samples { get; init; }

    /// <summary>Whether scores were given (otherwise only predicted labels: no top-k, log loss, calibration or AUC).</summary>
    public required bool HasScores { get; init; }

    /// <summary>Top-1 accuracy (the predicted class is the first arg-max of the scores).</summary>
    public required double Accuracy { get; init; }

    /// <summary>Top-k accuracies, scikit-learn's <c>top_k_accuracy_score</c> tie rule.</summary>
    public required IReadOnlyList<TopKAccuracy> TopK { get; init; }

    /// <summary>The beta of <see cref="ClassScores.FBeta"/> and <see cref="AveragedScores.FBeta"/>.</summary>
    public required double Beta { get; init; }

    /// <summary>Per-class figures, indexed by class.</summary>
    public required IReadOnlyList<ClassScores> PerClass { get; init; }

    /// <summary>Micro average (pooled counts; equals accuracy for single-label data).</summary>
    public required AveragedScores Micro { get; init; }

    /// <summary>Macro average (unweighted mean over all classes, absent ones included as 0).</summary>
    public required AveragedScores Macro { get; init; }

    /// <summary>Support-weighted average.</summary>
    public required AveragedScores Weighted { get; init; }

    /// <summary>Mean recall over the classes that occur in the labels.</summary>
    public required double BalancedAccuracy { get; init; }

    /// <summary>Mean cross-entropy (scikit-learn's clipping and renormalisation); NaN without probabilities.</summary>
    public required double LogLoss { get; init; }

    /// <summary>One-vs-rest ROC-AUC and AP averages; null when not computed.</summary>
    public RankingScores? Ranking { get; init; }

    /// <summary>Calibration of the top-1 confidence; null without probabilities.</summary>
    public CalibrationReport? Calibration { get; init; }

    /// <summary>Why some figures are missing (e.g. scores that are not probabilities).</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];

    /// <summary>The confusion matrix (rows true, columns predicted).</summary>
    public required ConfusionMatrix Confusion { get; init; }
}
