using System.Text.Json;
using Dyno.Reports.Charts;
using Dyno.Reports.Documents;
using static Dyno.Reports.Sections.JsonPaths;

namespace Dyno.Reports.Sections;

public static partial class ResultSections
{
    private static partial ReportSection? Specific(string kind, JsonElement r, string? source, string id) => kind switch
    {
        "eval-cls" => Classification(r, source, id),
        "eval-seg" => Segmentation(r, source, id),
        "eval-det" => Detection(r, source, id),
        "eval-mot" => Tracking(r, source, id),
        "bench" => Bench(r, source, id),
        "bench-generate" => Generation(r, source, id),
        "llm" => Llm(r, source),
        _ => null,
    };

    private static ReportSection Classification(JsonElement r, string? source, string id)
    {
        var s = new ReportSection { Title = $"Classification: {source ?? "result"}", Kind = "eval-cls", Source = source };
        var m = At(r, "metrics")!.Value;
        foreach (var (key, label, note) in new[]
        {
            ("top1", "Top-1", "accuracy"), ("top5", "Top-5", "accuracy"), ("f1_macro", "F1 (macro)", "unweighted mean over classes"),
            ("f1_weighted", "F1 (weighted)", "weighted by support"), ("auc_ovr_macro", "ROC-AUC (OvR macro)", "one-vs-rest, macro"),
            ("ece", "ECE", "equal-width bins"), ("log_loss", "Log loss", "nats"), ("subset_accuracy", "Subset accuracy", "multi-label"),
        })
            if (Number(m, key) is { } v) s.KeyFigures.Add(new(label, F(v), note));
        s.Tables.Add(new ResultTable("Metrics (each averaged figure names its averaging)", [new ResultColumn("Metric"), new ResultColumn("Value", ColumnAlign.Right)],
            m.EnumerateObject().Select(p => (IReadOnlyList<string>)[p.Name, p.Value.ValueKind == JsonValueKind.Number ? F(p.Value.GetDouble()) : "-"]).ToList()));
        var perClass = Array(r, "per_class").ToList();
        var names = perClass.Select(c => Text(c, "name") ?? Number(c, "class")?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?").ToList();
        if (perClass.Count is > 0 and <= 100)
            s.Figures.Add(new($"{id}-f1", "F1 per class", Charts.Charts.Bars("F1 per class", names, perClass.Select(c => Number(c, "f1") ?? 0).ToList(), "F1"),
                "F1 = 2PR/(P+R) of each class (one-vs-rest at the predicted label); 0 where undefined."));
        if (At(r, "confusion_matrix.counts") is { ValueKind: JsonValueKind.Array } counts && counts.GetArrayLength() is > 0 and <= 50)
        {
            var useNorm = At(r, "confusion_matrix.normalized") is { ValueKind: JsonValueKind.Array };
            var grid = Matrix(useNorm ? At(r, "confusion_matrix.normalized")!.Value : counts);
            var labels = Array(r, "confusion_matrix.labels").Select(e => e.GetString() ?? "").ToList();
            if (labels.Count != grid.GetLength(0)) labels = Enumerable.Range(0, grid.GetLength(0)).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToList();
            s.Figures.Add(new($"{id}-confusion", "Confusion matrix", Charts.Charts.Heatmap("Confusion matrix", grid, labels, labels, "predicted class", "true class"),
                useNorm ? $"Rows are true classes, columns predicted; normalized ({Text(r, "confusion_matrix.normalization")})." : "Rows are true classes, columns predicted; sample counts."));
        }
        var bins = Array(r, "calibration.reliability").Where(b => Number(b, "count") > 0).ToList();
        if (bins.Count > 0)
        {
            var conf = bins.Select(b => Number(b, "mean_confidence") ?? 0).ToArray();
            var acc = bins.Select(b => Number(b, "accuracy") ?? 0).ToArray();
            s.Figures.Add(new($"{id}-reliability", "Reliability diagram",
                Charts.Charts.Lines("Reliability diagram", [new Series("accuracy per bin", conf, acc), new Series("perfect calibration", [0, 1], [0, 1])],
                    "mean confidence in bin", "accuracy in bin", markers: true, yMin: 0, yMax: 1),
                $"Top-1 confidence binned into {Number(r, "calibration.bins")} equal-width bins; the gap to the diagonal is the calibration error (ECE weighs it by bin size)."));
        }
        if (perClass.Count > 0)
            s.Tables.Add(new ResultTable("Per class", [new ResultColumn("Class"), new ResultColumn("Support", ColumnAlign.Right), new ResultColumn("Precision", ColumnAlign.Right),
                new ResultColumn("Recall", ColumnAlign.Right), new ResultColumn("F1", ColumnAlign.Right), new ResultColumn("AUC", ColumnAlign.Right)],
                perClass.Take(200).Select((c, i) => (IReadOnlyList<string>)[names[i], F(Number(c, "support"), "0"), F(Number(c, "precision")), F(Number(c, "recall")), F(Number(c, "f1")), F(Number(c, "auc"))]).ToList()));
        foreach (var n in Array(r, "conventions")) s.Notes.Add(n.GetString() ?? "");
        return s;
    }

    private static ReportSection Segmentation(JsonElement r, string? source, string id)
    {
        var s = new ReportSection { Title = $"Segmentation: {source ?? "result"}", Kind = "eval-seg", Source = source };
        var avg = Text(r, "averaging") ?? "dataset";
        foreach (var (key, label) in new[] { ("miou", "mIoU"), ("dice", "Dice"), ("pixel_accuracy", "Pixel accuracy"), ("mean_accuracy", "Mean class accuracy"), ("fwiou", "FW IoU") })
            if (Number(r, "metrics." + key) is { } v) s.KeyFigures.Add(new(label, F(v), $"{avg}-level accumulation"));
        var perClass = Array(r, "per_class").ToList();
        var names = perClass.Select(c => Text(c, "name") ?? Number(c, "class")?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?").ToList();
        if (perClass.Count is > 0 and <= 200)
            s.Figures.Add(new($"{id}-iou", "IoU per class", Charts.Charts.Bars("IoU per class", names, perClass.Select(c => Number(c, "iou") ?? 0).ToList(), "IoU"),
                "Intersection over union of each class over the whole dataset (pixels accumulated before dividing); absent classes are 0 here and excluded from mIoU (see the per-class table)."));
        if (At(r, "confusion_matrix.counts") is { ValueKind: JsonValueKind.Array } counts && counts.GetArrayLength() is > 0 and <= 50)
        {
            var grid = Matrix(counts);
            for (var i = 0; i < grid.GetLength(0); i++)
            {
                double row = 0;
                for (var j = 0; j < grid.GetLength(1); j++) row += grid[i, j];
                for (var j = 0; j < grid.GetLength(1); j++) grid[i, j] = row > 0 ? grid[i, j] / row : 0;
            }
            s.Figures.Add(new($"{id}-confusion", "Pixel confusion matrix", Charts.Charts.Heatmap("Pixel confusion (row-normalized)", grid, names, names, "predicted class", "ground-truth class"),
                "Rows are ground-truth classes, columns predicted classes; each row divided by its pixel count (recall on the diagonal)."));
        }
        if (perClass.Count > 0)
            s.Tables.Add(new ResultTable("Per class", [new ResultColumn("Class"), new ResultColumn("IoU", ColumnAlign.Right), new ResultColumn("Dice", ColumnAlign.Right),
                new ResultColumn("Accuracy", ColumnAlign.Right), new ResultColumn("GT pixels", ColumnAlign.Right)],
                perClass.Select((c, i) => (IReadOnlyList<string>)[names[i], F(Number(c, "iou")), F(Number(c, "dice")), F(Number(c, "accuracy")), F(Number(c, "gt_pixels"), "0")]).ToList()));
        foreach (var n in Array(r, "conventions")) s.Notes.Add(n.GetString() ?? "");
        return s;
    }

    private static double[,] Matrix(JsonElement rows)
    {
        var n = rows.GetArrayLength();
        var m = n == 0 ? 0 : rows[0].GetArrayLength();
        var grid = new double[n, m];
        for (var i = 0; i < n; i++)
        for (var j = 0; j < m; j++)
            grid[i, j] = rows[i][j].ValueKind == JsonValueKind.Number ? rows[i][j].GetDouble() : 0;
        return grid;
    }
}
