using System.Globalization;
using System.Text.Json;
using Dyno.Reports.Documents;
using static Dyno.Reports.Sections.JsonPaths;

namespace Dyno.Reports.Sections;

/// <summary>Report sections for fit, LLM and the other results, keyed by their JSON contracts.</summary>
public static partial class ResultSections
{
    public static ReportSection Build(string kind, JsonElement r, string? source, string id) => kind switch
    {
        "fit" => Fit(r, source),
        _ => Specific(kind, r, source, id) ?? GenericSection.Build(r, source, kind, $"{kind}: {source ?? "result"}"),
    };

    private static partial ReportSection? Specific(string kind, JsonElement r, string? source, string id);

    private static ReportSection Fit(JsonElement r, string? source)
    {
        var s = new ReportSection { Title = $"Fit on {Text(r, "device")} at {Text(r, "precision")}", Kind = "fit", Source = source };
        var fits = At(r, "fits") is { ValueKind: JsonValueKind.True };
        s.KeyFigures.Add(new("Fits", fits ? "yes" : "no", "weights + peak activations + overhead, with margin"));
        var results = Array(r, "results").ToList();
        s.Tables.Add(new ResultTable("Memory budget",
            [new ResultColumn("Quantity"), .. results.Select(x => new ResultColumn($"batch {Number(x, "batch")}", ColumnAlign.Right))],
            new[] { "weight_bytes", "peak_activation_bytes", "runtime_overhead_bytes", "required_bytes", "device_memory_bytes" }
                .Select(k => (IReadOnlyList<string>)[k.Replace("_bytes", "", StringComparison.Ordinal).Replace('_', ' '), .. results.Select(x => Fmt.Bytes(Number(x, k) ?? 0))])
                .ToList()));
        return s;
    }

    internal static string F(double? v, string format = "0.####") => v is { } x && double.IsFinite(x) ? x.ToString(format, CultureInfo.InvariantCulture) : "-";
}
