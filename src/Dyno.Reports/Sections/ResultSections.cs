using System.Globalization;
using System.Text.Json;
using Dyno.Reports.Documents;
using static Dyno.Reports.Sections.JsonPaths;

namespace Dyno.Reports.Sections;

/// <summary>Report sections for fit, LLM and the other results, keyed by their JSON contracts.</summary>
public static partial class ResultSections
{
    public static ReportSection Build(string kind, JsonElement r, string? source, string id) =>
        Specific(kind, r, source, id) ?? GenericSection.Build(r, source, kind, $"{kind}: {source ?? "result"}");

    private static partial ReportSection? Specific(string kind, JsonElement r, string? source, string id);

    internal static string F(double? v, string format = "0.####") => v is { } x && double.IsFinite(x) ? x.ToString(format, CultureInfo.InvariantCulture) : "-";
}
