using System.Text.Json;
using Dyno.Metrics.Tracking;

namespace Dyno.Metrics.Tests.Tracking;

/// <summary>The hand-made cases of TrackEval's and py-motmetrics' own tests (synthetic_cases.json).</summary>
public class SyntheticCaseTests
{
    private static JsonElement Cases => MotFixtures.Load("synthetic_cases.json");

    public static TheoryData<string> TrackEvalCases => new() { "no_confusion", "with_confusion", "split_tracks" };
    public static TheoryData<string> MotMetricsCases => new() { "mota_motp", "ids", "correct_average", "empty_groundtruth", "empty_predictions" };

    [Theory]
    [MemberData(nameof(TrackEvalCases))]
    public void TrackEvalCase(string name)
    {
        var c = Cases.GetProperty("trackeval_tests_test_metrics_py").GetProperty(name);
        var seq = BuildTrackEvalSequence(c.GetProperty("input"));
        var clear = ClearMetrics.Evaluate(seq);
        var id = IdentityMetrics.Evaluate(seq);
        var hota = HotaMetrics.Evaluate(seq);
        TrackEvalAssert.Matches(c.GetProperty("computed_trackeval"), clear, id, hota, name);
        TrackEvalAssert.Matches(c.GetProperty("expected_asserted"), clear, id, hota, name);
    }

    [Theory]
    [MemberData(nameof(MotMetricsCases))]
    public void PyMotMetricsCase(string name)
    {
        var c = Cases.GetProperty("py_motmetrics_tests_test_metrics_py").GetProperty(name);
        var acc = new MotAccumulator();
        foreach (var f in c.GetProperty("input").GetProperty("frames").EnumerateArray())
        {
            var o = f.GetProperty("object_ids").EnumerateArray().Select(x => x.GetInt32()).ToArray();
            var h = f.GetProperty("hypothesis_ids").EnumerateArray().Select(x => x.GetInt32()).ToArray();
            var d = f.GetProperty("distances").EnumerateArray()
                .SelectMany(r => r.EnumerateArray().Select(x => x.ValueKind == JsonValueKind.Null ? double.NaN : x.GetDouble())).ToArray();
            var fid = f.GetProperty("frameid");
            acc.Update(o, h, d, fid.ValueKind == JsonValueKind.Null ? null : fid.GetInt64());
        }
        var s = acc.Summary();
        var actual = MotFixtures.SummaryValues(s);
        foreach (var block in new[] { "computed_py_motmetrics", "expected_asserted" })
            foreach (var p in c.GetProperty(block).EnumerateObject())
                MotFixtures.Close(MotFixtures.Num(p.Value), actual[p.Name], $"{name}.{block}.{p.Name}");
    }

    private static TrackingSequence BuildTrackEvalSequence(JsonElement input)
    {
        var T = input.GetProperty("num_timesteps").GetInt32();
        var gtPresent = input.GetProperty("gt_present_by_id").EnumerateArray().Select(r => r.EnumerateArray().Select(x => x.GetInt32()).ToArray()).ToArray();
        var trPresent = input.GetProperty("tracker_present_by_id").EnumerateArray().Select(r => r.EnumerateArray().Select(x => x.GetInt32()).ToArray()).ToArray();
        var pairs = input.GetProperty("similarity_by_pair_gt_tracker").EnumerateObject().ToDictionary(
            p => (int.Parse(p.Name.Split(',')[0]), int.Parse(p.Name.Split(',')[1])),
            p => p.Value.EnumerateArray().Select(x => x.GetDouble()).ToArray());
        var gIds = new List<int[]>();
        var kIds = new List<int[]>();
        var sims = new List<double[,]>();
        for (var t = 0; t < T; t++)
        {
            var g = Enumerable.Range(0, gtPresent.Length).Where(i => gtPresent[i][t] == 1).ToArray();
            var k = Enumerable.Range(0, trPresent.Length).Where(i => trPresent[i][t] == 1).ToArray();
            var s = new double[g.Length, k.Length];
            for (var r = 0; r < g.Length; r++)
                for (var q = 0; q < k.Length; q++)
                    s[r, q] = pairs.TryGetValue((g[r], k[q]), out var v) ? v[t] : 0;
            gIds.Add(g); kIds.Add(k); sims.Add(s);
        }
        return TrackingSequence.FromSimilarity("synthetic", gIds, kIds, sims);
    }
}
