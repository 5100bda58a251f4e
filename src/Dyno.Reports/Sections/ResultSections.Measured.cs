using System.Globalization;
using System.Text.Json;
using Dyno.Reports.Charts;
using Dyno.Reports.Documents;
using static Dyno.Reports.Sections.JsonPaths;

namespace Dyno.Reports.Sections;

public static partial class ResultSections
{
    private static ReportSection Bench(JsonElement r, string? source, string id)
    {
        var model = Text(r, "model.source") ?? source ?? "model";
        var s = new ReportSection { Title = $"Benchmark: {model}", Kind = "bench", Source = source };
        var provider = Text(r, "settings.provider") ?? "";
        var threads = Number(r, "settings.intra_op_threads");
        s.KeyFigures.Add(new("Latency p50", F(Number(r, "latency_ms.p50"), "0.###") + " ms", $"median; {provider} {threads} thread(s)"));
        s.KeyFigures.Add(new("Latency p95", F(Number(r, "latency_ms.p95"), "0.###") + " ms", "95th percentile"));
        s.KeyFigures.Add(new("Latency p99", F(Number(r, "latency_ms.p99"), "0.###") + " ms", "99th percentile"));
        s.KeyFigures.Add(new("Mean ± std", $"{F(Number(r, "latency_ms.mean"), "0.###")} ± {F(Number(r, "latency_ms.std"), "0.###")} ms", $"CV {F(Number(r, "latency_ms.cv") * 100, "0.#")}%"));
        var tp = Array(r, "throughput").ToList();
        if (tp.Count > 0)
            s.KeyFigures.Add(new("Best throughput", F(tp.Max(t => Number(t, "samples_per_second") ?? 0), "0.#") + " samples/s", "over the batch/concurrency sweep"));
        if (Number(r, "cold_start_ms.total") is { } cold)
            s.KeyFigures.Add(new("Cold start", F(cold, "0.#") + " ms",
                $"process start to first result: process {F(Number(r, "cold_start_ms.process_start"), "0.#")} (runtime start and all work before the benchmark) + load {F(Number(r, "cold_start_ms.model_load"), "0.#")} + session {F(Number(r, "cold_start_ms.session_create"), "0.#")} + first inference {F(Number(r, "cold_start_ms.first_inference"), "0.#")} ms"));
        if (Number(r, "peak_rss_bytes") is { } rss) s.KeyFigures.Add(new("Peak RSS", Fmt.Bytes(rss), "process"));

        var samples = Array(r, "latency_ms.samples").Concat(Array(r, "samples_ms")).Where(e => e.ValueKind == JsonValueKind.Number).Select(e => e.GetDouble()).ToList();
        if (samples.Count > 1)
        {
            s.Figures.Add(new($"{id}-hist", "Latency histogram", Charts.Charts.Histogram("Latency distribution", samples, Math.Clamp(samples.Count / 10, 10, 60), "latency (ms)"),
                $"{samples.Count} timed iterations after warm-up, batch {Number(r, "settings.batches.0") ?? 1}; outliers are kept (see the table)."));
            var sorted = samples.Order().ToArray();
            var pct = Enumerable.Range(0, sorted.Length).Select(i => 100.0 * (i + 0.5) / sorted.Length).ToArray();
            s.Figures.Add(new($"{id}-pct", "Latency percentiles", Charts.Charts.Lines("Latency by percentile", [new Series("latency", pct, sorted)], "percentile (%)", "latency (ms)"),
                "Each timed iteration's latency against its percentile rank: a flat line is a steady machine, a rising tail is jitter."));
        }
        else
        {
            var keys = new[] { "min", "p50", "p90", "p95", "p99", "max" };
            var vals = keys.Select(k => Number(r, "latency_ms." + k)).ToList();
            if (vals.All(v => v is not null))
                s.Figures.Add(new($"{id}-pct", "Latency percentiles", Charts.Charts.Bars("Latency percentiles", keys, vals.Select(v => v!.Value).ToList(), "ms"),
                    "Minimum, percentiles and maximum of the timed iterations, in milliseconds."));
        }
        if (tp.Count > 1)
        {
            var byConc = tp.GroupBy(t => Number(t, "concurrency") ?? 1).ToList();
            s.Figures.Add(new($"{id}-throughput", "Throughput vs batch",
                Charts.Charts.Lines("Throughput vs batch size", byConc.Select(g => new Series($"concurrency {g.Key}", g.Select(t => Number(t, "batch") ?? 0).ToArray(),
                    g.Select(t => Number(t, "samples_per_second") ?? 0).ToArray())).ToList(), "batch size", "samples / s", markers: true),
                "Samples per second at each batch size (and concurrency); see the table for the latency at each point and which points are on the latency–throughput Pareto front."));
        }
        var ops = Array(r, "ops.by_op_type").ToList();
        if (ops.Count > 0)
        {
            var top = ops.OrderByDescending(o => Number(o, "share")).Take(15).ToList();
            s.Figures.Add(new($"{id}-ops", "Time by operator type",
                Charts.Charts.Bars("Measured time share by op type (%)", top.Select(o => Text(o, "op_type") ?? "?").ToList(), top.Select(o => 100 * (Number(o, "share") ?? 0)).ToList(), "% of operator time"),
                "ONNX Runtime's profiler, per op type, as a share of the summed operator time."));
            s.Tables.Add(new ResultTable("Operators: measured time joined to static cost",
                [new ResultColumn("Op"), new ResultColumn("Nodes", ColumnAlign.Right), new ResultColumn("Time ms", ColumnAlign.Right), new ResultColumn("Share", ColumnAlign.Right),
                 new ResultColumn("FLOPs", ColumnAlign.Right), new ResultColumn("Achieved FLOP/s", ColumnAlign.Right)],
                top.Select(o => (IReadOnlyList<string>)[Text(o, "op_type") ?? "", F(Number(o, "nodes"), "0"), F(Number(o, "time_ms"), "0.###"), Fmt.Pct(Number(o, "share") ?? 0),
                    Fmt.Si(Number(o, "flops") ?? 0), Number(o, "achieved_flops_per_second") is { } a ? Fmt.Si(a, "FLOP/s") : "-"]).ToList()));
        }
        s.Tables.Add(new ResultTable("Latency (ms)", [new ResultColumn("Statistic"), new ResultColumn("Value", ColumnAlign.Right), new ResultColumn("CI", ColumnAlign.Right)],
            new[] { "mean", "std", "min", "p50", "p90", "p95", "p99", "max" }.Select(k => (IReadOnlyList<string>)
            [
                k, F(Number(r, "latency_ms." + k), "0.####"),
                Number(r, $"latency_ms.ci.{k}.lower") is { } lo ? $"[{F(lo, "0.####")}, {F(Number(r, $"latency_ms.ci.{k}.upper"), "0.####")}]" : "",
            ]).ToList()));
        if (tp.Count > 0)
            s.Tables.Add(new ResultTable("Throughput sweep", [new ResultColumn("Batch", ColumnAlign.Right), new ResultColumn("Concurrency", ColumnAlign.Right),
                new ResultColumn("Samples/s", ColumnAlign.Right), new ResultColumn("p50 ms", ColumnAlign.Right), new ResultColumn("p99 ms", ColumnAlign.Right), new ResultColumn("Pareto")],
                tp.Select(t => (IReadOnlyList<string>)[F(Number(t, "batch"), "0"), F(Number(t, "concurrency"), "0"), F(Number(t, "samples_per_second"), "0.#"),
                    F(Number(t, "latency_p50_ms"), "0.###"), F(Number(t, "latency_p99_ms"), "0.###"), At(t, "pareto") is { ValueKind: JsonValueKind.True } ? "yes" : ""]).ToList()));
        foreach (var w in Array(r, "warnings")) s.Notes.Add("warning: " + w.GetString());
        foreach (var n in Array(r, "notes")) s.Notes.Add(n.GetString() ?? "");
        return s;
    }

    private static ReportSection Detection(JsonElement r, string? source, string id)
    {
        var s = new ReportSection { Title = $"Detection: {source ?? "result"}", Kind = "eval-det", Source = source };
        var iouType = Text(r, "protocol.iou_type") ?? "bbox";
        foreach (var (key, note) in new[]
        {
            ("AP", "mAP@[.5:.95], 101-point interpolation"), ("AP50", "IoU 0.5"), ("AP75", "IoU 0.75"), ("APs", "small (< 32²)"), ("APm", "medium"), ("APl", "large (> 96²)"),
            ("AR100", "max 100 detections per image"),
        })
            if (Number(r, "stats." + key) is { } v) s.KeyFigures.Add(new(key, F(v), note));
        var cats = Array(r, "per_category").Where(c => Number(c, "AP") >= 0).ToList();
        if (cats.Count > 0)
        {
            // both ends: the best 20 and the worst 20 (the classes users look for), sorted by AP, when there are more than 40
            var sorted = cats.OrderByDescending(c => Number(c, "AP")).ToList();
            List<JsonElement> shown = sorted.Count <= 40 ? sorted : [.. sorted.Take(20), .. sorted.TakeLast(20)];
            var which = sorted.Count <= 40 ? "all of them" : $"the best 20 and the worst 20 of {sorted.Count}";
            s.Figures.Add(new($"{id}-cats", "AP per category", Charts.Charts.Bars($"AP per category ({iouType})", shown.Select(c => Text(c, "name") ?? "").ToList(), shown.Select(c => Number(c, "AP") ?? 0).ToList(), "AP"),
                $"COCO AP@[.5:.95] of each category with ground truth ({which}, highest first), 101-point interpolated precision averaged over 10 IoU thresholds; the table below has every category."));
        }
        if (At(r, "ap_per_iou_threshold") is { ValueKind: JsonValueKind.Object } perIou)
        {
            var pts = perIou.EnumerateObject().Select(p => (X: double.Parse(p.Name, CultureInfo.InvariantCulture), Y: p.Value.GetDouble())).OrderBy(p => p.X).ToList();
            s.Figures.Add(new($"{id}-iou", "AP vs IoU threshold", Charts.Charts.Lines("AP at each IoU threshold", [new Series("AP", pts.Select(p => p.X).ToArray(), pts.Select(p => p.Y).ToArray())],
                "IoU threshold", "AP", markers: true, yMin: 0),
                "AP (all areas, 100 detections) at each IoU threshold; mAP is their mean."));
        }
        var recall = Array(r, "pr_curves.recall").Select(e => e.GetDouble()).ToArray();
        var prCats = Array(r, "pr_curves.per_category")
            .Select(c => (Name: Text(c, "name") ?? "", P: Array(c, "precision").Select(e => e.GetDouble()).ToArray()))
            .Where(c => c.P.Length == recall.Length && c.P.Any(v => v >= 0)).ToList();
        if (recall.Length > 0 && prCats.Count > 0)
        {
            var gtCount = Array(r, "per_category").GroupBy(c => Text(c, "name") ?? "").ToDictionary(g => g.Key, g => Number(g.First(), "num_gt") ?? 0);
            var top = prCats.OrderByDescending(c => gtCount.GetValueOrDefault(c.Name)).Take(8)
                .Select(c => new Series(c.Name, recall.Where((_, i) => c.P[i] >= 0).ToArray(), c.P.Where(v => v >= 0).ToArray())).ToList();
            s.Figures.Add(new($"{id}-pr", "Precision–recall curves per class", Charts.Charts.Lines("Precision–recall (IoU 0.5)", top, "recall", "precision", yMin: 0, yMax: 1.05),
                $"COCO's interpolated precision at 101 recall points, IoU {F(Number(r, "pr_curves.iou_threshold"))}, all areas, {Number(r, "pr_curves.max_dets")} detections per image; the 8 categories with the most ground truth."));
        }
        var curve = Array(r, "operating_points.curve").ToList();
        if (curve.Count > 0)
        {
            var thr = curve.Select(c => Number(c, "threshold") ?? 0).ToArray();
            s.Figures.Add(new($"{id}-f1", "F1–confidence curve", Charts.Charts.Lines("F1, precision and recall vs score threshold",
                [
                    new Series("F1", thr, curve.Select(c => Number(c, "F1") ?? 0).ToArray()),
                    new Series("precision", thr, curve.Select(c => Number(c, "precision") ?? 0).ToArray()),
                    new Series("recall", thr, curve.Select(c => Math.Max(0, Number(c, "recall") ?? 0)).ToArray()),
                ], "score threshold", "precision, recall", yMin: 0, yMax: 1.05),
                $"All categories pooled, COCO matching at IoU {F(Number(r, "operating_points.iou_threshold"))}; best F1 {F(Number(r, "operating_points.best_f1.F1"))} at score {F(Number(r, "operating_points.best_f1.threshold"))}."));
        }
        if (At(r, "confusion_matrix.counts") is { ValueKind: JsonValueKind.Array } cm && cm.GetArrayLength() > 0)
        {
            var labels = Array(r, "confusion_matrix.labels").Select(e => e.GetString() ?? "").ToList();
            var grid = Counts(cm);
            if (labels.Count != grid.GetLength(0)) labels = Enumerable.Range(0, grid.GetLength(0)).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToList();
            s.Figures.Add(new($"{id}-confusion", "Detection confusion matrix", Charts.Charts.ConfusionMatrix("Detection confusion matrix", grid, labels, "predicted", "ground truth", predictedRows: true),
                "Matched detections by true and predicted category, with a background row (false positives: no object there) and column (missed objects); rows are ground truth."));
        }
        s.Tables.Add(new ResultTable("COCO summary", [new ResultColumn("Stat"), new ResultColumn("Value", ColumnAlign.Right)],
            (At(r, "stats") is { ValueKind: JsonValueKind.Object } st ? st.EnumerateObject().Select(p => (IReadOnlyList<string>)[p.Name, F(p.Value.ValueKind == JsonValueKind.Number ? p.Value.GetDouble() : null)]) : []).ToList()));
        if (cats.Count > 0)
            s.Tables.Add(new ResultTable("Per category", [new ResultColumn("Category"), new ResultColumn("AP", ColumnAlign.Right), new ResultColumn("AP50", ColumnAlign.Right), new ResultColumn("AP75", ColumnAlign.Right)],
                Array(r, "per_category").Select(c => (IReadOnlyList<string>)[Text(c, "name") ?? "", F(Number(c, "AP")), F(Number(c, "AP50")), F(Number(c, "AP75"))]).ToList()));
        s.Notes.Add($"Protocol: {Text(r, "protocol.reference") ?? "pycocotools COCOeval"}; iouType {iouType}; -1 means no ground truth in that category.");
        return s;
    }

    private static ReportSection Tracking(JsonElement r, string? source, string id)
    {
        var s = new ReportSection { Title = $"Tracking: {source ?? "result"}", Kind = "eval-mot", Source = source };
        foreach (var (key, note) in new[] { ("HOTA", "TrackEval, mean over α"), ("MOTA", "CLEAR"), ("IDF1", "identity F1"), ("DetA", "detection accuracy"), ("AssA", "association accuracy"), ("IDSW", "identity switches") })
            if (Number(r, "metrics." + key) is { } v) s.KeyFigures.Add(new(key, key == "IDSW" ? F(v, "0") : F(v), note));
        var alphas = Array(r, "conventions.hota_alphas").Select(e => e.GetDouble()).ToArray();
        if (alphas.Length > 0)
        {
            var series = new[] { "HOTA", "DetA", "AssA", "LocA" }
                .Select(k => new Series(k, alphas, Array(r, "hota_per_alpha." + k).Select(e => e.ValueKind == JsonValueKind.Number ? e.GetDouble() : double.NaN).ToArray()))
                .Where(x => x.Y.Length == alphas.Length).ToList();
            if (series.Count > 0)
                s.Figures.Add(new($"{id}-hota", "HOTA over α", Charts.Charts.Lines("HOTA, DetA, AssA and LocA by localization threshold α", series, "α (IoU threshold)", "score", markers: true, yMin: 0, yMax: 1),
                    "TrackEval's HOTA family at each of the 19 α thresholds; the reported figures are their means."));
        }
        if (At(r, "per_sequence") is { ValueKind: JsonValueKind.Object } seqs)
        {
            var keys = new[] { "HOTA", "MOTA", "MOTP", "IDF1", "IDSW", "FP", "FN", "MT", "ML" };
            s.Tables.Add(new ResultTable("Per sequence", [new ResultColumn("Sequence"), .. keys.Select(k => new ResultColumn(k, ColumnAlign.Right))],
                seqs.EnumerateObject().Select(p => (IReadOnlyList<string>)[p.Name, .. keys.Select(k => F(Number(p.Value, k)))])
                    .Append([ "combined", .. keys.Select(k => F(Number(r, "metrics." + k)))]).ToList()));
        }
        return s;
    }
}
