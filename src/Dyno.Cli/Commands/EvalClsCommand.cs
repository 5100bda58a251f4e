using System.CommandLine;
using System.Globalization;
using Dyno.Cli.Infrastructure;
using Dyno.Cli.Inputs;
using Dyno.Metrics.Classification;
using Dyno.Reports;
using Dyno.Reports.Documents;
using Dyno.Reports.Presenters;
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
    private const int MaxConfusionClasses = ClassificationDocument.MaxConfusionClasses;

    /// <summary>The JSON document and tables.</summary>
    public static CommandOutput Build(string path, ClassificationFileResult r, ClassificationOptions options, ConfusionNormalization normalization)
    {
        var metrics = new Dictionary<string, double>();
        // the meaning is said once, by the presenter (EvalClsPresenter.Definition): here only the value is kept
        void Put(string key, double value) => metrics[key] = value;
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
            Put("subset_accuracy", m.SubsetAccuracy);
            Put("hamming_loss", m.HammingLoss);
            foreach (var avg in new[] { m.Micro, m.Macro, m.Weighted, m.SampleAverage })
                PutAveraged(avg, options.Beta, Put);
            perClass = [.. m.PerLabel];
        }
        else
        {
            var s = r.SingleLabel!;
            samples = s.Samples;
            numClasses = s.NumClasses;
            Put("top1", s.Accuracy);
            foreach (var t in s.TopK) Put($"top{t.K}", t.Accuracy);
            Put("balanced_accuracy", s.BalancedAccuracy);
            foreach (var avg in new[] { s.Micro, s.Macro, s.Weighted }) PutAveraged(avg, options.Beta, Put);
            if (s.Ranking is { } rk)
            {
                Put("auc_ovr_macro", rk.RocAucMacro);
                Put("auc_ovr_weighted", rk.RocAucWeighted);
                Put("ap_ovr_macro", rk.AveragePrecisionMacro);
                Put("ap_ovr_weighted", rk.AveragePrecisionWeighted);
            }
            if (double.IsFinite(s.LogLoss)) Put("log_loss", s.LogLoss);
            if (s.Calibration is { } cal)
            {
                Put("ece", cal.Ece);
                Put("ece_equal_mass", cal.EceEqualMass);
                Put("mce", cal.Mce);
                conventions.Add("calibration bins are (b/B, (b+1)/B] (confidence 0 in the first bin); confidence = the top-1 probability");
            }
            perClass = [.. s.PerClass];
            if (s.HasScores) conventions.Add("top1 and the confusion matrix use the first arg-max; top-k ranks ties by higher class index first, like scikit-learn's top_k_accuracy_score");
            conventions.AddRange(s.Notes);
        }
        var names = r.ClassNames;
        var single = r.SingleLabel;
        var hasRanking = single?.Ranking is not null;
        var perClassRows = perClass.Select(c => new ClassificationPerClass(c.Class, names[c.Class], c.Support, c.Predicted, c.TruePositives,
            c.Precision, c.Recall, c.F1, options.Beta != 1 ? c.FBeta : null,
            hasRanking ? c.RocAuc : null, hasRanking ? c.AveragePrecision : null)).ToArray();
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
            if (single.Calibration is { } cal)
            {
                calibrationJson = new ClassificationCalibration(cal.Bins,
                    cal.Reliability.Select(x => new ClassificationReliabilityBin(x.Lower, x.Upper, x.Count, x.MeanConfidence, x.Accuracy)).ToArray());
            }
        }
        var json = new ClassificationDocument
        {
            Task = r.Kind == ClassificationInputKind.MultiLabel ? "multilabel_classification" : "classification",
            File = path, Input = input, Samples = samples, NumClasses = numClasses, Beta = options.Beta != 1 ? options.Beta : null,
            Metrics = metrics, PerClass = perClassRows, ConfusionMatrix = confusionJson, Calibration = calibrationJson, Conventions = conventions,
        };
        return CommandOutput.Of(EvalClsPresenter.Instance, json);
    }

    private static void PutAveraged(AveragedScores a, double beta, Action<string, double> put)
    {
        put($"precision_{a.Averaging}", a.Precision);
        put($"recall_{a.Averaging}", a.Recall);
        put($"f1_{a.Averaging}", a.F1);
        if (beta != 1) put($"fbeta_{a.Averaging}", a.FBeta);
    }
}
