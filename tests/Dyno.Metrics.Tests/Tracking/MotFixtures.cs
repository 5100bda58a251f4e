using System.Text.Json;
using Dyno.Metrics.Tracking;

namespace Dyno.Metrics.Tests.Tracking;

internal static class MotFixtures
{
    public static string Dir => Path.Combine(AppContext.BaseDirectory, "fixtures", "mot");

    public static JsonElement Load(string file) => JsonDocument.Parse(File.ReadAllText(Path.Combine(Dir, file))).RootElement;

    public static MotSequenceInput Tud(string seq) => new(seq,
        TrackFileReader.ReadMotChallenge(Path.Combine(Dir, seq, "gt.txt")),
        TrackFileReader.ReadMotChallenge(Path.Combine(Dir, seq, "test.txt")));

    public static double Num(JsonElement e) => e.ValueKind == JsonValueKind.String
        ? e.GetString() switch { "nan" => double.NaN, "inf" => double.PositiveInfinity, "-inf" => double.NegativeInfinity, var s => double.Parse(s!) }
        : e.GetDouble();

    public static void Close(double expected, double actual, string what)
    {
        if (double.IsNaN(expected)) { Assert.True(double.IsNaN(actual), $"{what}: expected NaN, got {actual}"); return; }
        if (double.IsInfinity(expected)) { Assert.True(expected == actual, $"{what}: expected {expected}, got {actual}"); return; }
        Assert.True(Math.Abs(expected - actual) <= 1e-9, $"{what}: expected {expected:R}, got {actual:R} (Δ {actual - expected:E2})");
    }

    /// <summary>py-motmetrics' metric names → Dyno's values.</summary>
    public static Dictionary<string, double> SummaryValues(MotMetricsSummary s) => new()
    {
        ["num_frames"] = s.NumFrames, ["num_matches"] = s.NumMatches, ["num_switches"] = s.NumSwitches,
        ["num_transfer"] = s.NumTransfer, ["num_ascend"] = s.NumAscend, ["num_migrate"] = s.NumMigrate,
        ["num_false_positives"] = s.NumFalsePositives, ["num_misses"] = s.NumMisses, ["num_detections"] = s.NumDetections,
        ["num_objects"] = s.NumObjects, ["num_predictions"] = s.NumPredictions, ["num_unique_objects"] = s.NumUniqueObjects,
        ["mostly_tracked"] = s.MostlyTracked, ["partially_tracked"] = s.PartiallyTracked, ["mostly_lost"] = s.MostlyLost,
        ["num_fragmentations"] = s.NumFragmentations, ["motp"] = s.Motp, ["mota"] = s.Mota, ["precision"] = s.Precision,
        ["recall"] = s.Recall, ["idfp"] = s.Idfp, ["idfn"] = s.Idfn, ["idtp"] = s.Idtp, ["idp"] = s.Idp, ["idr"] = s.Idr, ["idf1"] = s.Idf1,
    };
}
