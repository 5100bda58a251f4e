using System.Globalization;
using System.Text.Json;
using Dyno.Reports.Documents;
using static Dyno.Reports.Sections.JsonPaths;

namespace Dyno.Reports.Sections;

public static partial class ResultSections
{
    /// <summary>A JSON scalar as a report cell: booleans as yes/no, numbers with <paramref name="format"/>, text as is.</summary>
    internal static string Cell(JsonElement? e, string format = "0.####") => e switch
    {
        { ValueKind: JsonValueKind.True } => "yes",
        { ValueKind: JsonValueKind.False } => "no",
        { ValueKind: JsonValueKind.Number } n => F(n.GetDouble(), format),
        { ValueKind: JsonValueKind.String } s => s.GetString() ?? "",
        { ValueKind: JsonValueKind.Array } a => string.Join(", ", a.EnumerateArray().Select(x => Cell(x, format))),
        _ => "-",
    };

    /// <summary>The scalar members of an object as (name, value) rows, booleans as yes/no.</summary>
    private static List<IReadOnlyList<string>> Scalars(JsonElement obj, Func<string, bool>? include = null) =>
        obj.ValueKind != JsonValueKind.Object ? [] : obj.EnumerateObject()
            .Where(p => p.Value.ValueKind switch
            {
                JsonValueKind.Object => false,
                JsonValueKind.Array => p.Value.EnumerateArray().All(x => x.ValueKind is not (JsonValueKind.Object or JsonValueKind.Array)),
                _ => true,
            })
            .Where(p => include?.Invoke(p.Name) ?? true)
            .Select(p => (IReadOnlyList<string>)[p.Name.Replace('_', ' '), Cell(p.Value)]).ToList();

    private static ReportSection LlmSection(JsonElement r, string? source)
    {
        var s = new ReportSection { Title = $"Transformer: {Text(r, "model") ?? source ?? "config"}", Kind = "llm", Source = source };
        var scenario = $"seq {Number(r, "scenario.seq")}, batch {Number(r, "scenario.batch")}";
        if (At(r, "roofline") is { ValueKind: JsonValueKind.Object } roof)
        {
            var where = $"roofline lower bound on {Text(roof, "title") ?? Text(roof, "hardware")} at {Text(roof, "precision")}";
            s.KeyFigures.Add(new("Time to first token", F(Number(roof, "time_to_first_token_seconds") * 1000, "0.###") + " ms", $"{where}; prefill {Text(roof, "prefill.bound")}-bound; {scenario}"));
            s.KeyFigures.Add(new("Tokens/s", F(Number(roof, "tokens_per_second"), "0.#"), $"decode, whole batch; {Text(roof, "decode.bound")}-bound; {F(Number(roof, "tokens_per_second_per_sequence"), "0.#")} per sequence"));
        }
        s.KeyFigures.Add(new("Parameters", Fmt.Si(Number(r, "params") ?? 0), "all weights, embeddings included"));
        s.KeyFigures.Add(new("Prefill MACs", Fmt.Si(Number(r, "matmul_macs") ?? 0), $"dense matmul MACs of the prompt; {scenario}"));
        s.KeyFigures.Add(new("FLOPs / token", Fmt.Si(Number(r, "flops_per_token") ?? 0), "one decode step"));
        s.KeyFigures.Add(new("KV cache", Fmt.Bytes(Number(r, "kv_cache_bytes") ?? 0), "at the sequence length"));
        if (At(r, "architecture") is { ValueKind: JsonValueKind.Object } arch)
            s.Tables.Add(new ResultTable("Architecture", [new ResultColumn("Field"), new ResultColumn("Value", ColumnAlign.Right)], Scalars(arch)));
        var figures = new[] { "params", "matmul_params", "matmul_macs", "matmul_macs_causal", "flops_prefill", "flops_prefill_causal", "flops_per_token",
            "flops_per_token_mean", "flops_per_token_mean_causal", "training_flops_per_token", "kv_cache_bytes", "kv_cache_bytes_per_token", "weight_bytes" };
        s.Tables.Add(new ResultTable("Cost", [new ResultColumn("Quantity"), new ResultColumn("Value", ColumnAlign.Right), new ResultColumn("Exact", ColumnAlign.Right)],
            figures.Where(k => Number(r, k) is not null).Select(k => (IReadOnlyList<string>)[k.Replace('_', ' '),
                k.EndsWith("bytes", StringComparison.Ordinal) || k.Contains("_bytes_", StringComparison.Ordinal) ? Fmt.Bytes(Number(r, k)!.Value) : Fmt.Si(Number(r, k)!.Value),
                Number(r, k)!.Value.ToString("R", CultureInfo.InvariantCulture)]).ToList()));
        string[] phaseKeys = ["tokens", "flops", "weight_bytes", "activation_bytes", "kv_cache_read_bytes", "kv_cache_write_bytes", "total_bytes", "arithmetic_intensity"];
        if (At(r, "prefill") is { ValueKind: JsonValueKind.Object } && At(r, "decode") is { ValueKind: JsonValueKind.Object })
            s.Tables.Add(new ResultTable("Prefill and one decode step", [new ResultColumn("Quantity"), new ResultColumn("Prefill", ColumnAlign.Right), new ResultColumn("Decode step", ColumnAlign.Right)],
                phaseKeys.Select(k => (IReadOnlyList<string>)[k.Replace('_', ' '), PhaseCell(r, "prefill." + k), PhaseCell(r, "decode." + k)]).ToList()));
        if (At(r, "roofline") is { ValueKind: JsonValueKind.Object } rf)
            s.Tables.Add(new ResultTable("Roofline", [new ResultColumn("Quantity"), new ResultColumn("Prefill", ColumnAlign.Right), new ResultColumn("Decode step", ColumnAlign.Right)],
                new[] { "flops", "bytes", "arithmetic_intensity", "compute_seconds", "memory_seconds", "seconds", "bound" }
                    .Select(k => (IReadOnlyList<string>)[k.Replace('_', ' '), Cell(At(rf, "prefill." + k), "0.######"), Cell(At(rf, "decode." + k), "0.######")]).ToList()));
        foreach (var n in Array(r, "notes")) s.Notes.Add(n.GetString() ?? "");
        if (At(r, "conventions") is { ValueKind: JsonValueKind.Object } conv)
            foreach (var p in conv.EnumerateObject()) if (p.Value.ValueKind == JsonValueKind.String) s.Notes.Add($"{p.Name.Replace('_', ' ')}: {p.Value.GetString()}");
        return s;
    }

    private static string PhaseCell(JsonElement r, string key) => Number(r, key) is { } v
        ? key.EndsWith("bytes", StringComparison.Ordinal) ? Fmt.Bytes(v) : key.EndsWith("intensity", StringComparison.Ordinal) ? F(v, "0.##") + " FLOP/B" : Fmt.Si(v)
        : "-";

    private static ReportSection Anchors(JsonElement r, string? source)
    {
        var s = new ReportSection { Title = $"Anchors: {Text(r, "source") ?? source ?? "ground truth"}", Kind = "anchors", Source = source };
        s.KeyFigures.Add(new("Best possible recall", F(Number(r, "bpr"), "0.####"), $"ground-truth boxes with a positive anchor (IoU ≥ {F(Number(r, "pos_iou"), "0.##")}{(At(r, "best_anchor_positive") is { ValueKind: JsonValueKind.True } ? ", or its best anchor" : "")})"));
        s.KeyFigures.Add(new("BPR by IoU only", F(Number(r, "bpr_iou_only"), "0.####"), $"IoU ≥ {F(Number(r, "pos_iou"), "0.##")}, no best-anchor rule"));
        s.KeyFigures.Add(new("Mean best IoU", F(Number(r, "mean_best_iou"), "0.####"), "each box with its best anchor"));
        s.KeyFigures.Add(new("Positives per box", F(Number(r, "positives_per_gt.mean"), "0.##"), $"mean; median {F(Number(r, "positives_per_gt.median"), "0.#")}, {F(Number(r, "positives_per_gt.zero"), "0")} boxes with none"));
        if (Number(r, "fit.mean_best_iou") is { } fitted)
            s.KeyFigures.Add(new("Fitted anchors mean IoU", F(fitted, "0.####"), $"k = {F(Number(r, "fit.k"), "0")} after {F(Number(r, "fit.generations"), "0")} generations; configured {F(Number(r, "fit.configured_mean_best_iou"), "0.####")}"));
        s.Tables.Add(new ResultTable("Data and thresholds", [new ResultColumn("Quantity"), new ResultColumn("Value", ColumnAlign.Right)],
            Scalars(r, k => k is not ("source" or "bpr" or "bpr_iou_only" or "mean_best_iou"))));
        var levels = Array(r, "anchors").ToList();
        if (levels.Count > 0)
            s.Tables.Add(new ResultTable("Configured anchors", [new ResultColumn("Stride", ColumnAlign.Right), new ResultColumn("Sizes"), new ResultColumn("Aspect ratios"), new ResultColumn("Shapes (w x h)")],
                levels.Select(l => (IReadOnlyList<string>)[Cell(At(l, "stride")), Cell(At(l, "sizes")), Cell(At(l, "aspect_ratios")),
                    string.Join(", ", Array(l, "shapes").Select(sh => string.Join("x", sh.EnumerateArray().Select(x => Cell(x)))))]).ToList()));
        if (At(r, "assignment_counts") is { ValueKind: JsonValueKind.Object } counts)
            s.Tables.Add(new ResultTable("Label assignment over all images", [new ResultColumn("Quantity"), new ResultColumn("Value", ColumnAlign.Right)], Scalars(counts)));
        var fit = Array(r, "fit.anchors").ToList();
        if (fit.Count > 0)
        {
            s.Tables.Add(new ResultTable("Fitted anchors (k-means + evolution)", [new ResultColumn("#", ColumnAlign.Right), new ResultColumn("Width", ColumnAlign.Right), new ResultColumn("Height", ColumnAlign.Right)],
                fit.Select((a, i) => (IReadOnlyList<string>)[(i + 1).ToString(CultureInfo.InvariantCulture), Cell(a[0], "0.#"), Cell(a[1], "0.#")]).ToList()));
            if (Text(r, "fit.yaml") is { } yaml) s.Notes.Add("Ultralytics YAML: " + yaml.Trim().Replace("\n", " ", StringComparison.Ordinal));
        }
        return s;
    }
}
