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
        "llm" => LlmSection(r, source),
        "anchors" => Anchors(r, source),
        "compare" => CompareSection(r, source),
        "val" => Val(r, source, id),
        "matrix" => MatrixSection(r, source, id),
        _ => null,
    };

    /// <summary>A <c>dyno matrix</c> result: the rows side by side and accuracy against latency with the Pareto front.</summary>
    private static ReportSection MatrixSection(JsonElement r, string? source, string id)
    {
        var key = Text(r, "accuracy_key") ?? "map";
        var s = new ReportSection { Title = $"Variant matrix: {Text(r, "task")} on {Path.GetFileName(Text(r, "data") ?? "")}", Kind = "matrix", Source = source };
        var rows = Array(r, "rows").ToList();
        var baseline = Text(r, "baseline");
        var pareto = rows.Where(x => At(x, "pareto") is { ValueKind: JsonValueKind.True }).Select(x => Text(x, "name")).ToList();
        s.KeyFigures.Add(new("Rows", rows.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), $"baseline {baseline}"));
        s.KeyFigures.Add(new("Pareto front", string.Join(", ", pareto), $"{key} vs p50 latency"));
        var best = rows.MaxBy(x => Number(x, "accuracy." + key) ?? double.NegativeInfinity);
        if (best.ValueKind == JsonValueKind.Object) s.KeyFigures.Add(new($"Best {key}", F(Number(best, "accuracy." + key)), Text(best, "name") ?? ""));
        var fastest = rows.MinBy(x => Number(x, "latency_ms.p50") ?? double.PositiveInfinity);
        if (fastest.ValueKind == JsonValueKind.Object) s.KeyFigures.Add(new("Fastest p50", F(Number(fastest, "latency_ms.p50"), "0.000") + " ms", Text(fastest, "name") ?? ""));
        var pts = rows.Where(x => Number(x, "latency_ms.p50") is not null && Number(x, "accuracy." + key) is not null)
            .Select(x => (Text(x, "name") ?? "?", Number(x, "latency_ms.p50")!.Value, Number(x, "accuracy." + key)!.Value)).ToList();
        if (pts.Count > 0)
            s.Figures.Add(new($"{id}-pareto", $"{key} against latency", Charts.Charts.Pareto($"{key} vs p50 latency", pts, "p50 latency, ms (lower is better)", $"{key} (higher is better)"),
                "Each point is a row; the step line joins the rows that no other row beats on both accuracy and latency."));
        s.Tables.Add(new ResultTable("Rows", [new ResultColumn("Row"), new ResultColumn("Variant"), new ResultColumn("File", ColumnAlign.Right), new ResultColumn("Params", ColumnAlign.Right),
                new ResultColumn("MACs", ColumnAlign.Right), new ResultColumn(key, ColumnAlign.Right), new ResultColumn("p50 ms", ColumnAlign.Right), new ResultColumn("p99 ms", ColumnAlign.Right),
                new ResultColumn("Best /s", ColumnAlign.Right), new ResultColumn($"{key} ratio", ColumnAlign.Right), new ResultColumn("Speed-up", ColumnAlign.Right), new ResultColumn("Pareto")],
            rows.Select(x => (IReadOnlyList<string>)
            [
                (Text(x, "name") ?? "?") + (Text(x, "name") == baseline ? " (baseline)" : ""), Text(x, "variant") ?? "", Fmt.Bytes(Number(x, "file_bytes") ?? 0),
                Fmt.Si(Number(x, "params") ?? 0), Fmt.Si(Number(x, "dense_macs") ?? 0), F(Number(x, "accuracy." + key)), F(Number(x, "latency_ms.p50"), "0.000"),
                F(Number(x, "latency_ms.p99"), "0.000"), F(Number(x, "throughput_per_s"), "0.0"), F(Number(x, "vs_baseline.accuracy_ratio")),
                F(Number(x, "vs_baseline.speedup"), "0.00"), At(x, "pareto") is { ValueKind: JsonValueKind.True } ? "yes" : "",
            ]).ToList()));
        foreach (var n in Array(r, "conventions")) s.Notes.Add(n.GetString() ?? "");
        return s;
    }

    /// <summary>A <c>dyno val</c> run: the task's accuracy section, with the run's speed and the model's cost in front.</summary>
    private static ReportSection Val(JsonElement r, string? source, string id)
    {
        var task = Text(r, "task") ?? "";
        var model = Path.GetFileName(Text(r, "model.path") ?? source ?? "model");
        var inner = task switch
        {
            "detection" => Detection(r, source, id),
            "classification" => Classification(r, source, id),
            _ => Segmentation(r, source, id),
        };
        var s = new ReportSection { Title = $"Val ({task}): {model} on {F(Number(r, "images"), "0")} images", Kind = "val", Source = source };
        s.KeyFigures.Add(new("Images/s", F(Number(r, "speed.images_per_s"), "0.0"), $"end to end, batch {F(Number(r, "speed.batch"), "0")}"));
        s.KeyFigures.Add(new("Inference", F(Number(r, "speed.inference_ms"), "0.00") + " ms", "per image"));
        s.KeyFigures.AddRange(inner.KeyFigures);
        s.KeyFigures.Add(new("Params", Fmt.Si(Number(r, "model.params") ?? 0), "ONNX initializer elements"));
        s.KeyFigures.Add(new("Dense MACs", Fmt.Si(Number(r, "model.dense_macs") ?? 0), "per image, static"));
        string[] stages = ["preprocess", "inference", "postprocess"];
        var ms = stages.Select(k => Number(r, $"speed.{k}_ms") ?? 0).ToList();
        s.Figures.Add(new($"{id}-stages", "Time per image by stage", Charts.Charts.Bars("Time per image by stage", stages, ms, "ms per image"),
            "Preprocess (decode + resize + normalise) and postprocess (output decoding, NMS, mapping back, metric update) run on other threads, overlapped with inference."));
        s.Tables.Add(new ResultTable("Speed of the run", [new ResultColumn("Quantity"), new ResultColumn("Value", ColumnAlign.Right)],
            [
                ["preprocess ms / image", F(ms[0], "0.00")], ["inference ms / image", F(ms[1], "0.00")], ["postprocess ms / image", F(ms[2], "0.00")],
                ["images / s", F(Number(r, "speed.images_per_s"), "0.0")], ["wall s", F(Number(r, "speed.wall_s"), "0.00")],
                ["peak RSS", Fmt.Bytes(Number(r, "speed.peak_rss_bytes") ?? 0)], ["batch", F(Number(r, "speed.batch"), "0")],
                ["workers", F(Number(r, "speed.workers"), "0")], ["intra-op threads", F(Number(r, "speed.intra_op_threads"), "0")],
            ]));
        s.Figures.AddRange(inner.Figures);
        s.Tables.AddRange(inner.Tables);
        s.Notes.AddRange(inner.Notes);
        if (Text(r, "speed.conventions") is { } c) s.Notes.Add(c);
        return s;
    }

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
        if (At(r, "confusion_matrix.counts") is { ValueKind: JsonValueKind.Array } counts && counts.GetArrayLength() > 0)
        {
            var grid = Counts(counts);
            var labels = Array(r, "confusion_matrix.labels").Select(e => e.GetString() ?? "").ToList();
            if (labels.Count != grid.GetLength(0)) labels = Enumerable.Range(0, grid.GetLength(0)).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToList();
            s.Figures.Add(new($"{id}-confusion", "Confusion matrix", Charts.Charts.ConfusionMatrix("Confusion matrix", grid, labels),
                "Rows are true classes, columns predicted; shaded by each row's share, counts written in the cells up to 30 classes, every cell's count in its tooltip."));
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

    private static long[,] Counts(JsonElement rows) => Grid(rows, v => (long)v);

    private static double[,] Matrix(JsonElement rows) => Grid(rows, v => v);

    private static T[,] Grid<T>(JsonElement rows, Func<double, T> convert)
    {
        var n = rows.GetArrayLength();
        var m = n == 0 ? 0 : rows[0].GetArrayLength();
        var grid = new T[n, m];
        for (var i = 0; i < n; i++)
        for (var j = 0; j < m; j++)
            grid[i, j] = convert(rows[i][j].ValueKind == JsonValueKind.Number ? rows[i][j].GetDouble() : 0);
        return grid;
    }
}
