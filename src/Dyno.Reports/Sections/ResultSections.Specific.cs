using System.Text.Json;
using Dyno.Reports.Documents;

namespace Dyno.Reports.Sections;

public static partial class ResultSections
{
    private static partial ReportSection? Specific(string kind, JsonElement r, string? source, string id) => null;
}
