using System.Globalization;
using System.Text.Json;
using Dyno.Reports.Charts;
using Dyno.Reports.Documents;
using static Dyno.Reports.Sections.JsonPaths;

namespace Dyno.Reports.Sections;

public static partial class ResultSections
{
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
