using Dyno.Metrics;
using System.Text.Json;
using Dyno.Metrics.Classification;

namespace Dyno.Metrics.Tests.Classification;

/// <summary>Every figure of tests/fixtures/classification/expected.json (scikit-learn 1.2.1) reproduced to 1e-12 relative.</summary>
public class SklearnExpectedTests
{
    private static readonly JsonElement Root = JsonDocument.Parse(File.ReadAllText(
        Path.Combine(AppContext.BaseDirectory, "fixtures", "classification", "expected.json"))).RootElement;

    public static TheoryData<string> ClassificationCases()
    {
        var d = new TheoryData<string>();
        foreach (var c in Root.GetProperty("classification").EnumerateArray()) d.Add(c.GetProperty("name").GetString()!);
        return d;
    }

    public static TheoryData<string> MultiLabelCases()
    {
        var d = new TheoryData<string>();
        foreach (var c in Root.GetProperty("multilabel").EnumerateArray()) d.Add(c.GetProperty("name").GetString()!);
        return d;
    }

    internal static JsonElement Case(string section, string name) =>
        Root.GetProperty(section).EnumerateArray().Single(c => c.GetProperty("name").GetString() == name);

    internal static void Near(double expected, double actual, string what)
    {
        var tol = 1e-12 * Math.Max(1, Math.Abs(expected));
        Assert.True(Math.Abs(expected - actual) <= tol, $"{what}: expected {expected:R}, got {actual:R}");
    }

    private static void Near(JsonElement expected, double actual, string what)
    {
        if (expected.ValueKind == JsonValueKind.Null) Assert.True(double.IsNaN(actual), $"{what}: expected undefined (NaN), got {actual:R}");
        else Near(expected.GetDouble(), actual, what);
    }

    private static void NearAveraged(JsonElement e, AveragedScores avg)
    {
        var s = avg.Averaging;
        Near(e.GetProperty("precision_" + s), avg.Precision, "precision_" + s);
        Near(e.GetProperty("recall_" + s), avg.Recall, "recall_" + s);
        Near(e.GetProperty("f1_" + s), avg.F1, "f1_" + s);
        Near(e.GetProperty("fbeta_" + s), avg.FBeta, "fbeta_" + s);
    }

    private static void NearPerClass(JsonElement expected, IReadOnlyList<ClassScores> actual)
    {
        for (var k = 0; k < actual.Count; k++)
        {
            Near(expected.GetProperty("precision")[k], actual[k].Precision, $"precision[{k}]");
            Near(expected.GetProperty("recall")[k], actual[k].Recall, $"recall[{k}]");
            Near(expected.GetProperty("f1")[k], actual[k].F1, $"f1[{k}]");
            Near(expected.GetProperty("fbeta")[k], actual[k].FBeta, $"fbeta[{k}]");
            Assert.Equal(expected.GetProperty("support")[k].GetInt64(), actual[k].Support);
        }
    }

    /// <summary>The accumulator a fixture case asks for (classes and options), empty.</summary>
    internal static ClassificationAccumulator Create(JsonElement c) => new(c.GetProperty("num_classes").GetInt32(), new ClassificationOptions
    {
        Beta = c.GetProperty("beta").GetDouble(),
        TopK = c.TryGetProperty("top_k", out var tk) ? tk.EnumerateArray().Select(e => e.GetInt32()).ToArray() : [],
        EceBins = c.TryGetProperty("ece_bins", out var b) ? b.GetInt32() : 15,
        Logits = c.TryGetProperty("logits", out var l) && l.GetBoolean(),
    });

    private static ClassificationReport Evaluate(JsonElement c, bool batch = false)
    {
        var yTrue = c.GetProperty("y_true").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var acc = Create(c);
        if (c.GetProperty("y_pred").ValueKind != JsonValueKind.Null)
        {
            var yPred = c.GetProperty("y_pred").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            for (var i = 0; i < yTrue.Length; i++) acc.Update(yTrue[i], yPred[i]);
        }
        else
        {
            var scores = c.GetProperty("scores").EnumerateArray().Select(r => r.EnumerateArray().Select(e => e.GetDouble()).ToArray()).ToArray();
            if (batch) acc.Update(yTrue, scores.SelectMany(r => r).ToArray());
            else
                for (var i = 0; i < yTrue.Length; i++) acc.Update(yTrue[i], scores[i]);
        }
        return acc.Compute();
    }

    [Theory]
    [MemberData(nameof(ClassificationCases))]
    public void Classification_matches_sklearn(string name) => Check(name, batch: false);

    [Theory]
    [MemberData(nameof(ClassificationCases))]
    public void Parallel_batch_matches_sklearn(string name) => Check(name, batch: true);

    private static void Check(string name, bool batch) => AssertMatches(name, Evaluate(Case("classification", name), batch));

    /// <summary>Every figure of fixture case <paramref name="name"/> against <paramref name="r"/>, to 1e-12 relative.</summary>
    internal static void AssertMatches(string name, ClassificationReport r)
    {
        var e = Case("classification", name).GetProperty("expected");
        Near(e.GetProperty("accuracy"), r.Accuracy, "accuracy");
        Near(e.GetProperty("balanced_accuracy"), r.BalancedAccuracy, "balanced_accuracy");
        foreach (var avg in new[] { r.Micro, r.Macro, r.Weighted }) NearAveraged(e, avg);
        var pc = e.GetProperty("per_class");
        NearPerClass(pc, r.PerClass);
        foreach (var (key, norm) in new[] { ("confusion_matrix", ConfusionNormalization.None), ("confusion_matrix_true", ConfusionNormalization.True),
                     ("confusion_matrix_pred", ConfusionNormalization.Pred), ("confusion_matrix_all", ConfusionNormalization.All) })
        {
            var rows = r.Confusion.ToRows(norm);
            var exp = e.GetProperty(key);
            for (var t = 0; t < r.NumClasses; t++)
                for (var p = 0; p < r.NumClasses; p++)
                    Near(exp[t][p].GetDouble(), rows[t][p], $"{key}[{t},{p}]");
        }
        if (!r.HasScores) return;
        foreach (var tk in r.TopK) Near(e.GetProperty($"top{tk.K}"), tk.Accuracy, $"top{tk.K}");
        Near(e.GetProperty("log_loss"), r.LogLoss, "log_loss");
        for (var k = 0; k < r.NumClasses; k++)
        {
            Near(pc.GetProperty("roc_auc")[k], r.PerClass[k].RocAuc, $"roc_auc[{k}]");
            Near(pc.GetProperty("average_precision")[k], r.PerClass[k].AveragePrecision, $"ap[{k}]");
        }
        Near(e.GetProperty("auc_ovr_macro"), r.Ranking!.RocAucMacro, "auc_ovr_macro");
        Near(e.GetProperty("auc_ovr_weighted"), r.Ranking.RocAucWeighted, "auc_ovr_weighted");
        Near(e.GetProperty("ap_ovr_macro"), r.Ranking.AveragePrecisionMacro, "ap_ovr_macro");
        Near(e.GetProperty("ap_ovr_weighted"), r.Ranking.AveragePrecisionWeighted, "ap_ovr_weighted");
        Near(e.GetProperty("ece"), r.Calibration!.Ece, "ece");
        Near(e.GetProperty("mce"), r.Calibration.Mce, "mce");
        Near(e.GetProperty("ece_equal_mass"), r.Calibration.EceEqualMass, "ece_equal_mass");
    }

    [Theory]
    [MemberData(nameof(MultiLabelCases))]
    public void MultiLabel_matches_sklearn(string name)
    {
        var c = Case("multilabel", name);
        var e = c.GetProperty("expected");
        var yt = c.GetProperty("y_true").EnumerateArray().Select(r => r.EnumerateArray().Select(x => x.GetInt32() != 0).ToArray()).ToArray();
        var yp = c.GetProperty("y_pred").EnumerateArray().Select(r => r.EnumerateArray().Select(x => x.GetInt32() != 0).ToArray()).ToArray();
        // Two shards merged: the result must not depend on how the data was split.
        var a = new MultiLabelAccumulator(c.GetProperty("num_labels").GetInt32(), c.GetProperty("beta").GetDouble());
        var b = new MultiLabelAccumulator(a.NumLabels, c.GetProperty("beta").GetDouble());
        for (var i = 0; i < yt.Length; i++) (i % 3 == 0 ? a : b).Update(Target.Of(yt[i]), Prediction.Of(yp[i]));
        a.Merge(b);
        AssertMultiLabelMatches(name, a.Compute());
    }

    /// <summary>Every figure of multi-label fixture case <paramref name="name"/> against <paramref name="r"/>.</summary>
    internal static void AssertMultiLabelMatches(string name, MultiLabelReport r)
    {
        var e = Case("multilabel", name).GetProperty("expected");
        Near(e.GetProperty("subset_accuracy"), r.SubsetAccuracy, "subset_accuracy");
        Near(e.GetProperty("hamming_loss"), r.HammingLoss, "hamming_loss");
        foreach (var avg in new[] { r.Micro, r.Macro, r.Weighted, r.SampleAverage }) NearAveraged(e, avg);
        NearPerClass(e.GetProperty("per_label"), r.PerLabel);
    }
}

/// <summary>Merging shards gives the same report as one accumulator.</summary>
public class MergeTests
{
    [Fact]
    public void Shards_with_equal_but_separate_options_merge_to_the_whole()
    {
        var rng = new Random(3);
        const int n = 500, c = 7;
        var labels = new int[n];
        var scores = new double[n * c];
        for (var i = 0; i < n; i++)
        {
            labels[i] = rng.Next(c);
            double sum = 0;
            for (var k = 0; k < c; k++) sum += scores[i * c + k] = rng.NextDouble() + (k == labels[i] ? 0.5 : 0);
            for (var k = 0; k < c; k++) scores[i * c + k] /= sum;
        }
        ClassificationAccumulator Make() => new(c, new ClassificationOptions { TopK = [3, 2], EceBins = 10 });
        var whole = Make();
        var a = Make();
        var b = Make();
        for (var i = 0; i < n; i++)
        {
            var row = scores.AsSpan(i * c, c);
            whole.Update(labels[i], row);
            (i < 123 ? a : b).Update(labels[i], row);
        }
        a.Merge(b);
        b.Update(labels[0], scores.AsSpan(0, c)); // the merged-from side stays usable and does not affect a
        var x = whole.Compute();
        var y = a.Compute();
        Assert.Equal(x.Confusion.Counts.ToArray(), y.Confusion.Counts.ToArray());
        Assert.Equal(x.TopK, y.TopK);
        SklearnExpectedTests.Near(x.LogLoss, y.LogLoss, "log_loss");
        SklearnExpectedTests.Near(x.Ranking!.RocAucMacro, y.Ranking!.RocAucMacro, "auc");
        SklearnExpectedTests.Near(x.Ranking.AveragePrecisionWeighted, y.Ranking.AveragePrecisionWeighted, "ap");
        SklearnExpectedTests.Near(x.Calibration!.Ece, y.Calibration!.Ece, "ece");
        SklearnExpectedTests.Near(x.Calibration.EceEqualMass, y.Calibration.EceEqualMass, "ece_equal_mass");
        Assert.ThrowsAny<ArgumentException>(() => a.Merge(new ClassificationAccumulator(c, new ClassificationOptions { TopK = [5] })));
    }

    [Fact]
    public void Batch_errors_name_the_sample_and_are_not_wrapped()
    {
        var scores = new float[3000 * 3];
        var labels = new int[3000];
        for (var i = 0; i < scores.Length; i++) scores[i] = 1f / 3;
        scores[2500 * 3 + 1] = float.NaN;
        var e = Assert.ThrowsAny<ArgumentException>(() => new ClassificationAccumulator(3).Update(labels, scores));
        Assert.Contains("sample 2500", e.Message);
        Assert.Contains("class 1", e.Message);
    }
}
