namespace Dyno.Reports.Documents;

/// <summary>
/// The <c>eval-cls</c> result document (schema 1, docs/results.md): what <c>dyno eval cls</c> and <c>val</c> on a
/// classifier write. Members are serialized in declaration order; null ones are left out.
/// </summary>
public sealed record ClassificationDocument
{
    /// <summary>Above this many classes the confusion matrix is not written (it would be millions of cells).</summary>
    public const int MaxConfusionClasses = 1000;

    /// <summary><c>classification</c> or <c>multilabel_classification</c>.</summary>
    public required string Task { get; init; }

    /// <summary>The input file (val: the model).</summary>
    public required string File { get; init; }

    /// <summary>What the file held: <c>scores</c>, <c>logits</c>, <c>labels</c> or <c>label_sets</c>.</summary>
    public required string Input { get; init; }

    /// <summary>Samples evaluated.</summary>
    public required long Samples { get; init; }

    /// <summary>Classes (multi-label: labels).</summary>
    public required int NumClasses { get; init; }

    /// <summary>The F-beta's beta when it is not 1.</summary>
    public double? Beta { get; init; }

    /// <summary>Every metric by name (top1, f1_macro, auc_ovr_macro, ece...), each averaged one naming its averaging.</summary>
    public required IReadOnlyDictionary<string, double> Metrics { get; init; }

    /// <summary>Precision, recall, F1 (and AUC/AP with scores) of each class.</summary>
    public required IReadOnlyList<ClassificationPerClass> PerClass { get; init; }

    /// <summary>Single-label only, up to <see cref="MaxConfusionClasses"/> classes.</summary>
    public ClassificationConfusion? ConfusionMatrix { get; init; }

    /// <summary>With scores: the reliability diagram's bins.</summary>
    public ClassificationCalibration? Calibration { get; init; }

    /// <summary>The definitions the figures follow.</summary>
    public required IReadOnlyList<string> Conventions { get; init; }
}

/// <summary>One row of <see cref="ClassificationDocument.PerClass"/>.</summary>
/// <param name="Class">Class index.</param>
/// <param name="Name">Class name.</param>
/// <param name="Support">Samples of the class.</param>
/// <param name="Predicted">Samples predicted as the class.</param>
/// <param name="TruePositives">Samples of the class predicted as it.</param>
/// <param name="Precision">Precision (0 when nothing is predicted).</param>
/// <param name="Recall">Recall.</param>
/// <param name="F1">F1.</param>
/// <param name="Fbeta">F-beta when beta is not 1.</param>
/// <param name="Auc">ROC-AUC one-vs-rest, with scores.</param>
/// <param name="Ap">Average precision one-vs-rest, with scores.</param>
public sealed record ClassificationPerClass(int Class, string Name, long Support, long Predicted, long TruePositives,
    double Precision, double Recall, double F1, double? Fbeta, double? Auc, double? Ap);

/// <summary>The confusion matrix of <see cref="ClassificationDocument"/>: rows true classes, columns predicted.</summary>
/// <param name="Orientation">Always "rows are true classes, columns predicted classes".</param>
/// <param name="Labels">Class names.</param>
/// <param name="Counts">Sample counts.</param>
public sealed record ClassificationConfusion(string Orientation, IReadOnlyList<string> Labels, long[][] Counts)
{
    /// <summary>With <c>--normalize</c>: true, pred or all.</summary>
    public string? Normalization { get; init; }

    /// <summary>With <c>--normalize</c>: the normalized matrix.</summary>
    public double[][]? Normalized { get; init; }
}

/// <summary>The calibration part of <see cref="ClassificationDocument"/>.</summary>
/// <param name="Bins">Equal-width bins.</param>
/// <param name="Reliability">Each bin's confidence range, count, mean confidence and accuracy.</param>
public sealed record ClassificationCalibration(int Bins, IReadOnlyList<ClassificationReliabilityBin> Reliability);

/// <summary>One bin of the reliability diagram.</summary>
/// <param name="Lower">Lower confidence bound (exclusive, except the first bin).</param>
/// <param name="Upper">Upper confidence bound (inclusive).</param>
/// <param name="Count">Samples in the bin.</param>
/// <param name="MeanConfidence">Mean top-1 confidence in the bin.</param>
/// <param name="Accuracy">Top-1 accuracy in the bin.</param>
public sealed record ClassificationReliabilityBin(double Lower, double Upper, long Count, double MeanConfidence, double Accuracy);
