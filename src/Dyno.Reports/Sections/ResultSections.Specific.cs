using System.Text.Json;
using Dyno.Reports.Charts;
using Dyno.Reports.Documents;
using Dyno.Reports.Presenters;
using Dyno.Results;
using static Dyno.Reports.Sections.JsonPaths;

namespace Dyno.Reports.Sections;

public static partial class ResultSections
{
    private static partial ReportSection? Specific(string kind, JsonElement r, string? source, string id) => kind switch
    {
        "bench-generate" => Generation(r, source, id),
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
            s.Figures.Add(new($"{id}-pareto", $"{key} against latency", ChartKit.Pareto($"{key} vs p50 latency", pts, "p50 latency, ms (lower is better)", $"{key} (higher is better)"),
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
            "detection" => EvalDetPresenter.Instance.Section(ValPart<DetectionEvaluationDocument>(r, source), source, id),
            "classification" => EvalClsPresenter.Instance.Section(ValPart<ClassificationDocument>(r, source), source, id),
            _ => EvalSegPresenter.Instance.Section(ValPart<SegmentationDocument>(r, source), source, id),
        };
        var s = new ReportSection { Title = $"Val ({task}): {model} on {F(Number(r, "images"), "0")} images", Kind = "val", Source = source };
        s.KeyFigures.Add(new("Images/s", F(Number(r, "speed.images_per_s"), "0.0"), $"end to end, batch {F(Number(r, "speed.batch"), "0")}"));
        s.KeyFigures.Add(new("Inference", F(Number(r, "speed.inference_ms"), "0.00") + " ms", "per image"));
        s.KeyFigures.AddRange(inner.KeyFigures);
        s.KeyFigures.Add(new("Params", Fmt.Si(Number(r, "model.params") ?? 0), "ONNX initializer elements"));
        s.KeyFigures.Add(new("Dense MACs", Fmt.Si(Number(r, "model.dense_macs") ?? 0), "per image, static"));
        string[] stages = ["preprocess", "inference", "postprocess"];
        var ms = stages.Select(k => Number(r, $"speed.{k}_ms") ?? 0).ToList();
        s.Figures.Add(new($"{id}-stages", "Time per image by stage", ChartKit.Bars("Time per image by stage", stages, ms, "ms per image"),
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

    /// <summary>The evaluator's document inside a val document (val writes its keys at the top level, with the model for the file).</summary>
    private static T ValPart<T>(JsonElement r, string? source) where T : class
    {
        var node = System.Text.Json.Nodes.JsonObject.Create(r)!;
        node.TryAdd("file", Text(r, "model.path") ?? source ?? "");
        return ResultLoader.FromElement(JsonSerializer.SerializeToElement(node), source).As<T>();
    }
}
