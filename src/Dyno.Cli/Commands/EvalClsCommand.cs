using System.CommandLine;
using System.Globalization;
using Dyno.Cli.Infrastructure;
using Dyno.Cli.Inputs;
using Dyno.Metrics.Classification;
using Dyno.Reports;
using Dyno.Results;

namespace Dyno.Cli.Commands;

/// <summary><c>dyno eval cls</c>: image-classification metrics from a CSV or JSON-lines file of labels and scores.</summary>
internal static class EvalClsCommand
{
    /// <summary>Most calibration bins accepted (each is a row of the reliability table).</summary>
    public const int MaxEceBins = 10_000;

    public static Command Create()
    {
        var common = new CommonOptions();
        var file = new Argument<FileInfo>("FILE")
        {
            Description = "CSV with header label,score_0,...,score_{C-1} (or label,pred; or labels,pred for multi-label), or JSON lines " +
                          "{\"label\":..,\"scores\":[..]} / {\"label\":..,\"pred\":..} / {\"labels\":[..],\"pred\":[..]}.",
        };
        var classes = new Option<FileInfo?>("--classes") { Description = "Class names: one per line (line i names class i) or an Ultralytics data.yaml ('names' list or map); labels may then be names." };
        var numClasses = new Option<int?>("--num-classes") { Description = "Number of classes when only predicted labels are given and no --classes file (default: largest label + 1)." };
        var logits = new Option<bool>("--logits") { Description = "The scores are logits: probabilities are their softmax." };
        var topK = new Option<int[]>("--top-k")
        {
            Description = "Report top-k accuracy for these k (top-1 is always reported).",
            DefaultValueFactory = _ => [5],
            AllowMultipleArgumentsPerToken = true,
        };
        var eceBins = new Option<int>("--ece-bins") { Description = "Calibration bins (ECE, MCE, reliability diagram).", DefaultValueFactory = _ => 15 };
        var beta = new Option<double>("--beta") { Description = "Also report F-beta with this beta (F1 is always reported).", DefaultValueFactory = _ => 1 };
        var noAuc = new Option<bool>("--no-auc") { Description = "Skip ROC-AUC and PR-AUC (they keep every score in memory: 8 bytes x samples x classes)." };
        var normalize = new Option<ConfusionNormalization>("--normalize")
        {
            Description = "Also output the confusion matrix normalized over rows (true), columns (pred) or all cells.",
            DefaultValueFactory = _ => ConfusionNormalization.None,
        };
        var maxClasses = new Option<int>("--max-classes")
        {
            Description = "Largest number of classes accepted (a memory limit: each worker holds a classes x classes confusion matrix).",
            DefaultValueFactory = _ => ClassificationFile.DefaultMaxClasses,
        };
        var svg = new Option<FileInfo?>("--reliability-svg") { Description = "Write the reliability diagram as an SVG chart to this file." };
        var cmd = new Command("cls", "Classification metrics: top-k accuracy, precision/recall/F1 (micro, macro, weighted), balanced accuracy, " +
                                     "confusion matrix, ROC-AUC and PR-AUC one-vs-rest, log loss, calibration (ECE, MCE); multi-label variants.")
        {
            file, classes, numClasses, logits, topK, eceBins, beta, noAuc, normalize, svg, maxClasses,
        };
        common.AddTo(cmd);
        cmd.SetAction(parse => CommandRunner.Run(() =>
        {
            var path = parse.GetValue(file)!.FullName;
            var names = ClassNames.Read(parse.GetValue(classes));
            var ks = parse.GetValue(topK) ?? [];
            foreach (var k in ks)
                if (k < 1) throw new UsageException($"--top-k must be at least 1, got {k}");
            var bins = parse.GetValue(eceBins);
            if (bins is < 1 or > MaxEceBins) throw new UsageException($"--ece-bins must be from 1 to {MaxEceBins}, got {bins}");
            var b = parse.GetValue(beta);
            if (!(b > 0) || !double.IsFinite(b)) throw new UsageException($"--beta must be positive, got {b}");
            var nc = parse.GetValue(numClasses);
            if (nc is < 2) throw new UsageException($"--num-classes must be at least 2, got {nc}");
            var options = new ClassificationOptions
            {
                TopK = ks.Where(k => k > 1).ToArray(),
                EceBins = bins,
                Logits = parse.GetValue(logits),
                Beta = b,
                Ranking = !parse.GetValue(noAuc),
            };
            var limit = parse.GetValue(maxClasses);
            if (limit < 2) throw new UsageException($"--max-classes must be at least 2, got {limit}");
            var result = ClassificationFile.Evaluate(path, names, nc, options, limit);
            var svgFile = parse.GetValue(svg);
            if (svgFile is not null)
            {
                var cal = result.SingleLabel?.Calibration
                          ?? throw new UsageException("--reliability-svg needs probabilities or logits (the input has no usable scores)");
                AtomicFile.WriteAllText(svgFile.FullName, ReliabilityChart.Svg(cal));
                if (!parse.GetValue(common.Quiet)) Console.Error.WriteLine($"dyno: wrote {svgFile.FullName}");
            }
            common.Emit(parse, ClassificationOutput.Build(path, result, options, parse.GetValue(normalize)));
            return CommandRunner.Ok;
        }));
        return cmd;
    }
}

/// <summary>Turns classification reports into the <c>dyno eval cls</c> JSON contract and tables.</summary>
internal static class ClassificationOutput
{
    /// <summary>Above this many classes the confusion matrix is not written (it would be millions of cells).</summary>
    public const int MaxConfusionClasses = 1000;

    /// <summary>One row of <c>per_class</c>.</summary>
    public sealed record PerClassRow(int Class, string Name, long Support, long Predicted, long TruePositives,
        double Precision, double Recall, double F1, double? Fbeta, double? Auc, double? Ap);

    /// <summary>The JSON document and tables.</summary>
    public static CommandOutput Build(string path, ClassificationFileResult r, ClassificationOptions options, ConfusionNormalization normalization)
    {
        var metrics = new Dictionary<string, double>();
        var table = new List<IReadOnlyList<string>>();
        void Put(string key, double value, string meaning)
        {
            metrics[key] = value;
            table.Add([key, Fmt.Num(value, 4), meaning]);
        }
        var conventions = new List<string>
        {
            "precision/recall/F: scikit-learn 1.2 definitions, zero_division=0; macro = unweighted mean over all classes (absent ones count as 0), weighted = by support, micro = pooled counts",
        };
        var input = r.Kind switch
        {
            ClassificationInputKind.Scores => options.Logits ? "logits" : "scores",
            ClassificationInputKind.Labels => "labels",
            _ => "label_sets",
        };
        long samples;
        int numClasses;
        ClassScores[] perClass;
        if (r.MultiLabel is { } m)
        {
            samples = m.Samples;
            numClasses = m.NumLabels;
            Put("subset_accuracy", m.SubsetAccuracy, "exact match of the label set");
            Put("hamming_loss", m.HammingLoss, "wrong (sample, label) pairs / all pairs");
            foreach (var avg in new[] { m.Micro, m.Macro, m.Weighted, m.SampleAverage })
                PutAveraged(avg, options.Beta, Put);
            perClass = [.. m.PerLabel];
        }
        else
        {
            var s = r.SingleLabel!;
            samples = s.Samples;
            numClasses = s.NumClasses;
            Put("top1", s.Accuracy, "accuracy of the arg-max class (first index on ties)");
            foreach (var t in s.TopK) Put($"top{t.K}", t.Accuracy, $"true class among the {t.K} highest scores (scikit-learn tie rule)");
            Put("balanced_accuracy", s.BalancedAccuracy, "mean recall over classes present in the labels");
            foreach (var avg in new[] { s.Micro, s.Macro, s.Weighted }) PutAveraged(avg, options.Beta, Put);
            if (s.Ranking is { } rk)
            {
                Put("auc_ovr_macro", rk.RocAucMacro, "ROC-AUC one-vs-rest, unweighted mean over classes");
                Put("auc_ovr_weighted", rk.RocAucWeighted, "ROC-AUC one-vs-rest, weighted by support");
                Put("ap_ovr_macro", rk.AveragePrecisionMacro, "PR-AUC (average precision) one-vs-rest, unweighted mean");
                Put("ap_ovr_weighted", rk.AveragePrecisionWeighted, "PR-AUC (average precision) one-vs-rest, weighted by support");
            }
            if (double.IsFinite(s.LogLoss)) Put("log_loss", s.LogLoss, "mean cross-entropy, probabilities clipped to [eps, 1-eps] and renormalised");
            if (s.Calibration is { } cal)
            {
                Put("ece", cal.Ece, $"expected calibration error of the top-1 confidence, {cal.Bins} equal-width bins");
                Put("ece_equal_mass", cal.EceEqualMass, $"ECE over {cal.Bins} equal-mass bins");
                Put("mce", cal.Mce, "maximum calibration error over non-empty equal-width bins");
                conventions.Add("calibration bins are (b/B, (b+1)/B] (confidence 0 in the first bin); confidence = the top-1 probability");
            }
            perClass = [.. s.PerClass];
            if (s.HasScores) conventions.Add("top1 and the confusion matrix use the first arg-max; top-k ranks ties by higher class index first, like scikit-learn's top_k_accuracy_score");
            conventions.AddRange(s.Notes);
        }
        var names = r.ClassNames;
        var single = r.SingleLabel;
        var hasRanking = single?.Ranking is not null;
        var perClassRows = perClass.Select(c => new PerClassRow(c.Class, names[c.Class], c.Support, c.Predicted, c.TruePositives,
            c.Precision, c.Recall, c.F1, options.Beta != 1 ? c.FBeta : null,
            hasRanking ? c.RocAuc : null, hasRanking ? c.AveragePrecision : null)).ToArray();
        var tables = new List<ResultTable>
        {
            new("Classification metrics", [new("metric"), new("value", ColumnAlign.Right), new("definition")], table),
        };
        var pcCols = new List<ResultColumn> { new("class"), new("support", ColumnAlign.Right), new("predicted", ColumnAlign.Right),
            new("precision", ColumnAlign.Right), new("recall", ColumnAlign.Right), new("f1", ColumnAlign.Right) };
        if (hasRanking) { pcCols.Add(new("roc_auc", ColumnAlign.Right)); pcCols.Add(new("ap", ColumnAlign.Right)); }
        tables.Add(new ResultTable(r.MultiLabel is null ? "Per class" : "Per label", pcCols, perClass.Select(c =>
        {
            var row = new List<string> { names[c.Class], Fmt.Int(c.Support), Fmt.Int(c.Predicted), Fmt.Num(c.Precision, 4), Fmt.Num(c.Recall, 4), Fmt.Num(c.F1, 4) };
            if (hasRanking) { row.Add(Fmt.Num(c.RocAuc, 4)); row.Add(Fmt.Num(c.AveragePrecision, 4)); }
            return (IReadOnlyList<string>)row;
        }).ToArray()));
        ClassificationConfusion? confusionJson = null;
        ClassificationCalibration? calibrationJson = null;
        if (single is not null)
        {
            var cm = single.Confusion;
            if (cm.NumClasses <= MaxConfusionClasses)
            {
                confusionJson = new ClassificationConfusion("rows are true classes, columns predicted classes", names,
                    cm.ToRows().Select(row => row.Select(v => (long)v).ToArray()).ToArray())
                {
                    Normalization = normalization != ConfusionNormalization.None ? normalization.ToString().ToLowerInvariant() : null,
                    Normalized = normalization != ConfusionNormalization.None ? cm.ToRows(normalization) : null,
                };
            }
            else conventions.Add($"confusion_matrix is left out of the output above {MaxConfusionClasses} classes ({cm.NumClasses}² cells)");
            var cmTitle = normalization == ConfusionNormalization.None ? "Confusion matrix" : $"Confusion matrix (normalized: {normalization.ToString().ToLowerInvariant()})";
            var cmRows = cm.ToRows(normalization);
            var raw = cm.NumClasses <= MaxConfusionClasses ? cm.ToRows() : null;
            var top = raw is null ? null : ConfusionList.Build($"Top confusions ({cm.NumClasses} classes)", "true", "predicted", names, names, (t, p) => raw[t][p]);
            if (cm.NumClasses <= 20)
            {
                var cols = new List<ResultColumn> { new("true \\ pred") };
                cols.AddRange(names.Select(n => new ResultColumn(n, ColumnAlign.Right)));
                tables.Add(new ResultTable(cmTitle,
                    cols, cmRows.Select((row, t) => (IReadOnlyList<string>)[names[t], .. row.Select(v => normalization == ConfusionNormalization.None
                        ? Fmt.Int((long)v) : Fmt.Num(v, 3))]).ToArray()) { WhenTooWide = top });
            }
            else if (top is not null) tables.Add(top);
            if (single.Calibration is { } cal)
            {
                calibrationJson = new ClassificationCalibration(cal.Bins,
                    cal.Reliability.Select(x => new ClassificationReliabilityBin(x.Lower, x.Upper, x.Count, x.MeanConfidence, x.Accuracy)).ToArray());
                tables.Add(new ResultTable("Reliability diagram (equal-width bins)",
                    [new("bin"), new("count", ColumnAlign.Right), new("confidence", ColumnAlign.Right), new("accuracy", ColumnAlign.Right), new("gap", ColumnAlign.Right)],
                    cal.Reliability.Select(x => (IReadOnlyList<string>)[$"({x.Lower.ToString("0.###", CultureInfo.InvariantCulture)}, {x.Upper.ToString("0.###", CultureInfo.InvariantCulture)}]",
                        Fmt.Int(x.Count), Fmt.Num(x.MeanConfidence, 4), Fmt.Num(x.Accuracy, 4), Fmt.Num(x.Gap, 4)]).ToArray()));
            }
        }
        var json = new ClassificationDocument
        {
            Task = r.Kind == ClassificationInputKind.MultiLabel ? "multilabel_classification" : "classification",
            File = path, Input = input, Samples = samples, NumClasses = numClasses, Beta = options.Beta != 1 ? options.Beta : null,
            Metrics = metrics, PerClass = perClassRows, ConfusionMatrix = confusionJson, Calibration = calibrationJson, Conventions = conventions,
        };
        return new CommandOutput(ResultKinds.EvalCls, json, tables, conventions);
    }

    private static void PutAveraged(AveragedScores a, double beta, Action<string, double, string> put)
    {
        var how = a.Averaging switch
        {
            "micro" => "pooled counts over all classes",
            "macro" => "unweighted mean over classes",
            "weighted" => "mean over classes weighted by support",
            _ => "mean over samples",
        };
        put($"precision_{a.Averaging}", a.Precision, "precision, " + how);
        put($"recall_{a.Averaging}", a.Recall, "recall, " + how);
        put($"f1_{a.Averaging}", a.F1, "F1, " + how);
        if (beta != 1) put($"fbeta_{a.Averaging}", a.FBeta, $"F-beta (beta={beta.ToString(CultureInfo.InvariantCulture)}), " + how);
    }
}
