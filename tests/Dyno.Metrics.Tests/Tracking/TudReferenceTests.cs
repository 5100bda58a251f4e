using System.Text.Json;
using Dyno.Metrics.Tracking;

namespace Dyno.Metrics.Tests.Tracking;

/// <summary>TUD-Campus and TUD-Stadtmitte against py-motmetrics 1.2 and TrackEval (expected_tud.json), |Δ| ≤ 1e-9.</summary>
public class TudReferenceTests
{
    private static readonly Lazy<MotEvaluation> Result = new(() => MotEvaluator.Evaluate(
        [MotFixtures.Tud("TUD-Campus"), MotFixtures.Tud("TUD-Stadtmitte")], new MotEvaluationOptions(MotMetrics: true)));

    private static MotSequenceResult Seq(string name) =>
        name is "OVERALL" or "COMBINED" ? Result.Value.Combined : Result.Value.Sequences.Single(s => s.Name == name);

    public static TheoryData<string> Names => new() { "TUD-Campus", "TUD-Stadtmitte", "COMBINED" };

    [Theory]
    [MemberData(nameof(Names))]
    public void PyMotMetricsSummaryMatches(string name)
    {
        var exp = MotFixtures.Load("expected_tud.json").GetProperty("computed").GetProperty("py_motmetrics").GetProperty("results")
            .GetProperty(name == "COMBINED" ? "OVERALL" : name);
        var s = Seq(name).MotMetrics!;
        var actual = MotFixtures.SummaryValues(s);
        foreach (var p in exp.EnumerateObject())
        {
            if (p.Name == "num_transfer") continue;
            MotFixtures.Close(MotFixtures.Num(p.Value), actual[p.Name], $"{name}.{p.Name}");
        }
        // The fixture's py-motmetrics (jvlmdr issue-126 branch, its own unbalanced assignment reduction)
        // counts 3 transfers on TUD-Campus; develop HEAD 90aa1af with the SciPy solver counts 2 (the
        // fixture notes this as the only difference). Transfers depend on how assignment ties resolve,
        // and Dyno reproduces SciPy's order, so it agrees with develop HEAD.
        Assert.Equal(name switch { "TUD-Campus" => 2, "TUD-Stadtmitte" => 5, _ => 7 }, s.NumTransfer);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void TrackEvalHotaClearIdentityMatch(string name)
    {
        var exp = MotFixtures.Load("expected_tud.json").GetProperty("computed").GetProperty("trackeval").GetProperty("results").GetProperty(name);
        var r = Seq(name);
        TrackEvalAssert.Matches(exp, r.Clear, r.Identity, r.Hota, name);
        if (exp.TryGetProperty("counts", out var counts))
        {
            Assert.Equal(counts.GetProperty("num_timesteps").GetInt32(), r.Frames);
            Assert.Equal(counts.GetProperty("num_gt_ids").GetInt32(), r.GtIds);
            Assert.Equal(counts.GetProperty("num_tracker_ids").GetInt32(), r.TrackerIds);
            Assert.Equal(counts.GetProperty("num_gt_dets").GetInt32(), r.GtDets);
            Assert.Equal(counts.GetProperty("num_tracker_dets").GetInt32(), r.TrackerDets);
        }
    }

    [Fact]
    public void UpstreamHotaMeansMatch()
    {
        var up = MotFixtures.Load("expected_tud.json").GetProperty("expected_asserted_by_upstream_tests")
            .GetProperty("py-motmetrics motmetrics/tests/test_evaluation.py (newest upstream, HOTA)");
        foreach (var (key, seq) in new[] { ("TUD-Campus", "TUD-Campus"), ("OVERALL (TUD-Campus + TUD-Stadtmitte)", "COMBINED") })
        {
            var e = up.GetProperty(key);
            var h = Seq(seq).Hota;
            MotFixtures.Close(e.GetProperty("hota").GetDouble(), h.HotaMean, key + ".hota");
            MotFixtures.Close(e.GetProperty("deta").GetDouble(), h.DetAMean, key + ".deta");
            MotFixtures.Close(e.GetProperty("assa").GetDouble(), h.AssAMean, key + ".assa");
        }
    }
}

internal static class TrackEvalAssert
{
    public static void Matches(JsonElement exp, ClearResult clear, IdentityResult id, HotaResult hota, string name)
    {
        if (exp.TryGetProperty("HOTA", out var h))
        {
            var arrays = new Dictionary<string, IReadOnlyList<double>>
            {
                ["HOTA"] = hota.Hota, ["DetA"] = hota.DetA, ["AssA"] = hota.AssA, ["DetRe"] = hota.DetRe, ["DetPr"] = hota.DetPr,
                ["AssRe"] = hota.AssRe, ["AssPr"] = hota.AssPr, ["LocA"] = hota.LocA, ["OWTA"] = hota.Owta,
                ["HOTA_TP"] = hota.TP, ["HOTA_FN"] = hota.FN, ["HOTA_FP"] = hota.FP,
            };
            foreach (var p in h.EnumerateObject())
            {
                if (p.Value.ValueKind == JsonValueKind.Array)
                {
                    var a = arrays[p.Name];
                    var i = 0;
                    foreach (var v in p.Value.EnumerateArray()) { MotFixtures.Close(v.GetDouble(), a[i], $"{name}.HOTA.{p.Name}[{i}]"); i++; }
                    Assert.Equal(19, i);
                }
                else if (p.Name.EndsWith("_mean_over_alphas"))
                    MotFixtures.Close(p.Value.GetDouble(), arrays[p.Name[..^"_mean_over_alphas".Length]].Average(), $"{name}.HOTA.{p.Name}");
                else
                {
                    var v = p.Name switch { "HOTA(0)" => hota.Hota0, "LocA(0)" => hota.LocA0, "HOTALocA(0)" => hota.Hota0 * hota.LocA0, _ => throw new InvalidOperationException(p.Name) };
                    MotFixtures.Close(p.Value.GetDouble(), v, $"{name}.HOTA.{p.Name}");
                }
            }
        }
        if (exp.TryGetProperty("CLEAR", out var c))
        {
            var v = new Dictionary<string, double>
            {
                ["MOTA"] = clear.Mota, ["MOTP"] = clear.Motp, ["MODA"] = clear.Moda, ["CLR_Re"] = clear.Recall, ["CLR_Pr"] = clear.Precision,
                ["MTR"] = clear.Mtr, ["PTR"] = clear.Ptr, ["MLR"] = clear.Mlr, ["sMOTA"] = clear.SMota, ["CLR_F1"] = clear.F1,
                ["FP_per_frame"] = clear.FpPerFrame, ["MOTAL"] = clear.Motal, ["MOTP_sum"] = clear.MotpSum, ["CLR_TP"] = clear.TP,
                ["CLR_FN"] = clear.FN, ["CLR_FP"] = clear.FP, ["IDSW"] = clear.IDSW, ["MT"] = clear.MT, ["PT"] = clear.PT, ["ML"] = clear.ML,
                ["Frag"] = clear.Frag, ["CLR_Frames"] = clear.Frames,
            };
            foreach (var p in c.EnumerateObject()) MotFixtures.Close(p.Value.GetDouble(), v[p.Name], $"{name}.CLEAR.{p.Name}");
        }
        if (exp.TryGetProperty("Identity", out var i2))
        {
            var v = new Dictionary<string, double>
            {
                ["IDF1"] = id.Idf1, ["IDR"] = id.Idr, ["IDP"] = id.Idp, ["IDTP"] = id.IDTP, ["IDFN"] = id.IDFN, ["IDFP"] = id.IDFP,
            };
            foreach (var p in i2.EnumerateObject()) MotFixtures.Close(p.Value.GetDouble(), v[p.Name], $"{name}.Identity.{p.Name}");
        }
    }
}
