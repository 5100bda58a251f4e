using System.Text.Json;
using Dyno.Reports.Documents;

using static Dyno.Reports.Sections.JsonPaths;

namespace Dyno.Reports.Sections;

/// <summary>Turns Dyno JSON results into report sections, recognising each result by its contract keys.</summary>
public static class ReportBuilder
{
    /// <summary>The kind of a Dyno result document.</summary>
    public static string KindOf(JsonElement r)
    {
        if (Text(r, "kind") is { } kind && kind is "val" or "matrix") return kind;
        if (ProfileSection.Matches(r)) return "profile";
        if (JsonPaths.At(r, "latency_ms") is not null) return "bench";
        if (JsonPaths.At(r, "generation.ttft_ms") is not null) return "bench-generate";
        if (JsonPaths.At(r, "stats.AP") is not null) return "eval-det";
        if (JsonPaths.At(r, "metrics.MOTA") is not null || JsonPaths.At(r, "metrics.HOTA") is not null) return "eval-mot";
        if (JsonPaths.At(r, "metrics.miou") is not null) return "eval-seg";
        if (JsonPaths.At(r, "metrics.top1") is not null || JsonPaths.At(r, "metrics.f1_macro") is not null) return "eval-cls";
        if (JsonPaths.At(r, "matmul_macs") is not null) return "llm";
        if (JsonPaths.At(r, "fits") is not null && JsonPaths.At(r, "results") is not null) return "fit";
        if (JsonPaths.At(r, "bpr") is not null) return "anchors";
        return "other";
    }

    /// <summary>Builds the section for one result document.</summary>
    public static ReportSection Section(JsonElement r, string? source, int index)
    {
        var id = $"r{index}";
        var kind = KindOf(r);
        return kind switch
        {
            "profile" => ProfileSection.Build(r, source, id),
            _ => ResultSections.Build(kind, r, source, id),
        };
    }

    /// <summary>Reads one Dyno result file (a JSON object), with errors that name the file and position.</summary>
    public static JsonDocument LoadResult(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file", path);
        JsonDocument json;
        try
        {
            json = JsonDocument.Parse(File.ReadAllBytes(path));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine}): {e.Message}");
        }
        if (json.RootElement.ValueKind != JsonValueKind.Object)
        {
            var kind = json.RootElement.ValueKind;
            json.Dispose();
            throw new InvalidDataException($"{path}: a Dyno result is a JSON object, this is {kind}");
        }
        return json;
    }

    /// <summary>Reads result files into a report.</summary>
    public static ReportDocument FromFiles(IReadOnlyList<string> paths, string title)
    {
        var doc = new ReportDocument { Title = title };
        for (var i = 0; i < paths.Count; i++)
        {
            using var json = LoadResult(paths[i]);
            try
            {
                doc.Sections.Add(Section(json.RootElement, paths[i], i));
            }
            catch (InvalidDataException e)
            {
                throw new InvalidDataException($"{paths[i]}: {e.Message}", e);
            }
        }
        return doc;
    }
}
