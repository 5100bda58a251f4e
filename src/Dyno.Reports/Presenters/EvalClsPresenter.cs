using System.Globalization;
using Dyno.Reports.Charts;
using Dyno.Reports.Documents;
using Dyno.Results;

namespace Dyno.Reports.Presenters;

/// <summary>
/// Presents an <c>eval-cls</c> result (<see cref="ClassificationDocument"/>): every metric with its definition, per class
/// (or label), the confusion matrix (its top confusions above 20 classes) and the reliability bins; the report adds F1
/// per class, the confusion chart and the reliability diagram.
/// </summary>
public sealed class EvalClsPresenter : IResultPresenter<ClassificationDocument>
{
    /// <summary>The one instance (it has no settings).</summary>
    public static EvalClsPresenter Instance { get; } = new();

    /// <summary>Most classes whose confusion matrix is shown as a table; above, its top confusions.</summary>
    public const int MaxMatrixClasses = 20;

    /// <inheritdoc/>
    public string Kind => ResultKinds.EvalCls;

    /// <summary>What the metric <paramref name="key"/> of <paramref name="d"/> is, in words (the definition column).</summary>
    public static string Definition(string key, ClassificationDocument d)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(d);
        var bins = d.Calibration?.Bins.ToString(CultureInfo.InvariantCulture) ?? "?";
        switch (key)
        {
            case "subset_accuracy": return "exact match of the label set";
            case "hamming_loss": return "wrong (sample, label) pairs / all pairs";
            case "top1": return "accuracy of the arg-max class (first index on ties)";
            case "balanced_accuracy": return "mean recall over classes present in the labels";
            case "auc_ovr_macro": return "ROC-AUC one-vs-rest, unweighted mean over classes";
            case "auc_ovr_weighted": return "ROC-AUC one-vs-rest, weighted by support";
            case "ap_ovr_macro": return "PR-AUC (average precision) one-vs-rest, unweighted mean";
            case "ap_ovr_weighted": return "PR-AUC (average precision) one-vs-rest, weighted by support";
            case "log_loss": return "mean cross-entropy, probabilities clipped to [eps, 1-eps] and renormalised";
            case "ece": return $"expected calibration error of the top-1 confidence, {bins} equal-width bins";
            case "ece_equal_mass": return $"ECE over {bins} equal-mass bins";
            case "mce": return "maximum calibration error over non-empty equal-width bins";
        }
        if (key.StartsWith("top", StringComparison.Ordinal) && int.TryParse(key.AsSpan(3), NumberStyles.None, CultureInfo.InvariantCulture, out var k))
            return $"true class among the {k} highest scores (scikit-learn tie rule)";
        var cut = key.LastIndexOf('_');
        if (cut > 0)
        {
            var how = key[(cut + 1)..] switch
            {
                "micro" => "pooled counts over all classes",
                "macro" => "unweighted mean over classes",
                "weighted" => "mean over classes weighted by support",
                _ => "mean over samples",
            };
            switch (key[..cut])
            {
                case "precision": return "precision, " + how;
                case "recall": return "recall, " + how;
                case "f1": return "F1, " + how;
                case "fbeta": return $"F-beta (beta={(d.Beta ?? 1).ToString(CultureInfo.InvariantCulture)}), " + how;
            }
        }
        return "";
    }

    /// <inheritdoc/>
    public IReadOnlyList<KeyFigure> Headline(ClassificationDocument d)
    {
        (string Key, string Label, string Note)[] keys =
        [
            ("top1", "Top-1", "accuracy"), ("top5", "Top-5", "accuracy"), ("f1_macro", "F1 (macro)", "unweighted mean over classes"),
            ("f1_weighted", "F1 (weighted)", "weighted by support"), ("auc_ovr_macro", "ROC-AUC (OvR macro)", "one-vs-rest, macro"),
            ("ece", "ECE", "equal-width bins"), ("log_loss", "Log loss", "nats"), ("subset_accuracy", "Subset accuracy", "multi-label"),
        ];
        return keys.Where(k => d.Metrics.TryGetValue(k.Key, out var v) && double.IsFinite(v))
            .Select(k => new KeyFigure(k.Label, d.Metrics[k.Key].ToString("0.####", CultureInfo.InvariantCulture), k.Note)).ToList();
    }

    /// <inheritdoc/>
    public IReadOnlyList<ResultTable> Tables(ClassificationDocument d)
    {
        var tables = new List<ResultTable>
        {
            Present.Table("Classification metrics", d.Metrics,
                Present.Name<KeyValuePair<string, double>>("metric", m => m.Key), new("value", m => Fmt.Num(m.Value, 4)),
                Present.Name<KeyValuePair<string, double>>("definition", m => Definition(m.Key, d))),
        };
        var hasRanking = d.Metrics.ContainsKey("auc_ovr_macro");
        var perClass = new List<Column<ClassificationPerClass>>
        {
            Present.Name<ClassificationPerClass>("class", c => c.Name), new("support", c => Fmt.Int(c.Support)), new("predicted", c => Fmt.Int(c.Predicted)),
            new("precision", c => Fmt.Num(c.Precision, 4)), new("recall", c => Fmt.Num(c.Recall, 4)), new("f1", c => Fmt.Num(c.F1, 4)),
        };
        if (hasRanking)
        {
            perClass.Add(new("roc_auc", c => Fmt.Num(c.Auc ?? double.NaN, 4)));
            perClass.Add(new("ap", c => Fmt.Num(c.Ap ?? double.NaN, 4)));
        }
        tables.Add(Present.Table(d.Task == "multilabel_classification" ? "Per label" : "Per class", d.PerClass, perClass));
        if (d.ConfusionMatrix is { } cm)
        {
            var names = cm.Labels;
            var title = cm.Normalization is null ? "Confusion matrix" : $"Confusion matrix (normalized: {cm.Normalization})";
            var top = ConfusionList.Build($"Top confusions ({names.Count} classes)", "true", "predicted", names, names, (t, p) => cm.Counts[t][p]);
            if (names.Count <= MaxMatrixClasses)
            {
                var cols = new List<ResultColumn> { new("true \\ pred") };
                cols.AddRange(names.Select(n => new ResultColumn(n, ColumnAlign.Right)));
                tables.Add(new ResultTable(title, cols, Enumerable.Range(0, names.Count).Select(t => (IReadOnlyList<string>)
                    [names[t], .. Enumerable.Range(0, names.Count).Select(p => cm.Normalized is { } n ? Fmt.Num(n[t][p], 3) : Fmt.Int(cm.Counts[t][p]))]).ToArray())
                    { WhenTooWide = top });
            }
            else tables.Add(top);
        }
        if (d.Calibration is { } cal)
            tables.Add(Present.Table("Reliability diagram (equal-width bins)", cal.Reliability,
                Present.Name<ClassificationReliabilityBin>("bin", x => $"({x.Lower.ToString("0.###", CultureInfo.InvariantCulture)}, {x.Upper.ToString("0.###", CultureInfo.InvariantCulture)}]"),
                new("count", x => Fmt.Int(x.Count)), new("confidence", x => Fmt.Num(x.MeanConfidence, 4)), new("accuracy", x => Fmt.Num(x.Accuracy, 4)),
                new("gap", x => Fmt.Num(Math.Abs(x.Accuracy - x.MeanConfidence), 4))));
        return tables;
    }

    /// <inheritdoc/>
    public IReadOnlyList<string> Notes(ClassificationDocument d) => d.Conventions;

    /// <inheritdoc/>
    public ReportSection Section(ClassificationDocument d, string? source, string id)
    {
        var s = Present.Section(this, d, $"Classification: {source ?? "result"}", source);
        var names = d.PerClass.Select(c => c.Name).ToList();
        if (d.PerClass.Count is > 0 and <= 100)
            s.Figures.Add(new($"{id}-f1", "F1 per class", ChartKit.Bars("F1 per class", names, d.PerClass.Select(c => double.IsFinite(c.F1) ? c.F1 : 0).ToList(), "F1"),
                "F1 = 2PR/(P+R) of each class (one-vs-rest at the predicted label); 0 where undefined."));
        if (d.ConfusionMatrix is { Counts.Length: > 0 } cm)
        {
            var n = cm.Counts.Length;
            var grid = new long[n, cm.Counts[0].Length];
            for (var i = 0; i < n; i++)
                for (var j = 0; j < cm.Counts[i].Length; j++) grid[i, j] = cm.Counts[i][j];
            var labels = cm.Labels.Count == n ? cm.Labels : Enumerable.Range(0, n).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToList();
            s.Figures.Add(new($"{id}-confusion", "Confusion matrix", ChartKit.ConfusionMatrix("Confusion matrix", grid, labels),
                "Rows are true classes, columns predicted; shaded by each row's share, counts written in the cells up to 30 classes, every cell's count in its tooltip."));
        }
        if (d.Calibration is { } cal && cal.Reliability.Where(b => b.Count > 0).ToList() is { Count: > 0 } bins)
            s.Figures.Add(new($"{id}-reliability", "Reliability diagram",
                ChartKit.Lines("Reliability diagram",
                    [new Series("accuracy per bin", bins.Select(b => b.MeanConfidence).ToArray(), bins.Select(b => b.Accuracy).ToArray()), new Series("perfect calibration", [0, 1], [0, 1])],
                    "mean confidence in bin", "accuracy in bin", markers: true, yMin: 0, yMax: 1),
                $"Top-1 confidence binned into {cal.Bins} equal-width bins; the gap to the diagonal is the calibration error (ECE weighs it by bin size)."));
        return s;
    }
}
