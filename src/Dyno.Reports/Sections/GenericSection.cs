using System.Globalization;
using System.Text.Json;
using Dyno.Reports.Documents;

namespace Dyno.Reports.Sections;

/// <summary>Fallback section: every numeric leaf of a result as a table.</summary>
public static class GenericSection
{
    public static ReportSection Build(JsonElement r, string? source, string kind, string title)
    {
        var s = new ReportSection { Title = title, Kind = kind, Source = source };
        var flat = JsonPaths.FlattenNumbers(r, 32);
        s.Tables.Add(new ResultTable("Values", [new ResultColumn("Key"), new ResultColumn("Value", ColumnAlign.Right)],
            flat.Take(400).Select(kv => (IReadOnlyList<string>)[kv.Key, kv.Value.ToString("0.######", CultureInfo.InvariantCulture)]).ToList()));
        return s;
    }
}
