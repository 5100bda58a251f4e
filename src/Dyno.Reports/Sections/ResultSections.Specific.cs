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
        "val" => Val(r, source, id),
        _ => null,
    };

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
