using System.Globalization;
using Dyno.Metrics.Detection;
using Dyno.Reports.Charts;
using Dyno.Reports.Documents;
using Dyno.Results;

namespace Dyno.Reports.Presenters;

/// <summary>
/// Presents an <c>eval-det</c> result (<see cref="DetectionEvaluationDocument"/>): the COCO summary as pycocotools prints
/// it, per category, and with their options the operating points, open-vocabulary split, VOC AP and confusion matrix;
/// the report adds AP per category, AP per IoU threshold, PR curves, the F1–confidence curve and the confusion chart.
/// </summary>
public sealed class EvalDetPresenter : IResultPresenter<DetectionEvaluationDocument>
{
    /// <summary>The one instance (it has no settings).</summary>
    public static EvalDetPresenter Instance { get; } = new();

    /// <summary>Most columns a report shows of a table with a narrow alternative (an 80-class confusion matrix shows its top confusions).</summary>
    public const int ReportMaxColumns = 24;

    /// <inheritdoc/>
    public string Kind => ResultKinds.EvalDet;

    private static string Num(double v) => v < 0 ? "-1" : Fmt.Num(v, 3);

    private static string F(double v) => double.IsFinite(v) ? v.ToString("0.####", CultureInfo.InvariantCulture) : "-";

    /// <inheritdoc/>
    public IReadOnlyList<KeyFigure> Headline(DetectionEvaluationDocument d)
    {
        (string Key, string Note)[] keys =
        [
            ("AP", "mAP@[.5:.95], 101-point interpolation"), ("AP50", "IoU 0.5"), ("AP75", "IoU 0.75"), ("APs", "small (< 32²)"), ("APm", "medium"), ("APl", "large (> 96²)"),
            ("AR100", "max 100 detections per image"),
        ];
        return keys.Where(k => d.Stats.ContainsKey(k.Key)).Select(k => new KeyFigure(k.Key, F(d.Stats[k.Key]), k.Note)).ToList();
    }

    /// <inheritdoc/>
    public IReadOnlyList<ResultTable> Tables(DetectionEvaluationDocument d)
    {
        var protocol = d.Protocol;
        var rows = new List<IReadOnlyList<string>>();
        var maxDets = protocol.MaxDets;
        var iou = protocol.IouThresholds;
        var range = iou.SequenceEqual(CocoEvalOptions.CocoIouThresholds) ? "0.50:0.95"
            : string.Join(",", iou.Select(t => t.ToString("0.00", CultureInfo.InvariantCulture)));
        foreach (var (name, value) in d.Stats)
        {
            var (kind, iouText, area, md) = name switch
            {
                "AP" => ("AP", range, "all", maxDets[^1]),
                "AP50" => ("AP", "0.50", "all", maxDets[^1]),
                "AP75" => ("AP", "0.75", "all", maxDets[^1]),
                "APs" => ("AP", range, "small", maxDets[^1]),
                "APm" => ("AP", range, "medium", maxDets[^1]),
                "APl" => ("AP", range, "large", maxDets[^1]),
                "ARs" => ("AR", range, "small", maxDets[^1]),
                "AP_all" or "AR_all" => (name[..2], range, "all", maxDets[^1]),
                "AP_50" or "AR_50" => (name[..2], "0.50", "all", maxDets[^1]),
                "AP_75" or "AR_75" => (name[..2], "0.75", "all", maxDets[^1]),
                "AP_easy" or "AP_medium" or "AP_hard" => ("AP", range, "all, " + name[3..] + " images", maxDets[^1]),
                "APr" or "APc" or "APf" => ("AP", range, "all, " + name[2] + " categories", maxDets[^1]),
                _ when name.StartsWith("AR@", StringComparison.Ordinal) => ("AR", range, "all", maxDets[^1]),
                _ when name.Length > 3 && name[3] == '@' => ("AR", range, name[2] switch { 's' => "small", 'm' => "medium", _ => "large" }, maxDets[^1]),
                "AR" when protocol.IouType == "keypoints" => ("AR", range, "all", maxDets[^1]),
                "AR50" when protocol.IouType == "keypoints" => ("AR", "0.50", "all", maxDets[^1]),
                "AR75" when protocol.IouType == "keypoints" => ("AR", "0.75", "all", maxDets[^1]),
                "ARm" => ("AR", range, "medium", maxDets[^1]),
                "ARl" => ("AR", range, "large", maxDets[^1]),
                _ when name.StartsWith("AP_", StringComparison.Ordinal) => ("AP", range, name[3..], maxDets[^1]),
                _ when name.StartsWith("AR_", StringComparison.Ordinal) => ("AR", range, name[3..], maxDets[^1]),
                _ => ("AR", range, "all", int.Parse(name[2..], CultureInfo.InvariantCulture)),
            };
            rows.Add([name, kind, iouText, area, md.ToString(CultureInfo.InvariantCulture), Num(value), value.ToString("R", CultureInfo.InvariantCulture)]);
        }
        var summary = new ResultTable(protocol.Name switch { "lvis" => "LVIS ", "crowdpose" => "CrowdPose ", _ => "COCO " } + protocol.IouType + " summary",
            [new("stat"), new("metric"), new("IoU"), new("area"), new("maxDets", ColumnAlign.Right), new("value", ColumnAlign.Right), new("exact", ColumnAlign.Right)], rows);
        var tables = new List<ResultTable> { summary };
        if (d.PerCategory.Count > 0)
            tables.Add(Present.Table("Per category", d.PerCategory,
                new Column<CocoCategoryResult>("id", c => c.Id.ToString(CultureInfo.InvariantCulture)),
                Present.Name<CocoCategoryResult>("name", c => c.Name),
                new("AP", c => Num(c.AP)), new("AP50", c => Num(c.AP50)), new("AP75", c => Num(c.AP75)),
                new("APs", c => Num(c.APs), DropOrder: 1), new("APm", c => Num(c.APm), DropOrder: 2), new("APl", c => Num(c.APl), DropOrder: 3),
                new("AR", c => Num(c.AR)),
                new("gt", c => c.NumGt.ToString(CultureInfo.InvariantCulture)), new("dt", c => c.NumDt.ToString(CultureInfo.InvariantCulture))));
        if (d.OperatingPoints is { } op)
        {
            var points = new List<(string Who, string What, CocoOperatingPoint P)> { ("all (pooled)", "at threshold", op.AtThreshold), ("all (pooled)", "best F1", op.BestF1) };
            foreach (var c in op.PerCategory)
            {
                points.Add((c.Name, "at threshold", c.AtThreshold));
                points.Add((c.Name, "best F1", c.BestF1));
            }
            tables.Add(Present.Table($"Operating points (IoU {op.IouThreshold.ToString("0.00", CultureInfo.InvariantCulture)}, area all)", points,
                Present.Name<(string Who, string What, CocoOperatingPoint P)>("category", x => x.Who), Present.Name<(string Who, string What, CocoOperatingPoint P)>("point", x => x.What),
                new("score", x => x.P.Threshold.ToString("R", CultureInfo.InvariantCulture)), new("precision", x => Fmt.Num(x.P.Precision, 3)),
                new("recall", x => Num(x.P.Recall)), new("F1", x => Fmt.Num(x.P.F1, 3)),
                new("TP", x => x.P.Tp.ToString(CultureInfo.InvariantCulture)), new("FP", x => x.P.Fp.ToString(CultureInfo.InvariantCulture)),
                new("FN", x => x.P.Fn.ToString(CultureInfo.InvariantCulture))));
        }
        if (d.Split is { } split)
            tables.Add(new ResultTable($"Open-vocabulary split ({split.BaseCategories} base, {split.NovelCategories} novel categories)",
                [new("metric"), new("base", ColumnAlign.Right), new("novel", ColumnAlign.Right), new("harmonic mean", ColumnAlign.Right)],
                [["AP", Num(split.APBase), Num(split.APNovel), Num(split.APHarmonic)], ["AP50", Num(split.AP50Base), Num(split.AP50Novel), Num(split.AP50Harmonic)]]));
        if (d.Voc is { } voc)
        {
            List<IReadOnlyList<string>> vocRows = [["mean", "", Num(voc.MeanAp11Point), Num(voc.MeanApAllPoint), "", ""]];
            foreach (var c in voc.PerCategory)
                vocRows.Add([c.Id.ToString(CultureInfo.InvariantCulture), c.Name, Num(c.Ap11Point), Num(c.ApAllPoint), c.NumGt.ToString(CultureInfo.InvariantCulture), c.NumDt.ToString(CultureInfo.InvariantCulture)]);
            tables.Add(new ResultTable($"Pascal VOC AP (IoU > {voc.IouThreshold.ToString("0.00", CultureInfo.InvariantCulture)})",
                [new("id"), new("name"), new("AP 11-point", ColumnAlign.Right), new("AP all-point", ColumnAlign.Right), new("gt", ColumnAlign.Right), new("dt", ColumnAlign.Right)], vocRows));
        }
        if (d.ConfusionMatrix is { } confusion)
        {
            // only rows and columns that are not all zero, to keep 80 categories readable
            var n = confusion.Labels.Count;
            var used = Enumerable.Range(0, n).Where(i => confusion.Counts[i].Any(v => v > 0) || Enumerable.Range(0, n).Any(p => confusion.Counts[p][i] > 0)).ToArray();
            var cols = new List<ResultColumn> { new("predicted \\ actual") };
            cols.AddRange(used.Select(i => new ResultColumn(confusion.Labels[i], ColumnAlign.Right)));
            var cmRows = used.Select(p => (IReadOnlyList<string>)[confusion.Labels[p], .. used.Select(a => confusion.Counts[p][a].ToString(CultureInfo.InvariantCulture))]).ToList();
            var title = FormattableString.Invariant($"Confusion matrix (score >= {confusion.ScoreThreshold}, IoU > {confusion.IouThreshold})");
            var usedLabels = used.Select(i => confusion.Labels[i]).ToList();
            tables.Add(new ResultTable(title, cols, cmRows)
            {
                WhenTooWide = ConfusionList.Build("Top confusions: " + title, "actual", "predicted", usedLabels, usedLabels, (a, p) => confusion.Counts[used[p]][used[a]]),
            });
        }
        return tables;
    }

    /// <inheritdoc/>
    public IReadOnlyList<string> Notes(DetectionEvaluationDocument d)
    {
        var notes = new List<string> { "-1 = undefined (no ground truth in that slice), as in pycocotools." };
        if (d.Protocol.Name == "lvis") notes.Add("LVIS federated evaluation (lvis-api): per image only categories in its positive or negative set are evaluated, unmatched detections of not-exhaustive categories are ignored, 300 detections per image.");
        else if (d.Protocol.Name == "crowdpose") notes.Add("CrowdPose (faster-coco-eval keypoints_crowd): OKS scaled by 0.53 x box area; AP_easy/medium/hard re-evaluate the images by crowdIndex (< 0.2, < 0.8, rest) and are rounded to 4 decimals.");
        else if (!d.Protocol.CocoDefault) notes.Add("Custom protocol: AP and AR use the largest maxDets (pycocotools would hard-code 100 for AP).");
        return notes;
    }

    /// <inheritdoc/>
    public ReportSection Section(DetectionEvaluationDocument d, string? source, string id)
    {
        var s = Present.Section(this, d, $"Detection: {source ?? "result"}", source);
        for (var i = 0; i < s.Tables.Count; i++)
            if (s.Tables[i] is { WhenTooWide: { } narrow } wide && wide.Columns.Count > ReportMaxColumns) s.Tables[i] = narrow;
        s.Notes.Insert(0, $"Protocol: {d.Protocol.Reference}; iouType {d.Protocol.IouType}.");
        var iouType = d.Protocol.IouType;
        var cats = d.PerCategory.Where(c => c.AP >= 0).ToList();
        if (cats.Count > 0)
        {
            // both ends: the best 20 and the worst 20 (the classes users look for), sorted by AP, when there are more than 40
            var sorted = cats.OrderByDescending(c => c.AP).ToList();
            List<CocoCategoryResult> shown = sorted.Count <= 40 ? sorted : [.. sorted.Take(20), .. sorted.TakeLast(20)];
            var which = sorted.Count <= 40 ? "all of them" : $"the best 20 and the worst 20 of {sorted.Count}";
            s.Figures.Add(new($"{id}-cats", "AP per category", ChartKit.Bars($"AP per category ({iouType})", shown.Select(c => c.Name).ToList(), shown.Select(c => c.AP).ToList(), "AP"),
                $"COCO AP@[.5:.95] of each category with ground truth ({which}, highest first), 101-point interpolated precision averaged over 10 IoU thresholds; the table below has every category."));
        }
        if (d.ApPerIouThreshold.Count > 0)
        {
            var pts = d.ApPerIouThreshold.Select(p => (X: double.Parse(p.Key, CultureInfo.InvariantCulture), Y: p.Value)).OrderBy(p => p.X).ToList();
            s.Figures.Add(new($"{id}-iou", "AP vs IoU threshold", ChartKit.Lines("AP at each IoU threshold", [new Series("AP", pts.Select(p => p.X).ToArray(), pts.Select(p => p.Y).ToArray())],
                "IoU threshold", "AP", markers: true, yMin: 0),
                "AP (all areas, 100 detections) at each IoU threshold; mAP is their mean."));
        }
        if (d.PrCurves is { } pr)
        {
            var recall = pr.Recall;
            var gtCount = d.PerCategory.GroupBy(c => c.Name).ToDictionary(g => g.Key, g => g.First().NumGt);
            var top = pr.PerCategory.Where(c => c.Precision.Count == recall.Count && c.Precision.Any(v => v >= 0))
                .OrderByDescending(c => gtCount.GetValueOrDefault(c.Name)).Take(8)
                .Select(c => new Series(c.Name, recall.Where((_, i) => c.Precision[i] >= 0).ToArray(), c.Precision.Where(v => v >= 0).ToArray())).ToList();
            if (recall.Count > 0 && top.Count > 0)
                s.Figures.Add(new($"{id}-pr", "Precision–recall curves per class", ChartKit.Lines("Precision–recall (IoU 0.5)", top, "recall", "precision", yMin: 0, yMax: 1.05),
                    $"COCO's interpolated precision at 101 recall points, IoU {F(pr.IouThreshold)}, all areas, {pr.MaxDets} detections per image; the 8 categories with the most ground truth."));
        }
        if (d.OperatingPoints is { Curve.Count: > 0 } op)
        {
            var thr = op.Curve.Select(c => c.Threshold).ToArray();
            s.Figures.Add(new($"{id}-f1", "F1–confidence curve", ChartKit.Lines("F1, precision and recall vs score threshold",
                [
                    new Series("F1", thr, op.Curve.Select(c => c.F1).ToArray()),
                    new Series("precision", thr, op.Curve.Select(c => c.Precision).ToArray()),
                    new Series("recall", thr, op.Curve.Select(c => Math.Max(0, c.Recall)).ToArray()),
                ], "score threshold", "precision, recall", yMin: 0, yMax: 1.05),
                $"All categories pooled, COCO matching at IoU {F(op.IouThreshold)}; best F1 {F(op.BestF1.F1)} at score {F(op.BestF1.Threshold)}."));
        }
        if (d.ConfusionMatrix is { Counts.Count: > 0 } cm)
        {
            var n = cm.Counts.Count;
            var grid = new long[n, cm.Counts[0].Count];
            for (var i = 0; i < n; i++)
                for (var j = 0; j < cm.Counts[i].Count; j++) grid[i, j] = cm.Counts[i][j];
            var labels = cm.Labels.Count == n ? cm.Labels : Enumerable.Range(0, n).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToList();
            s.Figures.Add(new($"{id}-confusion", "Detection confusion matrix", ChartKit.ConfusionMatrix("Detection confusion matrix", grid, labels, "predicted", "ground truth", predictedRows: true),
                "Matched detections by true and predicted category, with a background row (false positives: no object there) and column (missed objects); rows are ground truth."));
        }
        return s;
    }
}
